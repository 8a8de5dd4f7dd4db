"""The bot token's send budget (STUDYBOT_TELEGRAM_MESSAGES_PER_SECOND): sends are paced to it, and above Telegram's
ordinary 30 a second every message goes as a paid broadcast, which the fake server lets through up to its own cap."""

from __future__ import annotations

import asyncio

from bot.adapters.telegram.outbound import TelegramOutbound
from bot.adapters.telegram.pacing import OVERALL_PER_SECOND
from bot.core.replies import TextReply
from tests.fakes.telegram_server import FakeTelegram


async def send_to_many(tg: FakeTelegram, chats: int, budget: float = OVERALL_PER_SECOND) -> None:
    outbound = TelegramOutbound(tg.token, tg.root, messages_per_second=budget)
    await outbound.start()
    try:
        replies = [outbound.gateway.send(str(chat), TextReply(f"hello {chat}")) for chat in range(1, chats + 1)]
        await asyncio.gather(*replies)
    finally:
        await outbound.stop()


async def test_a_budget_above_30_a_second_goes_out_as_paid_broadcasts_within_it() -> None:
    async with FakeTelegram(global_rate=30, paid_rate=100) as tg:
        await send_to_many(tg, 150, 95)
        sent = tg.calls_of("sendMessage")
    assert len(sent) == 150 and tg.rejected_429 == 0  # 150 in about 1.6 s: over 30 a second, never over 100
    assert tg.paid_messages == 150


async def test_the_default_budget_stays_under_the_ordinary_limit_and_pays_nothing() -> None:
    async with FakeTelegram(global_rate=30) as tg:
        await send_to_many(tg, 45)
        sent = tg.calls_of("sendMessage")
    assert len(sent) == 45 and tg.rejected_429 == 0
    assert tg.paid_messages == 0 and all("allow_paid_broadcast" not in call.params for call in sent)
