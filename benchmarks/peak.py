"""Benchmark 9, the peak minute: 1,000,000 subscriptions stored, 50,000 of them due at 08:00 Asia/Shanghai, sent
by `studybot run`'s delivery runner as paid broadcasts at 1,000 msg/s; measured from the due minute to the last
push. The fake server answers 429 past the rate (so it, not the bot, says whether the rate was kept) and counts
each chat's messages (whether any push went twice). At the free rate (29.5 msg/s), 5,000 due: how late the last
push is, which is what a learner at the end of the queue experiences.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from datetime import time as local_time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import create_engine, delete, func, literal_column, update

from benchmarks.common import FakeServer, Sizes, Stopwatch, progress
from benchmarks.population import SUBSCRIPTIONS, Database, same_minute_rows, spread_rows
from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.pacing import OVERALL_PER_SECOND
from bot.bootstrap import bootstrap
from bot.core.due import local_instant
from bot.settings import Settings
from bot.store.tables import DeliveryRow
from curriculum.loader import Curriculum
from scheduler.delivery import DeliveryPolicy
from scheduler.runner import DeliveryRunner

ZONE = "Asia/Shanghai"
AT = local_time(8, 0)
PAID_RATE = 1000.0  # Telegram's paid broadcasts: up to 1,000 a second
FREE_RATE = OVERALL_PER_SECOND
FREE_CAP = 30  # the server's ordinary limit, as in benchmark 2
CONCURRENCY = DeliveryPolicy().concurrency
SLACK_S = 5.0  # the target: the last push within N / rate + this
LEAD_S = 8.0  # the runner starts this long before the due minute, as a process already running would be
QUIET_AFTER = timedelta(minutes=10)  # the others are due from this long after the peak minute, over the next day


class OffsetClock:
    """The system clock moved to a chosen instant: the due minute comes in real time, whatever the hour here."""

    def __init__(self, now: datetime) -> None:
        self.offset = now - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def next_peak(after: datetime) -> datetime:
    """The first 08:00 in Shanghai at least a day after `after`."""
    zone = ZoneInfo(ZONE)
    return local_instant(after.astimezone(zone).date() + timedelta(days=2), AT, zone)


def make_due(db: Database, due: datetime, count: int) -> None:
    """Only the first `count` subscriptions due at `due` (a day after the last peak), on the same plan days as then
    (so that none graduates instead of getting its push); the rest after the quiet spell."""
    engine = create_engine(db.sync_url)
    table, ids = SUBSCRIPTIONS, SUBSCRIPTIONS.c.id
    try:
        with engine.begin() as conn:
            conn.execute(delete(DeliveryRow))
            conn.execute(update(table).where(ids > count).values(next_due_at=due + QUIET_AFTER))
            start = func.date(table.c.start_date, "+1 day") if db.kind == "sqlite" else literal_column("start_date + 1")
            conn.execute(
                update(table)
                .where(ids <= count)
                .values(next_due_at=due, last_pushed_date=None, last_pushed_day=0, start_date=start)
            )
    finally:
        engine.dispose()
    db.analyze()


async def minute(
    db: Database, tg: FakeServer, curriculum: Curriculum, due: datetime, count: int, rate: float, in_flight: int
) -> dict[str, Any]:
    """`studybot run`'s delivery runner, started LEAD_S before `due`; until `count` pushes went out."""
    await tg.reset()
    clock = OffsetClock(due - timedelta(seconds=LEAD_S))
    # The interval stays the default 30 s: the runner must wake at the due minute by itself.
    settings = Settings(
        database_url=SecretStr(db.url),
        telegram_messages_per_second=rate,
        delivery_concurrency=in_flight,
        _env_file=None,
    )
    app = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    adapter = TelegramAdapter(app.commands, tg.token, tg.root, rate_limit=True, messages_per_second=rate)
    await adapter.start()
    app.gateways.connected(adapter.gateway)
    runner = DeliveryRunner(app.delivery, settings.delivery_interval_seconds)
    watch = Stopwatch()  # how long the pass waited on the database: its claims, and the journal's commits
    watch.wrap(app.store.ledger, "claim_due", "claim")
    watch.wrap(app.store.ledger, "record", "commit")
    # The due minute on the monotonic clock the server's process stamps its messages with.
    due_mono = time.monotonic() + (due - clock.now()).total_seconds()
    cpu = time.process_time()
    runner.start()
    try:
        expected = count / rate
        stats = await tg.wait_sent(count, timeout=LEAD_S + expected * 2 + 60, stall=30)
        cpu = time.process_time() - cpu
        await asyncio.sleep(1.0)  # anything sent twice would come now
        stats = await tg.stats()
    finally:
        await runner.stop()
        await adapter.stop()
        await app.close()
    report = runner.last_report
    first, last = stats["first_sent"], stats["last_sent"]
    return {
        "due": count,
        "rate": rate,
        "in_flight": in_flight,
        "sent": stats["sent"],
        "paid": stats["paid_messages"],
        "chats": stats["chats"],
        "chats_twice": stats["chats_twice"],
        "twice_examples": stats["twice_examples"],
        "rejected_429": stats["rejected_429"],
        "max_per_second": stats["max_per_second"],
        "first_late_s": None if first is None else first - due_mono,
        "last_late_s": None if last is None else last - due_mono,
        "ideal_s": count / rate,
        "target_s": count / rate + SLACK_S,
        "pass_lag_s": None if report is None else report.lag_seconds,
        # The bot process's CPU per push (all threads; the waits before the minute included): at 1,000 msg/s
        # anything above 1 ms cannot keep up on one event loop.
        "cpu_ms": cpu * 1000 / max(1, stats["sent"]),
        "claim_ms": 1000 * watch.spent.get("claim", 0.0) / max(1, watch.calls.get("claim", 0)),
        "commit_ms": 1000 * watch.spent.get("commit", 0.0) / max(1, watch.calls.get("commit", 0)),
        "pushes_per_commit": stats["sent"] / max(1, watch.calls.get("commit", 0)),
    }


