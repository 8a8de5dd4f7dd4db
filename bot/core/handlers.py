"""One function per command; each reads the chat's state through Learners and says what happened."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import time
from typing import TypeVar

from bot.core import personal, render
from bot.core.events import Context
from bot.core.i18n import Messages, messages
from bot.core.learner import DoneOutcome, Learners, Subscribed
from bot.core.menu import MAX_NOTE, help_text
from bot.core.model import ChatKind, Subscription
from bot.core.parsing import looks_like_time, parse_language, parse_number, parse_time, parse_zone, suggest_zones
from bot.core.replies import Button, TopicCard
from bot.core.schedule import next_push_at
from bot.core.streaks import FREEZE_EVERY, MAX_FREEZES
from bot.core.zones import zone_label
from curriculum.schema import week_days

Handler = Callable[[Learners, Context], Awaitable[None]]
T = TypeVar("T")


def admin_only(handler: Handler) -> Handler:
    """In a group, only its admins may change the group's subscription; in a DM the person always may."""

    async def guarded(learners: Learners, ctx: Context) -> None:
        if not await ctx.is_admin():
            ctx.refuse(ctx.m._("Only this group's admins can change its subscription and settings."))
            return
        await handler(learners, ctx)

    return guarded


async def start(learners: Learners, ctx: Context) -> None:
    m = ctx.m
    if ctx.sub is not None and ctx.sub.unreachable:
        # The chat had blocked or removed the bot; /start means they want it back.
        ctx.say(m._("👋 Welcome back! Your daily topic is on again."))
        await subscribe(learners, ctx)
        return
    lines = [
        m._(
            "👋 Hi! I'm studybot. I walk you through a {weeks}-week plan to become a Python full-stack AI "
            "engineer, one topic a day.",
            weeks=learners.curriculum.total_weeks,
        ),
        "",
        m._("How it works:"),
        m._("1. /subscribe 08:30 Asia/Shanghai: pick your time and time zone."),
        m._("2. Every day at that time I send the day's topic: what to learn, a practice task, resources."),
        m._("3. Study, then press ✅ Done or send /done. I keep your streak and progress."),
        "",
        m._("Send /help for every command."),
    ]
    buttons = () if ctx.sub and ctx.sub.active else (Button(m._("🚀 Subscribe now"), "subscribe"),)
    ctx.say("\n".join(lines), *buttons)


async def help_(learners: Learners, ctx: Context) -> None:
    ctx.say(help_text(ctx.m, ctx.in_group))


_WEEK_WORD = re.compile(r"^(?:week|w|第)?([0-9]{1,3})周?$", re.IGNORECASE)


def _parse_when(ctx: Context) -> tuple[time | None, str | None, str | None, int | None]:
    """Read '[HH:MM] [Zone] [week N]' in any order; the third value is the first word we could not read, the
    fourth the week to start with."""
    at: time | None = None
    zone: str | None = None
    week: int | None = None
    words = ctx.args.split()
    i = 0
    while i < len(words):
        word = words[i]
        if week is None and word.lower() in ("week", "w") and i + 1 < len(words):
            word = "w" + words[i + 1]
            i += 1
        if at is None and (parsed := parse_time(word)) is not None:
            at = parsed
        elif zone is None and (found := parse_zone(word)) is not None:
            zone = found
        elif week is None and not word.isdigit() and (match := _WEEK_WORD.match(word)) is not None:
            week = int(match[1])
        else:
            return at, zone, word, week
        i += 1
    return at, zone, None, week


def _bad_time(ctx: Context, word: str) -> None:
    ctx.refuse(ctx.m._("“{word}” is not a time of day. Use 24-hour HH:MM, for example 08:30 or 21:00.", word=word[:40]))


def _bad_zone(ctx: Context, word: str) -> None:
    text = ctx.m._(
        "“{word}” is not a time zone I know. Use an IANA name such as Asia/Shanghai or "
        "Europe/London, or an offset like UTC+8 or UTC+5:30.",
        word=word[:40],
    )
    close = suggest_zones(word)
    if close:
        text += "\n" + ctx.m._("Did you mean: {names}?", names=", ".join(close))
    ctx.refuse(text)


def _bad_word(ctx: Context, word: str, at: time | None, zone: str | None) -> None:
    """Name the argument that is wrong: a word that starts like a time is a wrong time, any other a wrong zone;
    a second time or zone is one too many."""
    if at is not None and parse_time(word) is not None:
        ctx.refuse(ctx.m._("“{word}” is a second time of day; give one.", word=word[:40]))
    elif zone is not None and parse_zone(word) is not None:
        ctx.refuse(ctx.m._("“{word}” is a second time zone; give one.", word=word[:40]))
    elif looks_like_time(word):
        _bad_time(ctx, word)
    else:
        _bad_zone(ctx, word)


