"""Turns topics, progress and settings into replies in the chat's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.fitting import clip as clip_text
from bot.core.heatmap import CellState, Grid, render_png
from bot.core.i18n import Messages
from bot.core.menu import N_
from bot.core.model import ChatKind, Pace, Progress, Subscription
from bot.core.ports import MISSING_PERMISSIONS, SLOW_MODE
from bot.core.replies import Button, PictureReply, Section, TextReply, TopicCard
from bot.core.schedule import next_push_at, nudge_time
from bot.core.studydays import ALL_DAYS, days_on, pause_ahead, weekday_runs
from bot.core.zones import zone_label
from curriculum.loader import Curriculum, Topic
from curriculum.schema import DAYS_PER_WEEK, DayKind, week_days, week_of

# How much of a note /week shows under its day (/notes shows all of it).
NOTE_SHOWN = 120
KIND_MARK = {DayKind.LESSON: "📘", DayKind.PROJECT: "🛠", DayKind.REVIEW: "🔁"}
CELL_MARK = {
    CellState.DONE: "✅",
    CellState.TODAY_DONE: "✅",
    CellState.MISSED: "▫️",
    CellState.TODAY: "👉",
    CellState.UPCOMING: "⬜",
}


def done_action(plan_day: int) -> str:
    return f"done:{plan_day}"


def topic_card(
    m: Messages, topic: Topic, *, done: bool = False, buttons: bool = True, done_by: Sequence[str] | None = None
) -> TopicCard:
    """A day's card; `done_by` makes it a group's card, with who has finished so far instead of a personal state."""
    day, week = topic.day, topic.week
    sections = [
        Section(m._("What to learn"), tuple(day.points)),
        Section(m._("Practice"), (day.practice,)),
    ]
    if day.resources:
        lines = tuple(f"{r.title} — {r.url}" if r.url else r.title for r in day.resources)
        sections.append(Section(m._("Resources"), lines))
    heading = m._(
        "📅 Day {day}/{total} · Week {week}: {week_title}",
        day=topic.plan_day,
        total=topic.total_days,
        week=week.week,
        week_title=week.title,
    )
    keys: tuple[Button, ...] = ()
    if done_by is not None:
        if done_by:
            footer = m._("✅ Done so far ({n}): {names}", n=len(done_by), names=", ".join(done_by[:30]))
        else:
            footer = m._("Each of you: press ✅ Done when you have finished.")
        keys = (Button(m._("✅ Done"), done_action(topic.plan_day)), Button(m._("🗓 This week"), "week"))
    elif done:
        footer = m._("✅ Done. Well played!")
    else:
        footer = m._("When you have finished, press the button or send /done.")
        if buttons:
            keys = (Button(m._("✅ Done"), done_action(topic.plan_day)), Button(m._("🗓 This week"), "week"))
    return TopicCard(topic.plan_day, heading, f"{KIND_MARK[day.kind]} {day.title}", tuple(sections), footer, keys)


def cell_state(plan_day: int, progress: Progress) -> CellState:
    done = plan_day in progress.done_days
    if plan_day == progress.current_day:
        return CellState.TODAY_DONE if done else CellState.TODAY
    if done:
        return CellState.DONE
    # Days skipped ahead with /goto were never due: not missed.
    missed = progress.first_day <= plan_day < progress.current_day
    return CellState.MISSED if missed else CellState.UPCOMING


def streak_line(m: Messages, progress: Progress) -> str:
    line = streak_text(m, progress.streak, progress.longest_streak)
    if progress.freezes:
        line += " " + m.ngettext("🧊 {n} freeze", "🧊 {n} freezes", progress.freezes)
    return line


def streak_text(m: Messages, streak: int, longest: int) -> str:
    return m.ngettext("🔥 Streak: {n} day (longest {longest})", "🔥 Streak: {n} days (longest {longest})", streak,
                      longest=longest)  # fmt: skip


def freeze_note(m: Messages, progress: Progress, days: tuple[date, ...]) -> str:
    """What a DM's person hears once about missed days a freeze covered."""
    when = ", ".join(short_date(m, day) for day in days)
    note = m.ngettext("🧊 A streak freeze covered {days}, a study day you missed: your streak is safe.",
                      "🧊 Streak freezes covered {days}, study days you missed: your streak is safe.", len(days),
                      days=when)  # fmt: skip
    left = m.ngettext("{n} freeze left.", "{n} freezes left.", progress.freezes)
    return f"{note} {left}"


WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def short_date(m: Messages, day: date) -> str:
    """'Tue 2026-03-03' in the chat's language."""
    return f"{m._(WEEKDAY_NAMES[day.weekday()])} {day.isoformat()}"


def days_text(m: Messages, days: int) -> str:
    """Study weekdays as people say them: 'every day', 'Mon–Fri', 'Mon, Wed, Fri'."""
    if days == ALL_DAYS:
        return m._("every day")
    parts = []
    for first, last in weekday_runs(days):
        names = m._(WEEKDAY_NAMES[first]), m._(WEEKDAY_NAMES[last])
        parts.append(names[0] if first == last else f"{names[0]}–{names[1]}" if last > first + 1
                     else f"{names[0]}, {names[1]}")  # fmt: skip
    return ", ".join(parts)


def progress_summary(m: Messages, progress: Progress, weeks: int) -> str:
    percent = round(100 * progress.done_count / progress.total_days)
    week = week_of(progress.current_day)
    return "\n".join(
        [
            m._(
                "📈 Done {done}/{total} days ({percent}%)",
                done=progress.done_count,
                total=progress.total_days,
                percent=percent,
            ),
            m._("📍 Today is day {day} · week {week}/{weeks}", day=progress.current_day, week=week, weeks=weeks),
            streak_line(m, progress),
        ]
    )


def progress_grid_text(progress: Progress, weeks: int) -> str:
    """The grid as emoji rows, up to the current week: the picture's fallback for plain-text chats."""
    shown = min(weeks, week_of(progress.current_day))
    rows = []
    for week in range(1, shown + 1):
        cells = "".join(CELL_MARK[cell_state(d, progress)] for d in week_days(week))
        rows.append(f"W{week:02d} {cells}")
    return "\n".join(rows)


def progress_grid(m: Messages, progress: Progress, curriculum: Curriculum) -> Grid:
    """The 20 x 7 picture's content, every word of it in the chat's language."""
    weeks = curriculum.total_weeks
    return Grid(
        title=m._("Progress {done}/{total}", done=progress.done_count, total=progress.total_days),
        subtitle=m._("Streak {n} · longest {longest}", n=progress.streak, longest=progress.longest_streak),
        row_labels=[f"W{w}" for w in range(1, weeks + 1)],
        column_labels=[str(d) for d in range(1, DAYS_PER_WEEK + 1)],
        cells=[
            [cell_state(d, progress) for d in week_days(w)]
            for w in range(1, weeks + 1)
        ],
        legend={
            CellState.DONE: m._("done"),
            CellState.MISSED: m._("missed"),
            CellState.TODAY: m._("today"),
            CellState.UPCOMING: m._("upcoming"),
        },
    )


def progress_picture(m: Messages, progress: Progress, curriculum: Curriculum) -> PictureReply:
    weeks = curriculum.total_weeks
    summary = progress_summary(m, progress, weeks)
    fallback = summary + "\n\n" + progress_grid_text(progress, weeks)
    return PictureReply(render_png(progress_grid(m, progress, curriculum)), summary, fallback)


def week_text(
    m: Messages, curriculum: Curriculum, language: str, progress: Progress, notes: dict[int, str] | None = None
) -> str:
    """This week's seven topics, each with what is done and, under it, the learner's note for the day."""
    week_number = week_of(progress.current_day)
    topics = curriculum.week_topics(week_number, language)
    week = topics[0].week
    lines = [
        m._("🗓 Week {week}/{weeks}: {title}", week=week.week, weeks=curriculum.total_weeks, title=week.title),
        m._("🎯 {goal}", goal=week.goal),
        "",
    ]
    for topic in topics:
        mark = CELL_MARK[cell_state(topic.plan_day, progress)]
        lines.append(m._("{mark} Day {day}: {title}", mark=mark, day=topic.plan_day, title=topic.day.title))
        if note := (notes or {}).get(topic.plan_day):
            lines.append(f"    📝 {clip_text(note.replace(chr(10), ' / '), NOTE_SHOWN, len)}")
    return "\n".join(lines)


