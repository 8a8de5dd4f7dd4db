"""`studybot broadcast` as an operator runs it, against the fake Telegram server, which answers 429 past 30 messages a
second: every chat gets the announcement once, at the pace Telegram allows; killed with SIGKILL mid-way and run again,
it sends only the rest; bad input is refused before anything is stored; --queue leaves the sending to any later pass."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, update

from bot.store.engine import sync_url
from bot.store.migrate import upgrade
from bot.store.tables import AnnouncementRow, DeliveryRow, SubscriptionRow
from tests.conftest import _pg_reachable, own_pg_database
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import FakeTelegram
from tests.fleet_support import fleet_database_fixture  # noqa: F401 (a fixture)
from tests.fleet_support import seed as seed_due
from tests.processes import Studybot, studybot_env, studybot_once


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own (announcement ids start at 1)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    if reason := _pg_reachable():
        pytest.skip(reason)
    with own_pg_database("studybot_broadcast") as url:
        yield url


TEXT = "Maintenance tonight <22:00 UTC> & back by 23:00"
IN_FLIGHT = 16  # STUDYBOT_DELIVERY_CONCURRENCY's default: the most sends on the wire at a kill
LEASE = 3


def unsubscribe(url: str, chat_id: str) -> None:
    """The chat stops its subscription (as /unsubscribe there does) while `run` is not looking."""
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(update(SubscriptionRow).where(SubscriptionRow.chat_id == chat_id).values(active=False))
    finally:
        engine.dispose()


def seed(url: str, chats: int) -> None:
    """Telegram DMs 1..chats (every third in Chinese), subscribed, their next push hours away."""
    upgrade(url)
    now = datetime.now(UTC)
    rows = [
        {"platform": "telegram", "chat_id": str(chat), "kind": "private", "language": "zh" if chat % 3 == 0 else "en",
         "timezone": "UTC", "local_time": (now + timedelta(hours=6)).time().replace(microsecond=0), "active": True,
         "unreachable": False, "start_date": now.date(), "next_due_at": now + timedelta(hours=6),
         "last_pushed_date": now.date(), "last_pushed_day": 1, "created_at": now, "updated_at": now}
        for chat in range(1, chats + 1)
    ]  # fmt: skip
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(insert(SubscriptionRow), rows)
    finally:
        engine.dispose()


def count(url: str, query: object) -> dict[str, int]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return {str(key): value for key, value in connection.execute(query)}  # type: ignore[call-overload]
    finally:
        engine.dispose()


def announcements(url: str) -> int:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(AnnouncementRow)) or 0
    finally:
        engine.dispose()


def statuses(url: str) -> dict[str, int]:
    return count(url, select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status))


def unknown_chats(url: str) -> set[str]:
    query = (
        select(SubscriptionRow.chat_id, func.count())
        .join(DeliveryRow, DeliveryRow.subscription_id == SubscriptionRow.id)
        .where(DeliveryRow.status == "unknown")
        .group_by(SubscriptionRow.chat_id)
    )
    return set(count(url, query))


def received(tg: FakeTelegram) -> Counter[str]:
    return Counter(str(call.params["chat_id"]) for call in tg.calls_of("sendMessage") if not call.failed)


def within_the_budget(tg: FakeTelegram) -> None:
    """The fake refused nothing for going past 30 a second. Checked last, after everything else has passed."""
    assert tg.rejected_429 == 0


def environment(tg: FakeTelegram, url: str) -> dict[str, str]:
    return studybot_env(
        telegram_token=tg.token, telegram_api_url=tg.root, database_url=url, delivery_lease_seconds=str(LEASE)
    )


@pytest.mark.slow
async def test_a_broadcast_reaches_every_chat_once_at_telegrams_pace(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    chats = 90
    await asyncio.to_thread(seed, url, chats)
    async with FakeTelegram(global_rate=30) as tg:
        code, out, err = await studybot_once("broadcast", "--text", TEXT, env=environment(tg, url), timeout=120)
        assert code == 0, err
        assert f"announcement #1: {chats} chats (telegram private {chats})" in out
        assert f"{chats} of {chats} sent, 0 to go, 0 failed" in out.splitlines()[-1]
        assert received(tg) == Counter({str(chat): 1 for chat in range(1, chats + 1)})
        assert tg.malformed == []
        # The operator's words as written (escaped for Telegram's HTML), under a heading in the chat's language.
        assert [parse_html(m["text"]) for m in tg.messages(1)] == [f"📢 Announcement\n\n{TEXT}"]
        assert [parse_html(m["text"]) for m in tg.messages(3)] == [f"📢 公告\n\n{TEXT}"]
        sends = sorted(call.time for call in tg.calls_of("sendMessage"))
        assert sends[-1] - sends[0] >= (chats - 31) / 30  # paced: no more than Telegram's 30 a second

        # Run again (a second operator, or a retry): the same text to the same chats is the same announcement.
        code, out, err = await studybot_once("broadcast", "--text", TEXT, env=environment(tg, url), timeout=120)
        assert code == 0, err
        assert "continuing announcement #1" in out
        assert received(tg) == Counter({str(chat): 1 for chat in range(1, chats + 1)})
    assert statuses(url) == {"sent": chats}
    within_the_budget(tg)


@pytest.mark.slow
async def test_killed_mid_broadcast_and_run_again_it_sends_the_rest_once(fresh_database: str, tmp_path: Path) -> None:
    url = fresh_database
    chats = 300  # ten seconds at Telegram's pace
    await asyncio.to_thread(seed, url, chats)
    async with FakeTelegram(global_rate=30) as tg:
        env = environment(tg, url)
        async with Studybot(["broadcast", "--text", TEXT], env, tmp_path / "first.log") as first:
            await tg.wait_until(lambda: sum(received(tg).values()) >= 100, timeout=60)
            await first.kill()
        before = sum(received(tg).values())
        assert before < chats
        code, out, err = await studybot_once("broadcast", "--text", TEXT, env=env, timeout=120)
        assert code == 0, err
        assert "continuing announcement #1" in out
        got = received(tg)
    assert [chat for chat, n in got.items() if n > 1] == []  # nothing twice
    unknown = unknown_chats(url)
    missing = {str(chat) for chat in range(1, chats + 1)} - set(got)
    assert missing <= unknown  # nothing lost: a chat that got nothing had its send on the wire at the kill
    assert len(unknown) <= IN_FLIGHT
    final = statuses(url)
    assert set(final) <= {"sent", "unknown"} and sum(final.values()) == chats
    assert len(got) > before  # the rerun sent the rest
    within_the_budget(tg)


@pytest.mark.slow
async def test_stopped_with_sigterm_it_hands_the_rest_back_and_resume_sends_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    chats = 200
    await asyncio.to_thread(seed, url, chats)
    async with FakeTelegram(global_rate=30) as tg:
        env = environment(tg, url)
        async with Studybot(["broadcast", "--text", TEXT], env, tmp_path / "first.log") as first:
            await tg.wait_until(lambda: sum(received(tg).values()) >= 50, timeout=60)
            code, took = await first.stop()
            assert code == 1 and took < 10
            assert "stopped: `studybot broadcast --resume 1` sends the rest" in first.output
        # Handed back, not written off: nothing is unknown, and what was not sent waits for any pass.
        left = statuses(url)
        assert set(left) == {"sent", "claimed"} and left["sent"] == sum(received(tg).values())
        code, _, err = await studybot_once("broadcast", "--resume", "1", env=env, timeout=120)
        assert code == 0, err
        assert received(tg) == Counter({str(chat): 1 for chat in range(1, chats + 1)})
    assert statuses(url) == {"sent": chats}
    within_the_budget(tg)


async def test_bad_announcements_are_refused_before_anything_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await asyncio.to_thread(seed, url, 3)
    env = studybot_env(database_url=url, telegram_token="123456:TEST-token", telegram_api_url="http://127.0.0.1:9")

    code, _, err = await studybot_once("broadcast", "--text", "x" * 4090, env=env)
    assert code == 2
    assert "a Telegram message holds 4,096: shorten it by" in err and "Traceback" not in err
    code, _, err = await studybot_once("broadcast", "--text", "  \n ", env=env)
    assert code == 2 and "the announcement is empty" in err
    code, _, err = await studybot_once("broadcast", "--text", "a", "--file", "b.txt", env=env)
    assert code == 2 and "--text TEXT or --file FILE" in err
    code, _, err = await studybot_once("broadcast", env=env)
    assert code == 2 and "--text TEXT or --file FILE" in err
    code, _, err = await studybot_once("broadcast", "--file", str(tmp_path / "none.txt"), env=env)
    assert code == 2 and "cannot read" in err
    code, _, err = await studybot_once("broadcast", "--resume", "7", env=env)
    assert code == 2 and "no announcement #7" in err
    code, _, err = await studybot_once("broadcast", "--kind", "supergroup", "--text", "hi", env=env)
    assert code == 2 and "supergroup" in err

    # Only Telegram chats here: 3,000 characters fit (a Discord message would not hold them).
    note = tmp_path / "note.txt"
    note.write_text("y" * 3000 + "\n", encoding="utf-8")
    code, out, err = await studybot_once("broadcast", "--file", str(note), "--dry-run", env=env)
    assert code == 0, err
    assert "would go to 3 chats (telegram private 3); nothing was stored or sent" in out
    assert "📢 公告\n\n" + "y" * 3000 in out
    code, out, err = await studybot_once("broadcast", "--file", str(note), "--dry-run", "--platform=discord", env=env)
    assert code == 0 and "would go to 0 chats" in out
    assert announcements(url) == 0 and statuses(url) == {}


async def test_a_queued_broadcast_is_sent_by_the_next_pass_of_any_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await asyncio.to_thread(seed, url, 5)
    async with FakeTelegram() as tg:
        env = environment(tg, url)
        code, out, err = await studybot_once("broadcast", "--text", "Queued", "--queue", env=env)
        assert code == 0, err
        assert "announcement #1: 5 chats" in out and "queued" in out
        assert tg.calls_of("sendMessage") == [] and tg.calls_of("getMe") == []
        await asyncio.to_thread(unsubscribe, url, "5")  # before its turn
        code, out, err = await studybot_once("deliver", env=env)
        assert code == 0, err
        assert "announcements 4" in out
        assert received(tg) == Counter({str(chat): 1 for chat in range(1, 5)})
        # The row of the chat that left waits until the command, resumed, settles it.
        code, out, err = await studybot_once("broadcast", "--resume", "1", env=env)
        assert code == 0 and "4 of 5 sent, 0 to go, 0 failed, 1 skipped" in out
        assert len(tg.calls_of("sendMessage")) == 4


@pytest.mark.slow
@pytest.mark.postgres
async def test_in_a_fleet_the_workers_send_it_and_the_command_follows(fleet_database: str, tmp_path: Path) -> None:
    """The workers hold each token's one budget, so `broadcast` sends nothing itself (it never even connects to
    Telegram): a worker sends the announcement, beside the day's pushes, once per chat."""
    url, chats = fleet_database, 40
    await asyncio.to_thread(seed_due, url, chats)  # their day 2 is due too
    async with FakeTelegram(global_rate=30) as tg:
        env = studybot_env(telegram_token=tg.token, telegram_api_url=tg.root, database_url=url, fleet="true",
                           delivery_interval_seconds="2", delivery_lease_seconds="4")  # fmt: skip
        code, _, err = await studybot_once("migrate", env=env)
        assert code == 0, err
        async with Studybot(["worker"], env, tmp_path / "worker.log") as worker:
            await tg.wait_until(lambda: tg.calls_of("getMe"), timeout=30)
            code, out, err = await studybot_once("broadcast", "--text", TEXT, env=env, timeout=120)
            assert code == 0, err + worker.output
        assert "in a fleet the workers send it" in out
        assert f"{chats} of {chats} sent, 0 to go" in out.splitlines()[-1]
        sent = [call for call in tg.calls_of("sendMessage") if not call.failed]
        announced = Counter(str(c.params["chat_id"]) for c in sent if TEXT in parse_html(str(c.params["text"])))
        assert announced == Counter({str(chat): 1 for chat in range(1, chats + 1)})
        assert len(tg.calls_of("getMe")) == 1  # the worker's: the command never connected
    within_the_budget(tg)