async def subscribe(learners: Learners, ctx: Context, *, resume: bool = False) -> None:
    at, zone, bad, week = _parse_when(ctx)
    usage = ctx.m._("Usage: /subscribe [HH:MM] [time zone] [week N], for example /subscribe 08:30 Asia/Shanghai")
    if bad is not None:
        _bad_word(ctx, bad, at, zone)
        ctx.refuse(usage)
        return
    if week is not None and not 1 <= week <= learners.curriculum.total_weeks:
        ctx.refuse(ctx.m._("The plan has weeks 1 to {weeks}.", weeks=learners.curriculum.total_weeks) + "\n" + usage)
        return
    inc = ctx.incoming
    goto = None if week is None else week_days(week)[0]
    result = await learners.subscribe(inc.address, inc.kind, ctx.m.language, at, zone, owner=inc.user_id, goto=goto,
                                      resume=resume)  # fmt: skip
    sub, m = result.sub, ctx.m
    when = m._("{time} ({zone})", time=sub.local_time.strftime("%H:%M"), zone=zone_label(sub.timezone))
    if resume:
        ctx.say(m._("▶️ Resumed: the daily topic is back, at {when}.", when=when))
        _topic_if_any(learners, ctx, result)
        return
    if result.already and goto is None:
        lines = [m._("You are already subscribed."), *_changes(m, result.before, sub, result.push_now),
                 m._("Daily topic at {when}.", when=when)]  # fmt: skip
        if result.push_now:
            lines.append(m._("Today's topic is on its way."))
        ctx.say("\n".join(lines))
        return
    ctx.say(
        m._("✅ Subscribed! Every day at {when} you get the day's topic.", when=when)
        + "\n"
        + m._("Change it any time with /time and /timezone.")
    )
    _topic_if_any(learners, ctx, result)


def _topic_if_any(learners: Learners, ctx: Context, result: Subscribed) -> None:
    if result.pushed_day is not None:
        ctx.replies.append(pushed_card(learners, ctx.m, result.sub, result.pushed_day))
    elif result.push_now:
        ctx.say(ctx.m._("Today's topic is on its way."))


def pushed_card(learners: Learners, m: Messages, sub: Subscription, day: int) -> TopicCard:
    """A day's topic as a reply: a DM's card, or a group's (each member presses ✅ for themselves)."""
    topic = learners.curriculum.topic(day, m.language)
    return render.topic_card(m, topic, done_by=[] if sub.kind is not ChatKind.PRIVATE else None)


def _changes(m: Messages, before: Subscription | None, after: Subscription, due_now: bool) -> list[str]:
    """What a /subscribe changed in a chat that was subscribed already."""
    if before is None:
        return []
    lines = []
    if before.local_time != after.local_time:
        lines.append(m._("⏰ Daily time changed from {old} to {new}.", old=before.local_time.strftime("%H:%M"),
                         new=after.local_time.strftime("%H:%M")))  # fmt: skip
    if before.timezone != after.timezone:
        lines.append(m._("🌍 Time zone changed from {old} to {new}.", old=zone_label(before.timezone),
                         new=zone_label(after.timezone)))  # fmt: skip
    if lines and (push := next_push_at(after)) is not None and not due_now:
        local = push.astimezone(after.zone)
        lines.append(m._("Next push: {when}", when=local.strftime("%Y-%m-%d %H:%M")))
    return lines


async def unsubscribe(learners: Learners, ctx: Context) -> None:
    await stop_pushes(
        learners, ctx, paused=False,
        not_running=ctx.m._("You are not subscribed. /subscribe starts the daily topic."),
        stopped=ctx.m._("Unsubscribed: no more daily topics. Your progress is kept, and /subscribe brings you "
                        "back where you left off."),
    )  # fmt: skip


async def stop_pushes(learners: Learners, ctx: Context, *, paused: bool, not_running: str, stopped: str) -> None:
    """/unsubscribe and /pause: the pushes stop and the progress stays; they differ in what /settings says."""
    if not (ctx.sub and ctx.sub.active):
        ctx.refuse(not_running)
        return
    inc = ctx.incoming
    await learners.update(inc.address, inc.kind, ctx.m.language, active=False, paused=paused)
    ctx.say(stopped)


async def set_time(learners: Learners, ctx: Context) -> None:
    usage = ctx.m._("Usage: /time HH:MM, for example /time 08:30")
    if (at := _argument(ctx, usage, parse_time, _bad_time)) is None:
        return
    sub = await _change(learners, ctx, at=at)
    ctx.say(ctx.m._("⏰ Daily time set to {time} ({zone}).", time=at.strftime("%H:%M"), zone=zone_label(sub.timezone)))
    _say_if_due_now(learners, ctx, sub)


