"""The weekly wrap-up a group gets when a study week ends: a stage's milestone when one ends, topics, who finished
how many, streaks, a nudge, and the week as a picture."""

from __future__ import annotations

from datetime import date

from bot.core.groups import Standing, standings
from bot.core.heatmap import CellState, Grid, render_png
from bot.core.i18n import messages
from bot.core.model import Completion, Subscription
from bot.core.personal import milestone
from bot.core.replies import PictureReply, Reply, TextReply
from curriculum.loader import Curriculum
from curriculum.schema import week_days


def weekly_summary(
    sub: Subscription, week: int, completions: list[Completion], today: date, curriculum: Curriculum
) -> list[Reply]:
    m = messages(sub.language)
    topics = curriculum.week_topics(week, sub.language)
    rows = standings(completions, week, today, sub.studies_on if sub.schedule else None, sub.round)
    lines = [m._("📊 Week {week} wrap-up: {title}", week=week, title=topics[0].week.title), ""]
    lines += [f"{t.plan_day}. {t.day.title}" for t in topics]
    lines.append("")
    if rows:
        lines.append(m._("Finished this week:"))
        lines += [f"• {r.name}: {r.week_done}/7" for r in rows[:20]]
        best = sorted(rows, key=lambda r: -r.longest)[:3]
        lines.append(m._("🔥 Longest streaks: {list}", list=", ".join(f"{r.name} {r.longest}" for r in best)))
    else:
        lines.append(m._("Nobody marked a day done this week. A fresh week is a fresh start!"))
    if week < curriculum.total_weeks:
        next_title = curriculum.week_topics(week + 1, sub.language)[0].week.title
        lines += ["", m._("Next up, week {week}: {title}. See you there! 💪", week=week + 1, title=next_title)]
    else:
        lines += ["", m._("🎓 That was the plan's last week. Congratulations to everyone who studied along!")]
    replies: list[Reply] = [TextReply("\n".join(lines))]
    if (word := milestone(m, curriculum, week)) is not None:
        replies.insert(0, TextReply(word))
    if rows:
        replies.append(PictureReply(render_png(_grid(rows[:60], week, m.language)), m._("Week {week}", week=week)))
    return replies


def _grid(rows: list[Standing], week: int, language: str) -> Grid:
    m = messages(language)
    days = list(week_days(week))
    return Grid(
        title=m._("Week {week}", week=week),
        subtitle=m.ngettext("{n} member", "{n} members", len(rows)),
        row_labels=[r.name for r in rows],
        column_labels=[str(d) for d in days],
        cells=[[CellState.DONE if d in r.done_days else CellState.MISSED for d in days] for r in rows],
        legend={CellState.DONE: m._("done"), CellState.MISSED: m._("missed")},
    )
