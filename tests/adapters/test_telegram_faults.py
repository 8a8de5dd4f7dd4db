"""Telegram faults: rate limits, blocked users, server errors, group migration, and a removed bot."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.model import Address, ChatKind, Subscription
from tests.fakes.telegram_server import Call, FakeTelegram

ADA = 4242
DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # the day after START, at 08:00 UTC


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


async def subscribe(tg: FakeTelegram, chat_id: int = ADA, chat_type: str = "private") -> None:
    if chat_type != "private":
        tg.set_member_status(chat_id, ADA, "creator")
    tg.send_command(chat_id, "/subscribe 08:00 UTC", user_id=ADA, chat_type=chat_type)
    await tg.wait_for_call("sendMessage", chat_id=chat_id)
    await tg.wait_for_call("sendMessage", chat_id=chat_id)  # the day 1 card


def pushes_to(tg: FakeTelegram, chat_id: int) -> list[Call]:
    return [
        c for c in tg.calls_of("sendMessage")
        if str(c.params.get("chat_id")) == str(chat_id) and "Day 2/140" in text_of(c) and not c.failed
    ]  # fmt: skip


async def test_429_waits_retry_after_and_sends_once(app: App, telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    await subscribe(tg)
    tg.fail_next("sendMessage", 429, retry_after=1, chat_id=ADA)
    started = time.monotonic()
    report = await app.delivery.run_pass(DUE)
    assert report.sent == 1 and time.monotonic() - started >= 0.9
    assert len(pushes_to(tg, ADA)) == 1


async def test_server_errors_are_retried_with_backoff(app: App, telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    await subscribe(tg)
    telegram.gateway.backoff = 0.01
    tg.fail_next("sendMessage", 500, count=2, chat_id=ADA)
    assert (await app.delivery.run_pass(DUE)).sent == 1
    assert len(pushes_to(tg, ADA)) == 1


async def test_persistent_failure_is_marked_and_retried_on_a_later_pass(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    await subscribe(tg)
    telegram.gateway.backoff = 0.01
    tg.fail_next("sendMessage", 502, count=4, chat_id=ADA)
    first = await app.delivery.run_pass(DUE)
    assert first.failed == 1 and pushes_to(tg, ADA) == []
    later = await app.delivery.run_pass(DUE + timedelta(minutes=5))
    assert later.sent == 1 and len(pushes_to(tg, ADA)) == 1


async def test_blocked_by_the_user_deactivates_and_start_reactivates(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram, clock: ManualClock
) -> None:
    await subscribe(tg)
    tg.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=ADA)
    report = await app.delivery.run_pass(DUE)
    assert report.deactivated == 1
    sub = await app.learners.chat(Address("telegram", str(ADA)))
    assert sub is not None and not sub.active
    assert (await app.delivery.run_pass(DUE + timedelta(days=1))).claimed == 0
    clock.set(DUE + timedelta(days=1, hours=1))
    tg.send_command(ADA, "/start", user_id=ADA)
    welcome = await tg.wait_for_call("sendMessage", chat_id=ADA, predicate=lambda c: "Welcome back" in text_of(c))
    assert welcome
    sub = await app.learners.chat(Address("telegram", str(ADA)))
    assert sub is not None and sub.active


def member_update(chat_id: int, old: str, new: str, chat_type: str = "private") -> dict[str, object]:
    bot = {"id": 123456, "is_bot": True, "first_name": "StudyBot", "username": "studybot_test"}
    user = {"id": ADA, "is_bot": False, "first_name": "Ada"}
    chat = {"id": chat_id, "type": chat_type, **({"first_name": "Ada"} if chat_type == "private" else {"title": "G"})}
    return {
        "my_chat_member": {
            "chat": chat,
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": old, **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": {"user": bot, "status": new, **({"until_date": 0} if new == "kicked" else {})},
        }
    }


async def test_my_chat_member_block_and_unblock(app: App, telegram: TelegramAdapter, tg: FakeTelegram) -> None:
    await subscribe(tg)
    address = Address("telegram", str(ADA))
    tg.push_update(member_update(ADA, "member", "kicked"))
    await tg.wait_until(lambda: tg.pending_updates == 0)
    sub = await _wait_for(app, address, active=False)
    assert sub.unreachable
    tg.push_update(member_update(ADA, "kicked", "member"))
    sub = await _wait_for(app, address, active=True)
    assert not sub.unreachable


async def test_bot_removed_from_a_group_stops_pushes_there(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    group = -5550
    await subscribe(tg, group, "group")
    tg.push_update(member_update(group, "member", "left", chat_type="group"))
    await _wait_for(app, Address("telegram", str(group)), active=False)
    assert (await app.delivery.run_pass(DUE)).claimed == 0


async def test_group_migrated_to_supergroup_keeps_its_subscription(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    old, new = -42, -1000000000042
    await subscribe(tg, old, "group")
    tg.send_command(old, "/done", user_id=ADA)
    await tg.wait_for_call("sendMessage", chat_id=old)
    tg.send_text(old, "", user_id=ADA, migrate_to_chat_id=new)
    sub = await _wait_for_address(app, Address("telegram", str(new)))
    assert sub.active and sub.start_date is not None
    report = await app.delivery.run_pass(DUE)
    assert report.sent == 1 and len(pushes_to(tg, new)) == 1
    reply_call = tg.send_command(new, "/progress", user_id=ADA, chat_type="supergroup")
    assert reply_call
    photo = await tg.wait_for_call("sendPhoto", chat_id=new)
    assert "Done 1/140" in text_of(photo)  # the completion from before the migration is still there


async def test_chat_migrated_error_on_send_follows_the_new_id(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    old, new = -43, -1000000000043
    await subscribe(tg, old, "group")
    tg.fail_next("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                 chat_id=old, migrate_to_chat_id=new)  # fmt: skip
    assert (await app.delivery.run_pass(DUE)).sent == 1
    assert len(pushes_to(tg, new)) == 1
    assert await app.learners.chat(Address("telegram", str(new))) is not None


async def test_limiter_keeps_a_burst_under_the_servers_cap(app: App) -> None:
    async with FakeTelegram(global_rate=30) as tg:
        adapter = TelegramAdapter(app.commands, tg.token, tg.root, rate_limit=True, poll_timeout=1)
        await adapter.start()
        app.gateways.connected(adapter.gateway)
        try:
            for n in range(45):
                await app.commands.learners.subscribe(
                    Address("telegram", str(2000 + n)), ChatKind.PRIVATE, "en", None, None
                )
            report = await app.delivery.run_pass(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
        finally:
            await adapter.stop()
        assert report.sent == 45
        assert tg.rejected_429 == 0


async def _wait_for(app: App, address: Address, *, active: bool) -> Subscription:
    for _ in range(250):
        sub = await app.learners.chat(address)
        if sub is not None and sub.active == active:
            return sub
        await asyncio.sleep(0.02)
    pytest.fail(f"{address} never became active={active}")


async def _wait_for_address(app: App, address: Address) -> Subscription:
    for _ in range(250):
        sub = await app.learners.chat(address)
        if sub is not None:
            return sub
        await asyncio.sleep(0.02)
    pytest.fail(f"no subscription at {address}")


async def test_added_to_a_group_the_bot_says_how_to_start(
    app: App, telegram: TelegramAdapter, tg: FakeTelegram
) -> None:
    tg.push_update(member_update(-777, "left", "member", chat_type="group"))
    hello = await tg.wait_for_call("sendMessage", chat_id=-777)
    assert "/subscribe" in text_of(hello)
