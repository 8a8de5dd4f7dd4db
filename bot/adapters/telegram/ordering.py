"""PTB's update processor over the core's per-chat turns: updates from different chats at once (PTB handles one
at a time by default, so a reply waiting for a rate limit would hold up every other chat), each chat's in order."""

from __future__ import annotations

import time
from collections.abc import Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.core.metering import NO_METER, Meter
from bot.core.turns import PerChatOrder

PLATFORM = "telegram"


class PerChatUpdates(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256, *, meter: Meter = NO_METER) -> None:
        super().__init__(max_concurrent_updates)
        self.order = PerChatOrder()
        self.meter = meter

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        # Each update's time in the bot, its chat's turn and its replies included: the reply latency.
        started = time.perf_counter()
        chat = update.effective_chat if isinstance(update, Update) else None
        try:
            if chat is None:
                await coroutine
                return
            async with self.order.turn(chat.id):
                await coroutine
        finally:
            self.meter.reply(PLATFORM, time.perf_counter() - started)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
