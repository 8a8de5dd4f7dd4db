"""A learner's own messages beyond the day's topic: the gentle nudge, the weekly summary with its picture, a stage's
milestone, and the graduation with a certificate of the whole grid."""

from __future__ import annotations

from datetime import date

from bot.core import render
from bot.core.heatmap import CellState, Grid, render_png
from bot.core.i18n import Messages
from bot.core.model import Progress
from bot.core.replies import PictureReply, Reply, TextReply
from curriculum.loader import Curriculum
from curriculum.schema import week_days


def nudge_text(m: Messages, curriculum: Curriculum, plan_day: int) -> str:
    title = curriculum.topic(plan_day, m.language).day.title
    return m._(
        "🔔 A gentle nudge: today's topic, day {day} ({title}), is not done yet. There is still time. /done when "
        "you have finished, /today to see it again, /nudge off to stop these.",
        day=plan_day,
        title=title,
    )


def milestone(m: Messages, curriculum: Curriculum, week: int, progress: Progress | None = None) -> str | None:
    """A short word when `week` was the last week of a stage (not the plan's last: graduation says that)."""
    plan = curriculum.plan(m.language)
    stage = plan.weeks[week - 1].stage
    last_of_stage = max(w.week for w in plan.weeks if w.stage == stage)
    if week != last_of_stage or week >= curriculum.total_weeks:
        return None
    title = plan.stages[stage - 1].title
    text = m._("🏅 Stage {stage} of {stages} complete: {title}!", stage=stage, stages=len(plan.stages), title=title)
    if progress is not None:
        days = [d for w in plan.weeks if w.stage == stage for d in week_days(w.week)]
        done = sum(1 for d in days if d in progress.done_days)
        text += " " + m._("You did {done} of its {days} days.", done=done, days=len(days))
    next_stage = plan.stages[stage]
    return text + " " + m._("Next: {title}. 🎯 {goal}", title=next_stage.title, goal=next_stage.goal)


def weekly_summary(
    m: Messages, curriculum: Curriculum, week: int, progress: Progress, name: str
) -> list[Reply]:
    """The learner's week: days done, streak, next week's goal, and the week as a picture."""
    topics = curriculum.week_topics(week, m.language)
    days = list(week_days(week))
    done = sum(1 for d in days if d in progress.done_days)
    lines = [m._("📊 Your week {week}: {title}", week=week, title=topics[0].week.title),
             m._("Days done this week: {done}/7", done=done), render.streak_line(m, progress),
             m._("📈 {done}/{total} days", done=progress.done_count, total=progress.total_days)]  # fmt: skip
    missed = [d for d in days if d not in progress.done_days and progress.first_day <= d < progress.current_day]
    if missed:
        lines.append(m._("Missed: {days}. /catchup brings them back.", days=", ".join(map(str, missed))))
    if week < curriculum.total_weeks:
        upcoming = curriculum.week_topics(week + 1, m.language)[0].week
        lines += ["", m._("Next week, week {week}: {title}", week=week + 1, title=upcoming.title),
                  m._("🎯 {goal}", goal=upcoming.goal)]  # fmt: skip
    replies: list[Reply] = []
    if (word := milestone(m, curriculum, week, progress)) is not None:
        replies.append(TextReply(word))
    replies.append(TextReply("\n".join(lines)))
    grid = Grid(
        title=m._("Week {week}", week=week),
        subtitle=m._("{done}/7 days · streak {n}", done=done, n=progress.streak),
        row_labels=[name or m._("You")],
        column_labels=[str(d) for d in days],
        cells=[[CellState.DONE if d in progress.done_days else CellState.MISSED for d in days]],
        legend={CellState.DONE: m._("done"), CellState.MISSED: m._("missed")},
    )
    replies.append(PictureReply(render_png(grid), m._("Week {week}", week=week)))
    return replies


def graduation(
    m: Messages, curriculum: Curriculum, progress: Progress, name: str, on: date, *, all_done: bool
) -> list[Reply]:
    """The congratulation at the plan's end, with the whole grid as a certificate to share."""
    total = progress.total_days
    if all_done:
        text = m._(
            "🎓 Congratulations, you graduated! You finished the plan: {done}/{total} days done, longest streak "
            "{longest}. Here is your certificate to share.",
            done=progress.done_count, total=total, longest=progress.longest_streak,
        )  # fmt: skip
    else:
        text = m._(
            "🎓 You reached the end of the plan: {done}/{total} days done, longest streak {longest}. Here is your "
            "certificate. /catchup lists the days you missed; they still count.",
            done=progress.done_count, total=total, longest=progress.longest_streak,
        )  # fmt: skip
    text += "\n" + m._("/restart offers the plan again, from day 1 or only the days not done; your history stays.")
    grid = render.progress_grid(m, progress, curriculum)
    certificate = Grid(
        title=m._("Certificate · {plan}", plan=curriculum.plan(m.language).title),
        subtitle=m._("{name} · {done}/{total} days · longest streak {longest} · {date}", name=name or m._("You"),
                     done=progress.done_count, total=total, longest=progress.longest_streak,
                     date=on.isoformat()),
        row_labels=grid.row_labels,
        column_labels=grid.column_labels,
        cells=[[CellState.DONE if c in (CellState.DONE, CellState.TODAY_DONE) else CellState.MISSED for c in row]
               for row in grid.cells],
        legend={CellState.DONE: m._("done"), CellState.MISSED: m._("missed")},
    )
    caption = m._("🎓 {done}/{total} days", done=progress.done_count, total=total)
    return [TextReply(text), PictureReply(render_png(certificate), caption, caption)]
