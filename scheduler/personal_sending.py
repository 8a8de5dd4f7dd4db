"""What a DM's own ledger rows say when they are sent: a push's note about a spent streak freeze, the nudge (checked
again now: not after the day's /done, not after 22:00), the weekly summary and the graduation. Read from the store
at send time, so each says how things stand when it goes out."""

from __future__ import annotations

from datetime import datetime

from bot.core import personal, render
from bot.core.due import local_date
from bot.core.i18n import messages
from bot.core.model import Completion, DayDone, Delivery, DeliveryKind, Progress, Subscription
from bot.core.ports import Store
from bot.core.replies import Reply, TextReply
from bot.core.schedule import QUIET_FROM
from bot.core.standing import progress_of, untold_freezes
from curriculum.loader import Curriculum
from curriculum.schema import week_of


class Cancelled(Exception):
    """The message is no longer wanted (the nudge's day was done meanwhile, or quiet hours began): skipped."""


async def _standing(store: Store, sub: Subscription, now: datetime, total: int) -> tuple[Progress, list[Completion]]:
    """The DM's person's progress, and the DM's own completions."""
    assert sub.id is not None
    async with store.reading() as reading:
        own = await reading.chat_completions(sub.id)
        owner = sub.owner_id or next((c.user_id for c in own), None)
        days = await reading.days_done(sub.address.platform, [owner]) if owner is not None else []
    if owner is None:
        days = [DayDone(c.user_id, c.subscription_id, c.plan_day, c.local_date, c.round) for c in own]
    return progress_of(sub, days, local_date(now, sub.zone), total), own


async def freeze_note(store: Store, sub: Subscription, now: datetime, total: int) -> Reply | None:
    """After a DM's push: the missed days a freeze covered since the person was last told, once. One indexed read
    of the person's dates (none for a DM from before its person was kept)."""
    if sub.owner_id is None:
        return None
    async with store.reading() as reading:
        days = await reading.days_done(sub.address.platform, [sub.owner_id])
    progress = progress_of(sub, days, local_date(now, sub.zone), total)
    news = untold_freezes(sub, progress)
    if not news:
        return None
    assert sub.id is not None
    await store.note_freezes_told(sub.id, news[-1])
    return TextReply(render.freeze_note(messages(sub.language), progress, news))


async def replies(
    store: Store, curriculum: Curriculum, delivery: Delivery, sub: Subscription, now: datetime, total: int
) -> list[Reply]:
    m = messages(sub.language)
    progress, own = await _standing(store, sub, now, total)
    name = next((c.user_name for c in reversed(own) if c.user_name), "")
    if delivery.kind is DeliveryKind.NUDGE:
        local = now.astimezone(sub.zone)
        if local.date() != delivery.local_date or local.time() > QUIET_FROM:
            raise Cancelled("quiet hours: too late for the day's nudge")
        if any(c.local_date == delivery.local_date for c in own) or delivery.plan_day in progress.done_days:
            raise Cancelled("the day was done before its nudge went out")
        return [TextReply(personal.nudge_text(m, curriculum, delivery.plan_day))]
    if delivery.kind is DeliveryKind.WEEKLY:
        return personal.weekly_summary(m, curriculum, week_of(delivery.plan_day), progress, name)
    if delivery.kind is DeliveryKind.GRADUATION:
        return personal.graduation(m, curriculum, progress, name, delivery.local_date, all_done=progress.all_done)
    raise Cancelled(f"not a DM's message: {delivery.kind.value}")
