"""The aiohttp request class under python-telegram-bot, against the fake Bot API: what it sends, and that every
fault comes out as the same telegram.error type PTB's own httpx class raises."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.adapters.telegram.format import keyboard
from bot.adapters.telegram.gateway import TelegramGateway
from bot.adapters.telegram.pacing import WireLimiter
from bot.adapters.telegram.request import AiohttpRequest
from bot.core.ports import ChatUnreachable, SendUncertain
from bot.core.replies import Button, PictureReply, TextReply
from tests.fakes.telegram_server import FakeTelegram

ADA = 4242
Maker = Callable[[float], BaseRequest]
CLIENTS: dict[str, Maker] = {
    "aiohttp": lambda read: AiohttpRequest(read_timeout=read),
    "httpx": lambda read: HTTPXRequest(read_timeout=read),
}


def bot_for(root: str, token: str, make: Maker, read_timeout: float = 5.0) -> ExtBot[Any]:
    return ExtBot(
        token,
        base_url=f"{root}/bot",
        request=make(read_timeout),
        get_updates_request=make(read_timeout),
        rate_limiter=WireLimiter(pace=False),
    )


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[ExtBot[Any]]:
    async with bot_for(tg.root, tg.token, CLIENTS["aiohttp"]) as client:
        yield client


async def test_text_and_markup_arrive_as_the_json_the_bot_api_reads(bot: ExtBot[Any], tg: FakeTelegram) -> None:
    gateway = TelegramGateway(bot)
    reply = TextReply("5 < 6 & “quotes” 中文 🎉", buttons=(Button("✅ 完成", "done:5"),))
    message_id = await gateway.send(str(ADA), reply)
    call = await tg.wait_for_call("sendMessage", chat_id=ADA)
    assert call.params["text"] == "5 &lt; 6 &amp; “quotes” 中文 🎉" and call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "✅ 完成", "callback_data": "done:5"}]]}
    assert tg.message(ADA, int(message_id))["text"] == "5 &lt; 6 &amp; “quotes” 中文 🎉"
    # The keyboard a typed call builds goes as an object too, not as a string inside the JSON.
    await bot.send_message(ADA, "typed", reply_markup=keyboard(reply.buttons))
    assert tg.calls_of("sendMessage")[-1].params["reply_markup"] == call.params["reply_markup"]


async def test_a_picture_goes_as_multipart(bot: ExtBot[Any], tg: FakeTelegram) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    await TelegramGateway(bot).send(str(ADA), PictureReply(png, "Done 1/140"))
    call = await tg.wait_for_call("sendPhoto", chat_id=ADA)
    assert call.params["caption"] == "Done 1/140"
    assert tg.messages(ADA)[-1]["photo"] == png


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_reply_the_server_sits_on_times_out_as_with_httpx(tg: FakeTelegram, client: str) -> None:
    tg.stall_next("sendMessage", 2.0)
    async with bot_for(tg.root, tg.token, CLIENTS[client], read_timeout=0.3) as slow:
        with pytest.raises(TimedOut):
            await slow.send_message(ADA, "hello")
        # The gateway then never resends: the message may have gone out.
        tg.stall_next("sendMessage", 2.0)
        with pytest.raises(SendUncertain):
            await TelegramGateway(slow).send(str(ADA), TextReply("hello"))


@pytest.mark.parametrize("client", CLIENTS)
async def test_no_server_is_a_network_error_as_with_httpx(client: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = CLIENTS[client](1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot123:abc/getMe")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await request.shutdown()


@pytest.mark.parametrize(
    ("status", "description", "error"),
    [
        (400, "Bad Request: chat not found", BadRequest),
        (403, "Forbidden: bot was blocked by the user", Forbidden),
        (429, None, RetryAfter),
        (502, None, NetworkError),
    ],
)
async def test_bot_api_errors_keep_their_types(
    bot: Bot, tg: FakeTelegram, status: int, description: str | None, error: type[TelegramError]
) -> None:
    tg.fail_next("sendMessage", status, description, retry_after=3 if status == 429 else None)
    with pytest.raises(error):
        await bot.send_message(ADA, "hello")


async def test_a_blocked_chat_reaches_the_core_as_unreachable(bot: ExtBot[Any], tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(ChatUnreachable):
        await TelegramGateway(bot).send(str(ADA), TextReply("hello"))


async def test_long_polling_waits_past_the_read_timeout(tg: FakeTelegram) -> None:
    # getUpdates' read timeout is the poll's timeout plus the request's own, as PTB computes it from
    # `read_timeout`: a poll that the server holds for 1 s must not time out at 0.5 s.
    async with bot_for(tg.root, tg.token, CLIENTS["aiohttp"], read_timeout=0.5) as client:
        assert await client.get_updates(timeout=1) == ()


async def test_used_before_initialize_says_so() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:1/bot123:abc/getMe", "POST")