async def set_zone(learners: Learners, ctx: Context) -> None:
    usage = ctx.m._("Usage: /timezone Area/City, for example /timezone Asia/Shanghai")
    if (zone := _argument(ctx, usage, parse_zone, _bad_zone)) is None:
        return
    sub = await _change(learners, ctx, zone=zone)
    at = sub.local_time.strftime("%H:%M")
    ctx.say(ctx.m._("🌍 Time zone set to {zone}; daily topic at {time}.", zone=zone_label(zone), time=at))
    _say_if_due_now(learners, ctx, sub)


def _argument(
    ctx: Context, usage: str, parse: Callable[[str], T | None], bad: Callable[[Context, str], None]
) -> T | None:
    """A command's one argument, parsed; None once the user has been told what is accepted."""
    if not ctx.args:
        ctx.refuse(usage)
        return None
    value = parse(ctx.args)
    if value is None:
        bad(ctx, ctx.args)
    return value


async def _change(learners: Learners, ctx: Context, *, at: time | None = None, zone: str | None = None) -> Subscription:
    inc = ctx.incoming
    return await learners.update(inc.address, inc.kind, ctx.m.language, at=at, zone=zone)


def _say_if_due_now(learners: Learners, ctx: Context, sub: Subscription) -> None:
    # The new time has already passed today and today's topic has not gone out: it comes with the next pass, which
    # runs at once. (Due at the instant of the change; a moving clock reads later now, so never compare equal.)
    if sub.next_due_at is not None and sub.next_due_at <= learners.clock.now():
        ctx.say(ctx.m._("Today's topic is on its way."))


async def set_language(learners: Learners, ctx: Context) -> None:
    language = parse_language(ctx.args)
    if language is None:
        ctx.refuse(ctx.m._("Usage: /lang zh or /lang en"))
        return
    inc = ctx.incoming
    await learners.update(inc.address, inc.kind, ctx.m.language, new_language=language)
    ctx.say(messages(language)._("Language set to English."))


async def today(learners: Learners, ctx: Context) -> None:
    m, sub = ctx.m, ctx.sub
    if sub is None or sub.start_date is None:
        ctx.say(m._("You are not subscribed yet. Here is day 1 as a preview; /subscribe to start."))
        ctx.replies.append(render.topic_card(m, learners.curriculum.topic(1, m.language), buttons=False))
        return
    if learners.finished(sub):
        ctx.say(m._("🎓 You have reached the end of the plan. /progress shows your whole journey."))
        return
    day = learners.current_day(sub)
    topic = learners.curriculum.topic(day, m.language)
    if sub.kind is not ChatKind.PRIVATE:
        # Everyone in a group may see this card, so it keeps the ✅ Done button for them rather than showing
        # whether the asker is done (a platform with private replies shows it to the asker alone).
        ctx.replies.append(replace(render.topic_card(m, topic), private=True))
        return
    found = await learners.progress(ctx.incoming.address, ctx.incoming.user_id)
    done = bool(found and day in found[1].done_days)
    ctx.replies.append(render.topic_card(m, topic, done=done))


async def week(learners: Learners, ctx: Context) -> None:
    found = await learners.progress(ctx.incoming.address, ctx.incoming.user_id)
    if found is None:
        ctx.say(ctx.m._("You are not subscribed yet. /subscribe to start with week 1."), private=True)
        return
    sub, progress = found
    notes = {c.plan_day: c.note for c in await learners.notes(sub, ctx.incoming.user_id) if c.round == sub.round}
    ctx.say(render.week_text(ctx.m, learners.curriculum, ctx.m.language, progress, notes), private=True)


def _day_and_note(text: str, total_days: int) -> tuple[int | None, str]:
    """'/done 12 read it twice' marks day 12 with a note; a first word that is no plan day is part of the note."""
    first, _, rest = text.strip().partition(" ")
    day = parse_number(first, digits=3)
    if day is not None and 1 <= day <= total_days:
        return day, rest.strip()
    return None, text


