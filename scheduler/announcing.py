"""A ledger row of kind BROADCAST as the message its chat gets: the operator's announcement under a heading in the
chat's language (bot.core.render.announcement). Each announcement's text is read once per pass, however many chats
it goes to."""

from __future__ import annotations

from bot.core import render
from bot.core.i18n import messages
from bot.core.model import Delivery, Subscription
from bot.core.ports import Store
from bot.core.replies import TextReply


class Announcements:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._texts: dict[int, str] = {}

    async def reply(self, delivery: Delivery, sub: Subscription) -> TextReply:
        text = self._texts.get(delivery.ref)
        if text is None:
            async with self.store.reading() as reading:
                announcement = await reading.announcement(delivery.ref)
            if announcement is None:  # never deleted by studybot: only by hand
                raise LookupError(f"announcement #{delivery.ref} is not in the database")
            text = self._texts[delivery.ref] = announcement.text
        return render.announcement(messages(sub.language), text)
