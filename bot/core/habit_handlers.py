"""Commands for a learner's own rhythm: /pause and /resume, /days, /pace, /nudge, /goto, /catchup, /notes and
/restart. In a group the chat's settings are its admins' (admin_only where they are registered); a person's own
(pace, nudges) live in their DM."""

from __future__ import annotations

import re

from bot.core import habits, own_data, render
from bot.core.events import Context
from bot.core.handlers import Handler, admin_only, pushed_card, subscribe
from bot.core.i18n import Messages
from bot.core.learner import Learners
from bot.core.model import Pace, Progress, started
from bot.core.parsing import parse_number, parse_time
from bot.core.replies import Button, TextReply
from bot.core.schedule import QUIET_FROM, nudge_time
from bot.core.studydays import days_on, parse_days, pause_ahead
from curriculum.loader import Curriculum
from curriculum.schema import week_days

# A catch-up list shows this many missed days at a time, two to a row of buttons (Discord allows 5 rows of 5).
CATCHUP_SHOWN = 10
NOTES_SHOWN = 40


def _not_in_group(ctx: Context) -> bool:
    """Refuse a person's own setting in a group; True if refused."""
    if ctx.in_group:
        ctx.refuse(ctx.m._("That is a setting of your own: send it to me in a DM."))
    return ctx.in_group


async def pause(learners: Learners, ctx: Context) -> None:
    m = ctx.m
    days: int | None = None
    if ctx.args:
        days = parse_number(ctx.args, digits=3)
        if days is None or not 1 <= days <= habits.MAX_PAUSE_DAYS:
            ctx.refuse(m._("Usage: /pause (until /resume) or /pause 3 (that many days, up to {max}).",
                           max=habits.MAX_PAUSE_DAYS))  # fmt: skip
            return
    again = days is None and ctx.sub is not None and ctx.sub.paused  # paused until /resume already
    result = None if again else await habits.pause(learners, ctx.incoming.address, days)
    if result is None:
        ctx.refuse(m._("The daily topic is not running here. /resume or /subscribe starts it."))
        return
    safe = m._("Streaks are safe meanwhile: a paused day neither breaks nor grows them.")
    if result.until is None:
        ctx.say(m._("⏸ Paused. Progress is kept; /resume picks up where you left off, with day {day}.",
                    day=result.next_day) + "\n" + safe)  # fmt: skip
        return
    ctx.say(m.ngettext("⏸ Paused for {n} day: the daily topic comes back on {date}, with day {day}.",
                       "⏸ Paused for {n} days: the daily topic comes back on {date}, with day {day}.", days or 0,
                       date=render.short_date(m, result.until), day=result.next_day)
            + "\n" + safe + "\n" + m._("/resume ends the pause sooner."))  # fmt: skip


async def resume(learners: Learners, ctx: Context) -> None:
    sub = ctx.sub
    timed = sub is not None and sub.active and pause_ahead(sub.schedule, learners.today(sub)) is not None
    if sub and sub.active and not timed:
        ctx.refuse(ctx.m._("The daily topic is already running here."))
        return
    await subscribe(learners, ctx, resume=True)


async def days(learners: Learners, ctx: Context) -> None:
    m, inc = ctx.m, ctx.incoming
    if not ctx.args:
        current = days_on(ctx.sub.schedule, learners.today(ctx.sub)) if ctx.sub else 0b1111111
        ctx.say(m._("📅 Study days: {days}.", days=render.days_text(m, current)) + "\n" + _days_usage(ctx))
        return
    mask = parse_days(ctx.args)
    if mask is None:
        ctx.refuse(m._("“{word}” are not days of the week I know.", word=ctx.args[:40]) + "\n" + _days_usage(ctx))
        return
    sub = await habits.set_days(learners, inc.address, inc.kind, m.language, mask)
    lines = [m._("📅 Study days: {days}.", days=render.days_text(m, mask)),
             m._("Pushes, the calendar pace and streaks follow them: a rest day neither breaks nor grows a streak.")]
    if sub.active and sub.next_due_at is not None and sub.next_due_at <= learners.clock.now():
        lines.append(m._("Today's topic is on its way."))
    ctx.say("\n".join(lines))


def _days_usage(ctx: Context) -> str:
    return ctx.m._("Change them with /days mon-fri, /days mon,wed,fri or /days every day.")


