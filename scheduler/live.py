"""Live counts on group pushes: after members finish, the day's card is edited to say who is done.

Changes are collected and flushed every few seconds, so a busy group costs one edit per flush, not one per
member, and stays inside the platform's per-group limits.
"""

from __future__ import annotations

import logging

from bot.core import render
from bot.core.gateways import Gateways
from bot.core.i18n import messages
from bot.core.model import Address
from bot.core.ports import CannotPost, ChatMoved, ChatUnreachable, SendUncertain, Store, TemporaryFailure
from curriculum.loader import Curriculum

log = logging.getLogger(__name__)


class LiveBoard:
    def __init__(self, store: Store, curriculum: Curriculum, gateways: Gateways) -> None:
        self.store = store
        self.curriculum = curriculum
        self.gateways = gateways
        self._dirty: dict[Address, set[int]] = {}

    def touch(self, address: Address, plan_day: int) -> None:
        """Note that a group's record of a day changed; the next flush edits that day's push."""
        self._dirty.setdefault(address, set()).add(plan_day)

    @property
    def pending(self) -> int:
        return sum(len(days) for days in self._dirty.values())

    async def flush(self) -> int:
        """Edit every push whose count changed since the last flush; returns how many were edited."""
        dirty, self._dirty = self._dirty, {}
        edited = 0
        for address, days in dirty.items():
            gateway = self.gateways.get(address.platform)
            if gateway is None:
                continue
            async with self.store.reading() as reading:
                sub = await reading.subscription(address)
                if sub is None or sub.id is None:
                    continue
                completions = await reading.chat_completions(sub.id)
                targets = [(day, await reading.push_message(sub.id, day)) for day in sorted(days)]
            m = messages(sub.language)
            for day, message_id in targets:
                if message_id is None:
                    continue  # the day's topic reached this group as a reply, not as a push: nothing to edit
                names = [c.user_name or c.user_id for c in completions if c.plan_day == day and c.round == sub.round]
                card = render.topic_card(m, self.curriculum.topic(day, sub.language), done_by=names)
                try:
                    await gateway.edit(address.chat_id, message_id, card)
                    edited += 1
                except (ChatUnreachable, ChatMoved, CannotPost, TemporaryFailure, SendUncertain) as exc:
                    log.info("live count in %s not updated: %s", address, exc)
        return edited
