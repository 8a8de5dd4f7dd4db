"""The canary of bot/adapters/telegram/lean.py (PTB's private `_post`): a card sent without parsing the answer reaches
the Bot API exactly as `send_message` sends it, through the on-the-wire hook, with the same errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram.constants import ParseMode
from telegram.error import Forbidden
from telegram.ext import ExtBot

from bot.adapters.telegram.format import keyboard
from bot.adapters.telegram.lean import send_html
from bot.adapters.telegram.pacing import WireLimiter
from bot.adapters.telegram.request import AiohttpRequest
from bot.core.replies import Button
from tests.fakes.telegram_server import FakeTelegram

ADA = 4242
BUTTONS = (Button("✅ Done", "done:5"), Button("Skip", "skip:5", row=1))


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[ExtBot[Any]]:
    client: ExtBot[Any] = ExtBot(
        tg.token, base_url=f"{tg.root}/bot", request=AiohttpRequest(), rate_limiter=WireLimiter(pace=False)
    )
    async with client:
        yield client


async def test_a_card_arrives_as_send_message_sends_it_and_its_id_comes_back(
    bot: ExtBot[Any], tg: FakeTelegram
) -> None:
    marked: list[str] = []

    async def on_wire() -> None:
        marked.append("on the wire")

    text = "<b>Day 5</b>\n• 中文 &amp; more"
    typed = await bot.send_message(ADA, text, parse_mode=ParseMode.HTML, reply_markup=keyboard(BUTTONS))
    lean_id = await send_html(bot, ADA, text, BUTTONS, paid=True, on_wire=on_wire)
    first, second = tg.calls_of("sendMessage")
    assert marked == ["on the wire"]
    assert lean_id == str(typed.message_id + 1) == str(tg.messages(ADA)[-1]["message_id"])
    assert second.params.pop("allow_paid_broadcast") is True
    assert second.params == first.params  # the keyboard too, as the fake server reads it


async def test_a_refusal_raises_what_send_message_raises(bot: ExtBot[Any], tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden):
        await send_html(bot, ADA, "hello", (), paid=False, on_wire=None)
