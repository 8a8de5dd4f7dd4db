"""A learner's own data: /export sends it as a JSON file (their DM's settings, every day they completed with its
note, in any chat of the platform, and the corrections about them or made by them); /forget in a DM deletes all of
it (bot.core.forgetting)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.core.events import Context
from bot.core.learner import Learners
from bot.core.model import ChatKind, Subscription
from bot.core.people import dm_address
from bot.core.replies import FileReply
from bot.core.schedule import next_push_at, nudge_time
from bot.core.studydays import WEEKDAYS, Period, days_on, paused_on

FORMAT = 1


def _days(mask: int) -> list[str]:
    return [name for i, name in enumerate(WEEKDAYS) if mask >> i & 1]


def _schedule(periods: tuple[Period, ...]) -> list[dict[str, Any]]:
    return [{"from": p.since.isoformat(), "study_days": _days(p.days), "paused": p.paused} for p in periods]


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _settings(learners: Learners, sub: Subscription) -> dict[str, Any]:
    today = learners.today(sub)
    return {
        "chat": sub.address.chat_id,
        "language": sub.language,
        "timezone": sub.timezone,
        "daily_time": sub.local_time.strftime("%H:%M"),
        "subscribed": sub.active,
        "paused": sub.paused or paused_on(sub.schedule, today),
        "finished": learners.finished(sub),
        "pace": sub.pace.value,
        "study_days_now": _days(days_on(sub.schedule, today)),
        "schedule": _schedule(sub.schedule),
        "started": _iso(sub.start_date),
        "plan_day_today": learners.current_day(sub) if sub.start_date else None,
        "run_of_the_plan": sub.round,
        "first_day_of_this_run": sub.first_day,
        "nudge": None if (nudge := nudge_time(sub)) is None else nudge.strftime("%H:%M"),
        "next_push": _iso(next_push_at(sub)) if sub.active else None,
        "graduated_on": _iso(sub.graduated_on),
    }


async def person_data(learners: Learners, platform: str, user: str, language: str) -> dict[str, Any]:
    """Everything kept about a person on a platform, as JSON-ready data: their DM's settings and streak, every day
    they completed with its note in any chat, the corrections about them or made by them. /export and the
    dashboard's export both give this."""
    dm = dm_address(platform, user)
    sub = await learners.chat(dm)
    async with learners.store.reading() as reading:
        completions = await reading.person_completions(platform, user)
        corrections = await reading.person_corrections(platform, user)
    found = await learners.progress(dm, user)
    return {
        "studybot_export": FORMAT,
        "exported_at": learners.clock.now().isoformat(),
        "platform": platform,
        "user_id": user,
        "settings": _settings(learners, sub) if sub is not None else None,
        "streak": None if found is None else {
            "current": found[1].streak, "longest": found[1].longest_streak, "freezes": found[1].freezes,
            "days_frozen": [d.isoformat() for d in found[1].frozen],
        },
        "completions": [
            {
                "chat": chat.address.chat_id,
                "chat_kind": "dm" if chat.kind is ChatKind.PRIVATE else chat.kind.value,
                "run_of_the_plan": done.round,
                "plan_day": done.plan_day,
                "title": _title(learners, done.plan_day, language),
                "date": done.local_date.isoformat(),
                "completed_at": done.completed_at.isoformat(),
                "note": done.note,
            }
            for chat, done in completions
        ],
        "corrections": [
            {
                "chat": address.chat_id,
                "about_you": change.member_id == user,
                "member": change.member_name,
                "admin": change.admin_name,
                "plan_day": change.plan_day,
                "marked_done": change.marked_done,
                "at": change.at.isoformat(),
            }
            for address, change in corrections
        ],
    }  # fmt: skip


async def export(learners: Learners, ctx: Context) -> None:
    """/export, in a DM: the person's data as a JSON file."""
    m, inc = ctx.m, ctx.incoming
    if ctx.in_group:
        ctx.refuse(m._("Your data is yours alone: send /export to me in a DM, and the file comes there."))
        return
    data = await person_data(learners, inc.address.platform, inc.user_id, m.language)
    days, corrections = data["completions"], data["corrections"]
    if not days and data["settings"] is None and not corrections:
        ctx.say(m._("I keep nothing about you yet, so there is nothing to export."))
        return
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    name = f"studybot-export-{learners.clock.now().date().isoformat()}.json"
    caption = m._("📦 Your data: {days} days done, {notes} notes, {corrections} corrections. /forget deletes it all.",
                  days=len(days), notes=sum(1 for day in days if day["note"]),
                  corrections=len(corrections))  # fmt: skip
    ctx.replies.append(FileReply(body, name, caption, private=True))


def _title(learners: Learners, plan_day: int, language: str) -> str:
    if not 1 <= plan_day <= learners.curriculum.total_days:
        return ""
    return learners.curriculum.topic(plan_day, language).day.title