async def done(learners: Learners, ctx: Context) -> None:
    m, inc = ctx.m, ctx.incoming
    day, note = _day_and_note(ctx.args, learners.curriculum.total_days)
    if len(note) > MAX_NOTE:
        ctx.refuse(
            m._(
                "That note is {n} characters long; notes can be up to {max}. Nothing was recorded.",
                n=len(note),
                max=MAX_NOTE,
            )
        )
        return
    result = await learners.done(ctx.sub, inc.user_id, inc.user_name, day, note, sent_at=inc.sent_at)
    if result.outcome is DoneOutcome.NOT_SUBSCRIBED:
        ctx.refuse(m._("Subscribe first: /subscribe 08:30 Asia/Shanghai (your time and zone)."))
        return
    if result.outcome is DoneOutcome.NOT_YET:
        ctx.refuse(m._("Day {day} has not started yet.", day=result.plan_day) + " " +
                   m._("/goto {day} jumps there.", day=result.plan_day))  # fmt: skip
        return
    assert result.progress is not None
    title = learners.curriculum.topic(result.plan_day, m.language).day.title
    if result.outcome is DoneOutcome.NOTE_ADDED:
        ctx.say(m._("Day {day} was already marked done; your note is added to it. {streak}", day=result.plan_day,
                    streak=render.streak_line(m, result.progress)))  # fmt: skip
        return
    if result.outcome is DoneOutcome.ALREADY:
        ctx.say(
            m._(
                "Day {day} is already marked done. {streak}",
                day=result.plan_day,
                streak=render.streak_line(m, result.progress),
            )
        )
        return
    lines = [
        m._("✅ Day {day} done: {title}", day=result.plan_day, title=title),
        render.streak_line(m, result.progress),
        m._("📈 {done}/{total} days", done=result.progress.done_count, total=result.progress.total_days),
    ]
    if result.progress.streak in (3, 7, 14, 30, 50, 100) and result.progress.completed_today:
        lines.append(m._("🎉 {n} days in a row. Keep it going!", n=result.progress.streak))
    if result.progress.streak == FREEZE_EVERY and result.progress.freezes and result.progress.completed_today:
        lines.append(m._("🧊 You earned a streak freeze: a missed study day will not break your streak."))
    ctx.say("\n".join(lines), private=ctx.in_group and result.graduated)
    if result.graduated:
        assert ctx.sub is not None
        ctx.replies.extend(replace(r, private=ctx.in_group) for r in personal.graduation(
            m, learners.curriculum, result.progress, inc.user_name, learners.today(ctx.sub), all_done=True)
        )  # fmt: skip


async def streak(learners: Learners, ctx: Context) -> None:
    inc, m = ctx.incoming, ctx.m
    found = await learners.progress(inc.address, inc.user_id)
    if found is None:
        private = inc.kind is ChatKind.PRIVATE
        groups = await learners.group_streak(inc.address.platform, inc.user_id) if private else None
        if groups is None:
            ctx.say(m._("No streak yet: /subscribe, then /done each day."), private=True)
            return
        lines = [render.streak_text(m, groups.current, groups.longest),
                 m._("Counted from the days you studied in your groups.")]  # fmt: skip
        if not groups.today_done:
            lines.append(m._("Today is not done yet: /done keeps the streak alive."))
        lines.append(m._("/subscribe here to get your own daily topic too."))
        ctx.say("\n".join(lines), private=True)
        return
    progress = found[1]
    lines = [render.streak_line(m, progress)]
    held = m._("🧊 Freezes: {n} of {max}.", n=progress.freezes, max=MAX_FREEZES)
    lines.append(held + " " + m._("A 7-day run earns one; a missed study day spends one instead of breaking it."))
    if progress.completed_today:
        lines.append(m._("Today is done ✅ See you tomorrow."))
    else:
        lines.append(m._("Today is not done yet: /done keeps the streak alive."))
    ctx.say("\n".join(lines), private=True)


async def progress(learners: Learners, ctx: Context) -> None:
    found = await learners.progress(ctx.incoming.address, ctx.incoming.user_id)
    if found is None:
        ctx.say(ctx.m._("No progress yet: /subscribe to start the plan."), private=True)
        return
    ctx.replies.append(replace(render.progress_picture(ctx.m, found[1], learners.curriculum), private=True))


async def settings(learners: Learners, ctx: Context) -> None:
    sub = ctx.sub or learners.new_chat(ctx.incoming.address, ctx.incoming.kind, ctx.m.language)
    found = await learners.progress(ctx.incoming.address, ctx.incoming.user_id)
    today = learners.today(sub)
    ctx.say(render.settings_text(ctx.m, sub, found[1] if found else None, today, learners.finished(sub)))


HANDLERS: dict[str, Handler] = {
    "start": start,
    "help": help_,
    "subscribe": admin_only(subscribe),
    "unsubscribe": admin_only(unsubscribe),
    "time": admin_only(set_time),
    "timezone": admin_only(set_zone),
    "lang": admin_only(set_language),
    "today": today,
    "week": week,
    "done": done,
    "streak": streak,
    "progress": progress,
    "settings": settings,
}