def settings_text(m: Messages, sub: Subscription, progress: Progress | None, today: date, finished: bool) -> str:
    language_names = {"en": "English", "zh": "中文"}
    ahead = pause_ahead(sub.schedule, today)
    if finished and (sub.active or sub.graduated_on is not None):
        status = m._("finished 🎓 (/restart goes again)")
    elif sub.active and ahead is not None and ahead[1] is not None and ahead[0] <= today:
        status = m._("paused until {date} ⏸ (topics come back that day; /resume sooner)", date=short_date(m, ahead[1]))
    elif sub.active:
        status = m._("subscribed ✅")
    elif sub.paused:
        status = m._("paused ⏸ (/resume picks up where you left off)")
    else:
        status = m._("not subscribed")
    lines = [
        m._("⚙️ Settings"),
        m._("Status: {status}", status=status),
        m._("Daily time: {time}", time=sub.local_time.strftime("%H:%M")),
        m._("Time zone: {zone}", zone=zone_label(sub.timezone)),
        m._("Language: {language}", language=language_names.get(sub.language, sub.language)),
        m._("Study days: {days}", days=days_text(m, days_on(sub.schedule, today))),
    ]
    if sub.active and ahead is not None and ahead[0] > today:
        end = short_date(m, ahead[1]) if ahead[1] else "/resume"
        lines.append(m._("Pause planned: from {start} to {end}", start=short_date(m, ahead[0]), end=end))
    if sub.kind is ChatKind.PRIVATE:
        pace = m._("self (the next day not done)") if sub.pace is Pace.SELF else m._("calendar (a day per study day)")
        lines.append(m._("Pace: {pace}", pace=pace))
        nudge = nudge_time(sub)
        lines.append(m._("Nudge: {time} if the day's topic is not done", time=nudge.strftime("%H:%M")) if nudge
                     else m._("Nudge: off"))  # fmt: skip
    if sub.start_date and progress:
        lines.append(
            m._("Started: {date} (today is day {day})", date=sub.start_date.isoformat(), day=progress.current_day)
        )
    if sub.active and not finished and (push := next_push_at(sub)) is not None:
        local = push.astimezone(sub.zone)
        lines.append(m._("Next push: {when}", when=local.strftime("%Y-%m-%d %H:%M")))
    lines += ["", m._("Change with /time HH:MM, /timezone Area/City, /lang zh|en, /days, /pause, /pace, /nudge.")]
    return "\n".join(lines)


def posting_problem(m: Messages, reason: str) -> str:
    """What an admin reads while the bot may not post in their chat: what is wrong, and how to fix it."""
    if reason == MISSING_PERMISSIONS:
        problem = m._(
            "⚠️ I could not post the daily topic in this channel: I am missing permissions. An admin can fix it by "
            "giving me View Channel, Send Messages and Embed Links here."
        )
    elif reason == SLOW_MODE:
        problem = m._(
            "⚠️ I could not post the daily topic here because of slow mode. An admin can fix it by turning slow "
            "mode off, or by making me an admin."
        )
    else:
        problem = m._(
            "⚠️ I could not post the daily topic here: this chat does not let me send messages (I may be muted or "
            "restricted). An admin can fix it by allowing me to post, or by making me an admin."
        )
    return problem + " " + m._("I keep the subscription and try again at the next push; /today shows today's topic.")


def announcement(m: Messages, text: str) -> TextReply:
    """An operator's announcement (`studybot broadcast`) as a chat reads it: the operator's own text, as written,
    under a heading in the chat's language."""
    return TextReply(m._("📢 Announcement") + "\n\n" + text)
