"""kill -9 in the middle of a 5,000-push fan-out, at several points, each followed by an immediate restart of
`studybot run`: nothing is sent twice, nothing is lost (every push went out, or was on the wire at a kill and is
marked unknown), and what the killed process had claimed but not tried goes out within an interval of the restart."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select

from bot.store.engine import sync_url
from bot.store.migrate import upgrade
from bot.store.tables import DeliveryRow, SubscriptionRow
from tests.conftest import _pg_reachable, own_pg_database
from tests.fakes.telegram_server import FakeTelegram
from tests.processes import Studybot, studybot_env

PUSHES = 5000
KILL_AT = (1000, 2500, 4000)
INTERVAL = LEASE = 5
IN_FLIGHT = 16  # STUDYBOT_DELIVERY_CONCURRENCY's default: the most requests on the wire at a kill


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    if reason := _pg_reachable():
        pytest.skip(reason)
    with own_pg_database("studybot_crash") as url:
        yield url


def seed(url: str) -> None:
    """5,000 private chats whose day 2 came due a minute ago (the process runs on the real clock)."""
    upgrade(url)
    now = datetime.now(UTC)
    due = now - timedelta(minutes=1)
    day = due.date()
    rows = [
        {"platform": "telegram", "chat_id": str(chat), "kind": "private", "language": "en", "timezone": "UTC",
         "local_time": due.time().replace(microsecond=0), "active": True, "unreachable": False,
         "start_date": day - timedelta(days=1), "next_due_at": due, "last_pushed_date": day - timedelta(days=1),
         "last_pushed_day": 1, "created_at": now, "updated_at": now}
        for chat in range(1, PUSHES + 1)
    ]  # fmt: skip
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(insert(SubscriptionRow), rows)
    finally:
        engine.dispose()


def ledger(url: str) -> dict[str, int]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            query = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            return {status: count for status, count in connection.execute(query)}
    finally:
        engine.dispose()


def unknown_chats(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            query = (
                select(SubscriptionRow.chat_id)
                .join(DeliveryRow, DeliveryRow.subscription_id == SubscriptionRow.id)
                .where(DeliveryRow.status == "unknown")
            )
            return set(connection.scalars(query))
    finally:
        engine.dispose()


@pytest.mark.slow
async def test_kill_9_mid_fan_out_then_an_immediate_restart_loses_and_repeats_nothing(
    fresh_database: str, tmp_path: Path
) -> None:
    url = fresh_database
    await asyncio.to_thread(seed, url)
    async with FakeTelegram() as tg, contextlib.AsyncExitStack() as running:
        env = studybot_env(
            telegram_token=tg.token, telegram_api_url=tg.root, telegram_rate_limit="false", database_url=url,
            delivery_interval_seconds=str(INTERVAL), delivery_lease_seconds=str(LEASE),
        )  # fmt: skip

        def sent() -> int:
            return sum(1 for call in tg.calls_of("sendMessage") if not call.failed)

        async def start(n: int) -> Studybot:
            return await running.enter_async_context(Studybot(["run"], env, tmp_path / f"run-{n}.log"))

        bot = await start(0)
        for n, point in enumerate(KILL_AT, 1):
            await tg.wait_until(lambda point=point: sent() >= point, timeout=120)  # type: ignore[misc]
            await bot.kill()
            bot = await start(n)  # at once
        restarted = time.monotonic()
        left = PUSHES - sent()
        # Everything the last killed process had not tried goes out, and nothing is left claimed.
        await tg.wait_until(lambda: sent() + len(unknown_chats(url) - _received(tg)) >= PUSHES, timeout=120)
        took = time.monotonic() - restarted
        # A push the last killed process had on the wire stays "sending" until its lease runs out; the runner
        # wakes for that moment and a pass marks it unknown.
        await tg.wait_until(lambda: set(ledger(url)) <= {"sent", "unknown"}, timeout=INTERVAL + LEASE + 30)
        assert (await bot.stop(timeout=30))[0] == 0
        received = Counter(str(call.params["chat_id"]) for call in tg.calls_of("sendMessage") if not call.failed)
    statuses = await asyncio.to_thread(ledger, url)
    unknown = await asyncio.to_thread(unknown_chats, url)
    assert [chat for chat, count in received.items() if count > 1] == []  # nothing twice
    missing = {str(chat) for chat in range(1, PUSHES + 1)} - set(received)
    assert missing <= unknown  # nothing lost: a push that never arrived was on the wire at a kill
    assert statuses.get("unknown", 0) <= IN_FLIGHT * len(KILL_AT)
    assert set(statuses) <= {"sent", "unknown"} and sum(statuses.values()) == PUSHES
    # Late by at most an interval (the lease is no longer), a start-up, and the sending itself (at a
    # conservative 100 a second on a loaded machine).
    assert took <= INTERVAL + LEASE + 10 + left / 100, (took, left)


def _received(tg: FakeTelegram) -> set[str]:
    return {str(call.params["chat_id"]) for call in tg.calls_of("sendMessage") if not call.failed}