async def pace(learners: Learners, ctx: Context) -> None:
    m = ctx.m
    if _not_in_group(ctx):
        return
    explain = [m._("calendar: a new day every study day, whatever was done (the default)."),
               m._("self: each push is the next day you have not done, so a missed day loses no content.")]
    words = ctx.args.strip().lower()
    chosen = {"calendar": Pace.CALENDAR, "self": Pace.SELF, "日历": Pace.CALENDAR, "自己": Pace.SELF}.get(words)
    if chosen is None:
        current = ctx.sub.pace if ctx.sub else Pace.CALENDAR
        text = m._("Your pace: {pace}.", pace=current.value) + "\n" + "\n".join(explain)
        if words:
            ctx.refuse(m._("Usage: /pace calendar or /pace self") + "\n" + "\n".join(explain))
        else:
            ctx.say(text + "\n" + m._("Usage: /pace calendar or /pace self"))
        return
    found = await learners.progress(ctx.incoming.address, ctx.incoming.user_id)
    sub = await habits.set_pace(learners, ctx.incoming.address, chosen, found[1].done_days if found else frozenset())
    if sub is None:
        ctx.refuse(m._("Subscribe first: /subscribe 08:30 Asia/Shanghai (your time and zone)."))
        return
    if chosen is Pace.SELF:
        day = min(sub.start_day, learners.curriculum.total_days)
        ctx.say(m._("🐢 Self pace: your next push is day {day}, the next one you have not done, and each push after "
                    "it is the next day not done.", day=day))  # fmt: skip
    else:
        ctx.say(m._("📅 Calendar pace: a new day every study day, from day {day} today.",
                    day=learners.current_day(sub)))  # fmt: skip


async def nudge(learners: Learners, ctx: Context) -> None:
    m, inc = ctx.m, ctx.incoming
    if _not_in_group(ctx):
        return
    words = ctx.args.strip().lower()
    usage = m._("Usage: /nudge off, /nudge on, or /nudge 19:30 (before 22:00, after your daily time).")
    sub = ctx.sub or learners.new_chat(inc.address, inc.kind, m.language)
    if not words:
        at = nudge_time(sub)
        state = m._("🔔 Nudge at {time} if the day's topic is not done.", time=at.strftime("%H:%M")) if at else \
            m._("🔕 No nudge.")
        ctx.say(state + "\n" + usage)
        return
    if words in ("off", "关", "关闭"):
        await learners.update(inc.address, inc.kind, m.language, nudge=(False, sub.nudge_time))
        ctx.say(m._("🔕 Nudges off. /nudge on brings them back."))
        return
    chosen = sub.nudge_time
    if words not in ("on", "开", "打开"):
        chosen = parse_time(words)
        if chosen is None:
            ctx.refuse(usage)
            return
        if chosen > QUIET_FROM:
            ctx.refuse(m._("Nudges never come after 22:00. Pick an earlier time."))
            return
        if chosen <= sub.local_time:
            ctx.refuse(m._("A nudge comes after the day's topic ({time}): pick a later time.",
                           time=sub.local_time.strftime("%H:%M")))  # fmt: skip
            return
    changed = await learners.update(inc.address, inc.kind, m.language, nudge=(True, chosen))
    at = nudge_time(changed)
    if at is None:
        ctx.say(m._("🔔 Nudges on, but your daily time leaves no room before 22:00: pick a time with /nudge 21:00."))
        return
    ctx.say(m._("🔔 Nudge on: at {time} on days your topic is not done yet; never after 22:00, never twice a day.",
                time=at.strftime("%H:%M")))  # fmt: skip


_WEEK = re.compile(r"^(?:week|w|第)\s*([0-9]{1,3})\s*周?$", re.IGNORECASE)


def parse_day_or_week(text: str, total_days: int) -> int | None:
    """'12' -> day 12; 'week 3', 'w3', '第3周' -> day 15 (the week's first); None if not a day of the plan."""
    words = text.strip()
    if (match := _WEEK.match(words)) is not None:
        week = int(match[1])
        day = week_days(week)[0] if week >= 1 else 0
    else:
        day = parse_number(words, digits=3) or 0
    return day if 1 <= day <= total_days else None


