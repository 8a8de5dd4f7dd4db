"""What the fleet's process tests share: a PostgreSQL database of a test's own, due subscribers, and `studybot`
processes with the test's environment."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from bot.store.engine import sync_url
from bot.store.migrate import upgrade
from bot.store.tables import SubscriptionRow
from tests.conftest import _pg_reachable, own_pg_database

START_NICENESS = os.getpriority(os.PRIO_PROCESS, 0)


@pytest.fixture(name="fleet_database")
def fleet_database_fixture() -> Iterator[str]:
    if reason := _pg_reachable():
        pytest.skip(f"the fleet runs on PostgreSQL: {reason}")
    with own_pg_database("studybot_fleet") as url:
        yield url


def seed(url: str, count: int, discord_users: Sequence[int] = ()) -> None:
    """`count` private Telegram chats (ids 1 to `count`), and DMs with `discord_users`, whose day 2 came due a
    minute ago (the workers run on the real clock)."""
    upgrade(url)
    now = datetime.now(UTC)
    due = now - timedelta(minutes=1)
    day = due.date()
    chats = [("telegram", str(chat)) for chat in range(1, count + 1)] + [("discord", f"dm:{u}") for u in discord_users]
    rows = [
        {"platform": platform, "chat_id": chat, "kind": "private", "language": "en", "timezone": "UTC",
         "local_time": due.time().replace(microsecond=0), "active": True, "unreachable": False,
         "start_date": day - timedelta(days=1), "next_due_at": due, "last_pushed_date": day - timedelta(days=1),
         "last_pushed_day": 1, "created_at": now, "updated_at": now}
        for platform, chat in chats
    ]  # fmt: skip
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(insert(SubscriptionRow), rows)
    finally:
        engine.dispose()


async def studybot(env: dict[str, str], *args: str, log: Path) -> asyncio.subprocess.Process:
    out = log.open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdout=out, stderr=out, preexec_fn=_below_the_fake_server
    )


def _below_the_fake_server() -> None:
    os.setpriority(os.PRIO_PROCESS, 0, START_NICENESS)
