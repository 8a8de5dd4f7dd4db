"""The fake Telegram's webhook side, driven by the real python-telegram-bot client: setWebhook's rules, getUpdates
refused while a webhook is set, and updates POSTed with the secret and sent again after a non-2xx answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from .telegram_server import FakeTelegram
from .telegram_webhook import SECRET_HEADER

URL = "https://bot.example.com:8443/hooks/telegram"
SECRET = "shared_secret-123"


def make_bot(tg: FakeTelegram) -> Bot:
    return Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)


class Receiver:
    """A stand-in for the bot's web server: answers each POST with the next status of `answers` (then 200)."""

    def __init__(self, *answers: int) -> None:
        self.answers = list(answers)
        self.seen: list[tuple[str, str | None, int]] = []  # (path, secret header, update_id)
        self.root = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append((request.path, request.headers.get(SECRET_HEADER), body["update_id"]))
        return web.json_response({}, status=self.answers.pop(0) if self.answers else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(500, 502)
    app = web.Application()
    app.router.add_post("/{path:.*}", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    found.root = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield found
    await runner.cleanup()


@pytest.mark.parametrize(
    ("url", "secret", "complaint"),
    [("http://bot.example.com/t", None, "(?i)https url"), ("https://bot.example.com:8080/t", None, "ports 80, 88, 443"),
     ("https://bot.example.com/t", "no spaces allowed", "unallowed characters"),
     ("https://bot.example.com/t", "x" * 257, "unallowed characters")],
)  # fmt: skip
async def test_set_webhook_refuses_what_telegram_refuses(url: str, secret: str | None, complaint: str) -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        with pytest.raises(BadRequest, match=complaint):
            await bot.set_webhook(url, secret_token=secret)
        assert tg.webhook is None


async def test_polling_and_a_webhook_exclude_each_other() -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        assert await bot.set_webhook(URL, secret_token=SECRET, allowed_updates=["message"])
        info = await bot.get_webhook_info()
        assert (info.url, info.allowed_updates) == (URL, ("message",))
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates() == ()


async def test_updates_are_posted_with_the_secret_and_sent_again_until_a_2xx(receiver: Receiver) -> None:
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        await bot.set_webhook(URL, secret_token=SECRET)
        await tg.route_webhook(receiver.root)
        first = tg.send_command(42, "/start", user_id=42)
        second = tg.send_command(42, "/help", user_id=42)
        await tg.wait_until(lambda: tg.pending_updates == 0)
        ids = first["update_id"], second["update_id"]
        # The first update was refused twice (500, 502) and sent again each time; the second waited its turn.
        assert [seen[2] for seen in receiver.seen] == [ids[0], ids[0], ids[0], ids[1]]
        assert {(path, secret) for path, secret, _ in receiver.seen} == {("/hooks/telegram", SECRET)}
        assert [status for _, status in tg.webhook_posts] == [500, 502, 200, 200]


async def test_a_webhook_without_a_secret_sends_no_secret_header_and_unwanted_kinds_never_go(
    receiver: Receiver,
) -> None:
    receiver.answers = []
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        await tg.route_webhook(receiver.root)  # routed before the webhook exists: delivery starts once it is set
        await bot.set_webhook(URL, allowed_updates=["callback_query"])
        tg.send_command(42, "/start", user_id=42)  # a message: not asked for
        sent = await bot.send_message(42, "card")
        tg.press_button(42, sent.message_id, "done:1", user_id=42)
        await tg.wait_until(lambda: tg.pending_updates == 0)
        await asyncio.sleep(0.05)
        assert len(receiver.seen) == 1 and receiver.seen[0][1] is None


async def test_a_test_can_post_one_update_to_any_bot_as_telegram_does(receiver: Receiver) -> None:
    receiver.answers = [403]
    async with FakeTelegram() as tg, make_bot(tg) as bot:
        await bot.set_webhook(URL, secret_token=SECRET)
        update = {"update_id": 77, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
        assert await tg.post_webhook(update, receiver.root) == 403
        assert await tg.post_webhook(update, receiver.root) == 200
        assert await tg.post_webhook(update, "http://127.0.0.1:9") == 0  # nobody there
        assert tg.webhook_posts == [(77, 403), (77, 200), (77, 0)]


async def test_updates_answered_out_of_order_go_once_and_never_come_back_to_a_poller() -> None:
    """With several POSTs at once, later updates are answered while the first is still waiting: each counts as
    delivered once, the pending count says what is left, and none of them is offered again (nor to getUpdates)."""
    release = asyncio.Event()
    seen: list[int] = []

    async def handle(request: web.Request) -> web.Response:
        update_id = (await request.json())["update_id"]
        seen.append(update_id)
        if update_id == first_id:
            await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/{path:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with FakeTelegram() as tg, make_bot(tg) as bot:
            await bot.set_webhook(URL, secret_token=SECRET)
            first_id = tg.send_command(1, "/start", user_id=1)["update_id"]
            for chat in range(2, 7):
                tg.send_command(chat, "/done", user_id=chat)
            await tg.route_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}", concurrency=3)
            await tg.wait_until(lambda: len(seen) == 6)
            assert tg.pending_updates == 1  # only the first, still waiting for its answer
            release.set()
            await tg.wait_until(lambda: tg.pending_updates == 0)
            await asyncio.sleep(0.05)
            assert sorted(seen) == list(range(first_id, first_id + 6))  # each POSTed once, none again
            assert (await bot.get_webhook_info()).pending_update_count == 0
            await bot.delete_webhook()
            assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()