async def goto(learners: Learners, ctx: Context) -> None:
    m, total = ctx.m, learners.curriculum.total_days
    day = parse_day_or_week(ctx.args, total)
    if day is None:
        ctx.refuse(m._("Usage: /goto 29 or /goto week 5 (a plan day from 1 to {total}).", total=total))
        return
    moved = await habits.goto(learners, ctx.incoming.address, day)
    if moved is None:
        ctx.refuse(m._("Subscribe first; /subscribe 08:30 Asia/Shanghai week {week} starts further in.",
                       week=(day - 1) // 7 + 1))  # fmt: skip
        return
    ctx.say(m._("⏩ Day {day} is today's topic now; the plan goes on from there. /catchup counts from day {first}.",
                day=day, first=moved.sub.first_day))  # fmt: skip
    if moved.pushed or not ctx.in_group:
        ctx.replies.append(pushed_card(learners, ctx.m, moved.sub, day))
    elif moved.sub.next_due_at is not None and moved.sub.next_due_at <= learners.clock.now():
        ctx.say(m._("Today's topic is on its way."))


def catchup_actions(day: int, user_id: str) -> tuple[str, str]:
    """('open:12', 'catchup:12:42'): show a day's card; mark it done for the person who asked (< 64 bytes)."""
    return f"open:{day}", f"catchup:{day}:{user_id}"


def catchup_list(m: Messages, curriculum: Curriculum, progress: Progress, user_id: str) -> TextReply:
    """The days missed (from where this run began), oldest first, each with a button to open it and one to mark it
    done; only the asker's presses count."""
    missed = progress.missed
    if not missed:
        return TextReply(m._("Nothing to catch up: every day up to today's is done ✅"), private=True)
    shown = missed[:CATCHUP_SHOWN]
    lines = [m.ngettext("📚 {n} day to catch up:", "📚 {n} days to catch up:", len(missed))]
    buttons: list[Button] = []
    for i, day in enumerate(shown):
        lines.append(m._("Day {day}: {title}", day=day, title=curriculum.topic(day, m.language).day.title))
        show, mark = catchup_actions(day, user_id)
        row = i // 2
        buttons += [Button(m._("📖 {day}", day=day), show, row), Button(m._("✅ {day}", day=day), mark, row)]
    if len(missed) > len(shown):
        lines.append(m._("… and {n} more after these.", n=len(missed) - len(shown)))
    lines += ["", m._("📖 opens a day; ✅ marks it done (it counts today, for your streak too). /done 12 works too.")]
    return TextReply("\n".join(lines), tuple(buttons), private=True)


async def catchup(learners: Learners, ctx: Context) -> None:
    found = await learners.progress(ctx.incoming.address, ctx.incoming.user_id)
    if found is None:
        ctx.refuse(ctx.m._("Subscribe first: /subscribe 08:30 Asia/Shanghai (your time and zone)."))
        return
    ctx.replies.append(catchup_list(ctx.m, learners.curriculum, found[1], ctx.incoming.user_id))


async def notes(learners: Learners, ctx: Context) -> None:
    m, inc = ctx.m, ctx.incoming
    week = None
    if ctx.args:
        day = parse_day_or_week(ctx.args, learners.curriculum.total_days)
        if day is None or _WEEK.match(ctx.args.strip()) is None:
            ctx.refuse(m._("Usage: /notes, or /notes week 3 for one week."))
            return
        week = (day - 1) // 7 + 1
    if not started(ctx.sub):
        ctx.say(m._("No notes yet: /done with a few words keeps one with the day."), private=True)
        return
    written = await learners.notes(ctx.sub, inc.user_id)
    if week is not None:
        written = [w for w in written if w.plan_day in week_days(week)]
    if not written:
        ctx.say(m._("No notes yet: /done with a few words keeps one with the day."), private=True)
        return
    lines = [m._("📝 Your notes, week {week}:", week=week) if week else m._("📝 Your notes:")]
    for done in written[-NOTES_SHOWN:]:
        label = m._("Day {day}", day=done.plan_day)
        if done.round > 1:
            label += " " + m._("(run {round})", round=done.round)
        lines.append(f"{label} · {done.local_date.isoformat()}: {done.note}")
    if len(written) > NOTES_SHOWN:
        lines.append(m._("… and {n} earlier: /export has them all.", n=len(written) - NOTES_SHOWN))
    ctx.say("\n".join(lines), private=True)


async def restart(learners: Learners, ctx: Context) -> None:
    m, inc = ctx.m, ctx.incoming
    if not started(ctx.sub):
        ctx.refuse(m._("Subscribe first: /subscribe 08:30 Asia/Shanghai (your time and zone)."))
        return
    buttons = [Button(m._("🔁 From day 1"), f"restart:all:{inc.user_id}")]
    text = m._("Go through the plan again? From day 1 starts a new run: your streak, your notes and what you did "
               "stay in your history (/export).")  # fmt: skip
    if not ctx.in_group:
        buttons.append(Button(m._("🧩 Only the days not done"), f"restart:gaps:{inc.user_id}"))
        text += "\n" + m._("Or only the days you have not done, one a day at your own pace.")
    ctx.say(text, *buttons, private=True)


HABIT_HANDLERS: dict[str, Handler] = {
    "pause": admin_only(pause),
    "resume": admin_only(resume),
    "days": admin_only(days),
    "pace": pace,
    "nudge": nudge,
    "goto": admin_only(goto),
    "catchup": catchup,
    "notes": notes,
    "restart": admin_only(restart),
    "export": own_data.export,
}
