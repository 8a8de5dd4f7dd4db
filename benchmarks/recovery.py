"""Benchmark 8, crash recovery: kill -9 of `studybot run` half-way through a fan-out, then an immediate restart.

10,000 private chats (quick: the run's fan-out size) are due a minute ago; `python -m bot run` sends to the fake
Telegram server (its own process, limiter off, as with paid broadcasts). When the server has accepted half of them
the process gets SIGKILL and a new one starts at once, with the production lease and interval. Measured: the time
from the restart until every push not sent before the kill is out (or, having been on the wire at the kill, is
written off as unknown), how many are unknown in the ledger, and how many chats got their push twice (counted at
the server). The lease sets most of it: claims the killed process held but never tried wait for it to run out,
and it ran out anywhere up to a lease after the kill (a live pass renews it every third of a lease).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select

from benchmarks.common import ROOT, FakeServer, Sizes, progress
from benchmarks.population import Database
from bot.store.tables import DeliveryRow, SubscriptionRow
from scheduler.policy import DeliveryPolicy

IN_FLIGHT = DeliveryPolicy().concurrency  # the crash bound: at most this many unknown
LEASES = {"full": DeliveryPolicy().lease.total_seconds(), "quick": 5.0}  # STUDYBOT_DELIVERY_LEASE_SECONDS
INTERVAL_SECONDS = {"full": 30.0, "quick": 5.0}  # STUDYBOT_DELIVERY_INTERVAL_SECONDS (30 s is the default)
CHAT_BASE = 10_000_000


def seed(db: Database, count: int) -> None:
    """`count` private chats on plan day 2, due a minute ago: one push each, no weekly summary beside it."""
    now = datetime.now(UTC)
    due = now - timedelta(minutes=1)
    day = due.date()
    rows = [
        {"platform": "telegram", "chat_id": str(CHAT_BASE + n), "kind": "private", "language": "zh" if n % 2 else "en",
         "timezone": "UTC", "local_time": due.time().replace(microsecond=0), "active": True, "unreachable": False,
         "start_date": day - timedelta(days=1), "next_due_at": due, "last_pushed_date": day - timedelta(days=1),
         "last_pushed_day": 1, "created_at": now, "updated_at": now}
        for n in range(1, count + 1)
    ]  # fmt: skip
    engine = create_engine(db.sync_url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(SubscriptionRow), rows)
    finally:
        engine.dispose()


def ledger(db: Database) -> tuple[dict[str, int], set[str]]:
    """The deliveries by status, and the chats whose push is unknown."""
    engine = create_engine(db.sync_url)
    try:
        with engine.connect() as connection:
            by_status = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            statuses = {str(status): int(n) for status, n in connection.execute(by_status).tuples()}
            unknown = select(SubscriptionRow.chat_id).join(DeliveryRow).where(DeliveryRow.status == "unknown")
            return statuses, set(connection.scalars(unknown))
    finally:
        engine.dispose()


def held_at(db: Database) -> tuple[int, float]:
    """How many pushes the killed process held (claimed or on the wire), and how long its lease on them still ran."""
    engine = create_engine(db.sync_url)
    try:
        with engine.connect() as connection:
            held = DeliveryRow.status.in_(("claimed", "sending"))
            count, until = connection.execute(select(func.count(), func.max(DeliveryRow.lease_until)).where(held)).one()
    finally:
        engine.dispose()
    left = 0.0 if until is None else (until.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
    return int(count), left


async def _start(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stdout=out, stderr=out, cwd=ROOT
        )


async def _first_send_after(tg: FakeServer, sent: int, restarted: float) -> float:
    """Seconds from the restart to the server's next accepted send: start-up, then the first claim and send."""
    for _ in range(6000):  # a minute at most
        if (await tg.call("sent"))["sent"] > sent:
            break
        await asyncio.sleep(0.01)
    return time.monotonic() - restarted


async def once(kind: str, count: int, lease: float, interval: float) -> dict[str, Any]:
    db = Database.create(kind)
    folder = Path(tempfile.mkdtemp(prefix="studybot-recovery-"))
    processes: list[asyncio.subprocess.Process] = []
    try:
        await asyncio.to_thread(seed, db, count)
        async with FakeServer() as tg:
            env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
            env.update(
                STUDYBOT_DATABASE_URL=db.url, STUDYBOT_TELEGRAM_TOKEN=tg.token, STUDYBOT_TELEGRAM_API_URL=tg.root,
                STUDYBOT_TELEGRAM_RATE_LIMIT="false", STUDYBOT_DELIVERY_LEASE_SECONDS=str(lease),
                STUDYBOT_DELIVERY_INTERVAL_SECONDS=str(interval), STUDYBOT_LOG_LEVEL="WARNING",
            )  # fmt: skip
            processes.append(await _start(env, folder / "first.log"))
            deadline = time.monotonic() + 120
            while (await tg.call("sent"))["sent"] < count // 2:
                if time.monotonic() > deadline or processes[0].returncode is not None:
                    raise RuntimeError(f"the fan-out did not reach half: {(folder / 'first.log').read_text()[-1500:]}")
                await asyncio.sleep(0.005)
            processes[0].send_signal(signal.SIGKILL)
            await processes[0].wait()
            restarted = time.monotonic()
            processes.append(await _start(env, folder / "restart.log"))
            at_restart = await tg.call("chats")
            held, lease_left = await asyncio.to_thread(held_at, db)
            first_after = await _first_send_after(tg, at_restart["sent"], restarted)
            # Done when every chat got its push or has it written off as unknown (on the wire at the kill).
            deadline = restarted + 3 * lease + 2 * interval + 120
            while True:
                seen = await tg.call("chats")
                if seen["chats"] >= count - IN_FLIGHT:
                    statuses, unknown = await asyncio.to_thread(ledger, db)
                    counts = (await tg.call("chats", counts=True))["counts"]
                    if len(set(counts) | unknown) >= count and set(statuses) <= {"sent", "unknown"}:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not recovered: {seen}, log {(folder / 'restart.log').read_text()[-1500:]}")
                await asyncio.sleep(0.25)
        twice = sum(1 for n in counts.values() if n > 1)
        lost = count - len(set(counts) | unknown)
        return {
            "pushes": count,
            "sent_at_kill": at_restart["sent"],
            "left_at_restart": count - at_restart["chats"],
            "recovered_s": seen["last_sent"] - restarted,
            "first_after_s": first_after,
            "held_at_kill": held,
            "lease_left_s": lease_left,
            "unknown": statuses.get("unknown", 0),
            "twice": twice,
            "lost": lost,
            "lease_s": lease,
            "interval_s": interval,
            "met": twice == 0 and lost == 0 and statuses.get("unknown", 0) <= IN_FLIGHT,
        }
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        db.drop()
        shutil.rmtree(folder, ignore_errors=True)


async def run(sizes: Sizes, kinds: list[str]) -> dict[str, Any]:
    lease, interval = LEASES[sizes.name], INTERVAL_SECONDS[sizes.name]
    result: dict[str, Any] = {"databases": {}}
    for kind in kinds:
        figures = await once(kind, sizes.fanout, lease, interval)
        progress(
            f"recovery {kind}: {figures['left_at_restart']:,} left at the restart, out {figures['recovered_s']:.1f} s "
            f"after it; {figures['unknown']} unknown, {figures['twice']} twice, {figures['lost']} lost"
        )
        result["databases"][kind] = figures
    return result