async def paid_minute(
    db: Database, tg: FakeServer, curriculum: Curriculum, due: datetime, count: int, in_flight: int
) -> dict[str, Any]:
    paid = await minute(db, tg, curriculum, due, count, PAID_RATE, in_flight)
    late = paid["last_late_s"]
    paid["met"] = (paid["sent"] == count and paid["chats_twice"] == 0 and paid["rejected_429"] == 0
                   and late is not None and late <= paid["target_s"])  # fmt: skip
    progress(f"peak {db.kind} paid, {in_flight} in flight: {paid['sent']:,} sent, last {late or 0:.1f} s after the "
             f"minute (target {paid['target_s']:.0f} s), {paid['rejected_429']} x 429, max {paid['max_per_second']}/s,"
             f" {paid['chats_twice']} chats twice; CPU {paid['cpu_ms']:.2f} ms/push, claim {paid['claim_ms']:.0f} ms,"
             f" commit {paid['commit_ms']:.1f} ms ({paid['pushes_per_commit']:.1f} pushes each)")
    return paid


async def run(sizes: Sizes, kinds: list[str], curriculum: Curriculum, wide: tuple[str, ...] = ()) -> dict[str, Any]:
    """`wide`: the databases on which the paid minute also runs with twice the sends in flight."""
    result: dict[str, Any] = {"stored": sizes.peak_stored, "zone": ZONE, "at": AT.isoformat("minutes"),
                              "databases": {}}  # fmt: skip
    async with FakeServer(global_rate=FREE_CAP, count_chats=True) as tg:
        for kind in kinds:
            db = Database.create(kind)
            try:
                due = next_peak(datetime.now(UTC))
                started = time.monotonic()
                rows = itertools.chain(
                    same_minute_rows(1, sizes.peak_due, ZONE, AT, due, due),
                    spread_rows(sizes.peak_due + 1, sizes.peak_stored - sizes.peak_due, due + QUIET_AFTER),
                )
                db.insert(rows)
                db.analyze()
                progress(f"peak {kind}: {sizes.peak_stored:,} stored in {time.monotonic() - started:.0f} s")
                paid = await paid_minute(db, tg, curriculum, due, sizes.peak_due, CONCURRENCY)
                later = due + timedelta(days=1)
                runs = {"paid": paid}
                if kind in wide:
                    # Each mark's commit waits for the WAL flush behind the claims' writes: with 16 in flight that
                    # may carry fewer than 1,000 a second (Little's law); twice as many in flight, twice the bound.
                    make_due(db, later, sizes.peak_due)
                    runs["paid_wide"] = await paid_minute(db, tg, curriculum, later, sizes.peak_due, 2 * CONCURRENCY)
                    later += timedelta(days=1)
                make_due(db, later, sizes.peak_free_due)
                free = await minute(db, tg, curriculum, later, sizes.peak_free_due, FREE_RATE, CONCURRENCY)
                free["met"] = (free["sent"] == sizes.peak_free_due and free["chats_twice"] == 0
                               and free["rejected_429"] == 0)  # fmt: skip
                progress(f"peak {kind} free: {free['sent']:,} sent, last {free['last_late_s']:.1f} s after the "
                         f"minute, {free['rejected_429']} x 429")
                result["databases"][kind] = {**runs, "free": free}
            finally:
                db.drop()
    return result
