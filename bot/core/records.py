"""A person's own records on one platform, for the dashboard: everything kept about them as data (export), and
deleting all of it (forget): their DM's subscription with its days and notes, and their own record in each group,
as /forget in the DM and /forget me in each group delete them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.core.groups import Groups
from bot.core.model import Address, ChatKind, Completion, Correction, Subscription
from bot.core.people import dm_address

FORMAT = 1


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _settings(sub: Subscription) -> dict[str, Any]:
    return {
        "language": sub.language,
        "timezone": sub.timezone,
        "daily_time": sub.local_time.strftime("%H:%M"),
        "subscribed": sub.active,
        "paused": sub.paused,
        "started": _iso(sub.start_date),
        "next_push": _iso(sub.next_due_at) if sub.active else None,
    }


def _completion(sub: Subscription, done: Completion) -> dict[str, Any]:
    return {
        "chat": sub.address.chat_id,
        "chat_kind": "dm" if sub.kind is ChatKind.PRIVATE else sub.kind.value,
        "plan_day": done.plan_day,
        "date": done.local_date.isoformat(),
        "completed_at": done.completed_at.isoformat(),
        "note": done.note,
    }


def _correction(chat: Address, change: Correction, user_id: str) -> dict[str, Any]:
    return {
        "chat": chat.chat_id,
        "about_you": change.member_id == user_id,
        "member": change.member_name,
        "admin": change.admin_name,
        "plan_day": change.plan_day,
        "marked_done": change.marked_done,
        "at": change.at.isoformat(),
    }


async def _chats(groups: Groups, platform: str, user_id: str) -> list[Subscription]:
    """The person's DM (if they set one) and every chat where they marked a day done."""
    learners = groups.learners
    dm = await learners.chat(dm_address(platform, user_id))
    async with learners.store.reading() as reading:
        ids = sorted({d.subscription_id for d in await reading.days_done(platform, [user_id])})
        found = [await reading.subscription_by_id(i) for i in ids if dm is None or i != dm.id]
    return ([dm] if dm is not None else []) + [s for s in found if s is not None]


async def export_person(groups: Groups, platform: str, user_id: str) -> dict[str, Any]:
    """Everything kept about the person, as JSON-ready data: one query for their days, one for the corrections."""
    own = await groups.learners.chat(dm_address(platform, user_id))
    async with groups.store.reading() as reading:
        completions = await reading.person_completions(platform, user_id)
        corrections = await reading.person_corrections(platform, user_id)
    return {
        "studybot_export": FORMAT,
        "exported_at": groups.learners.clock.now().isoformat(),
        "platform": platform,
        "user_id": user_id,
        "settings": None if own is None else _settings(own),
        "completions": [_completion(sub, done) for sub, done in completions],
        "corrections": [_correction(chat, change, user_id) for chat, change in corrections],
    }


async def forget_person(groups: Groups, platform: str, user_id: str) -> int:
    """Delete everything kept about the person: their DM's subscription and all under it, and their own days,
    notes and the corrections about them in every group. Returns how many chats held something of theirs."""
    dm = dm_address(platform, user_id)
    chats = await _chats(groups, platform, user_id)
    for sub in chats:
        if sub.address == dm:
            await groups.forget(dm)
        else:
            await groups.forget_member(Address(platform, sub.address.chat_id), user_id)
    return len(chats)
