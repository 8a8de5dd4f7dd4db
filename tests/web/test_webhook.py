"""Telegram webhook mode in one process and across replicas: requests without the shared secret are refused and
nothing is handled; an update that comes twice, to one replica or to two on one database, is answered once; one
refused while the process cannot take it is sent again by Telegram and handled once."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram import Bot

from bot.core.clock import ManualClock
from bot.web.app import WEBHOOK_MAX_BYTES
from curriculum.loader import Curriculum
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_webhook import SECRET_HEADER
from tests.web.support import SECRET, WEBHOOK_URL, serving, web_settings

ADA = 4242


def start_update(update_id: int, chat_id: int = ADA) -> dict[str, Any]:
    """/start from a DM, as Telegram sends it."""
    chat = {"id": chat_id, "type": "private", "first_name": "Ada"}
    user = {"id": chat_id, "is_bot": False, "first_name": "Ada", "language_code": "en"}
    entity = {"type": "bot_command", "offset": 0, "length": 6}
    message = {"message_id": update_id, "date": 1_700_000_000, "chat": chat, "from": user, "text": "/start",
               "entities": [entity]}  # fmt: skip
    return {"update_id": update_id, "message": message}


async def post(root: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with (
        aiohttp.ClientSession() as session,
        session.post(root + "/hooks/telegram", json=update, headers=headers) as response,
    ):
        return response.status


async def test_start_sets_the_webhook_with_the_secret_and_updates_reach_the_bot(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    async with serving(web_settings(database_url, tg), clock, curriculum) as served:
        [call] = tg.calls_of("setWebhook")
        assert (call.params["url"], call.params["secret_token"]) == (WEBHOOK_URL, SECRET)
        assert set(call.params["allowed_updates"]) >= {"message", "callback_query", "my_chat_member", "chat_member"}
        await tg.route_webhook(served.root)
        tg.send_command(ADA, "/start", user_id=ADA, first_name="Ada")
        reply = await tg.wait_for_call("sendMessage", chat_id=ADA)
        assert "studybot" in str(reply.params["text"])
        assert tg.calls_of("getUpdates") == []  # no polling in webhook mode
        assert tg.webhook_posts[-1][1] == 200


async def test_a_request_without_the_right_secret_is_refused_and_nothing_is_handled(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    async with serving(web_settings(database_url, tg), clock, curriculum) as served:
        assert await post(served.root, start_update(10), None) == 403
        assert await post(served.root, start_update(10), "wrong-secret") == 403
        assert await post(served.root, start_update(10), SECRET[:-1]) == 403
        await tg.wait_until(lambda: True)
        assert tg.calls_of("sendMessage") == []
        # Not even recorded as handled: with the secret, the same update is taken.
        assert await post(served.root, start_update(10), SECRET) == 200
        await tg.wait_for_call("sendMessage", chat_id=ADA)


async def test_only_a_post_reaches_the_webhook_and_its_secret_header_is_matched_whatever_its_case(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    async with serving(web_settings(database_url, tg), clock, curriculum) as served, aiohttp.ClientSession() as http:
        async with http.get(served.root + "/hooks/telegram", headers={SECRET_HEADER: SECRET}) as got:
            assert got.status == 405 and got.headers["Allow"] == "POST"
        async with http.get(served.root + "/healthz") as health:
            assert health.status == 200 and "database" in await health.json()
        async with http.post(served.root + "/hooks/elsewhere", json=start_update(11)) as elsewhere:
            assert elsewhere.status == 404
        # Header names are matched whatever their case, as HTTP has them.
        shouted = {SECRET_HEADER.upper(): SECRET}
        async with http.post(served.root + "/hooks/telegram", json=start_update(12), headers=shouted) as posted:
            assert posted.status == 200
        await tg.wait_for_call("sendMessage", chat_id=ADA)


async def test_a_body_too_large_for_an_update_is_refused_and_the_next_update_is_answered(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    async with serving(web_settings(database_url, tg), clock, curriculum) as served, aiohttp.ClientSession() as http:
        oversized = start_update(13) | {"padding": "x" * WEBHOOK_MAX_BYTES}
        async with http.post(served.root + "/hooks/telegram", json=oversized, headers={SECRET_HEADER: SECRET}) as big:
            assert big.status == 413
            assert "not a Telegram update" in (await big.json())["error"]
        assert await post(served.root, start_update(14), SECRET) == 200
        await tg.wait_for_call("sendMessage", chat_id=ADA)
        assert len(tg.calls_of("sendMessage")) == 1  # the oversized /start was not taken


async def test_the_same_update_twice_is_answered_once(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    async with serving(web_settings(database_url, tg), clock, curriculum) as served:
        await tg.wait_for_call("setWebhook")
        assert await tg.post_webhook(start_update(20), served.root) == 200
        assert await tg.post_webhook(start_update(20), served.root) == 200  # Telegram's retry: acknowledged
        await tg.wait_for_call("sendMessage", chat_id=ADA)
        assert await tg.post_webhook(start_update(21), served.root) == 200  # a new update is answered as usual
        await tg.wait_for_call("sendMessage", chat_id=ADA)
        assert len(tg.calls_of("sendMessage")) == 2
        assert await served.metric('studybot_updates_duplicate_total{platform="telegram"}') == 1


async def test_two_replicas_on_one_database_answer_an_update_both_receive_once(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    settings = web_settings(database_url, tg)
    async with serving(settings, clock, curriculum) as one, serving(settings, clock, curriculum) as two:
        assert len(tg.calls_of("setWebhook")) == 2  # each replica sets the same webhook
        for update_id in range(30, 40):
            update = start_update(update_id, chat_id=ADA + update_id)
            assert {await tg.post_webhook(update, one.root), await tg.post_webhook(update, two.root)} == {200}
        await tg.wait_until(lambda: len(tg.calls_of("sendMessage")) >= 10)
        await tg.wait_until(lambda: True)
        chats = [call.chat_id for call in tg.calls_of("sendMessage")]
        assert sorted(chats) == [ADA + n for n in range(30, 40)]


async def test_an_update_refused_while_the_bot_cannot_take_it_is_sent_again_and_handled_once(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    async with serving(web_settings(database_url, tg), clock, curriculum, start_platforms=False) as served:
        # Another replica set the webhook; this one's web server is up, its Telegram side still starting.
        async with Bot(tg.token, base_url=tg.base_url) as other_replica:
            await other_replica.set_webhook(WEBHOOK_URL, secret_token=SECRET)
        await tg.route_webhook(served.root)
        tg.send_command(ADA, "/start", user_id=ADA, first_name="Ada")
        await tg.wait_until(lambda: any(status == 503 for _, status in tg.webhook_posts))
        await served.start_platforms()
        await tg.wait_for_call("sendMessage", chat_id=ADA)
        await tg.wait_until(lambda: tg.pending_updates == 0)
    statuses = [status for _, status in tg.webhook_posts]
    assert statuses[0] == 503 and statuses[-1] == 200
    assert len(tg.calls_of("sendMessage")) == 1
