"""Benchmark 3 (and the data for 4): the due index at 1k..1M subscriptions over every zone and minute.

At each size it times one claim of the 1,000 earliest due (find + record + advance, as the pass does), and
the query alone; then start-to-ready and idle RSS of `studybot run`, and of the tutorial bot where asked. At the
largest size it also claims many times over (`Sizes.claim_repeats`) with the production grace (6 h), at 1,000 and
at the production batch (500), for the median and p99, and counts the garbage collector's pauses meanwhile.
"""

from __future__ import annotations

import gc
import time
from datetime import timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import bindparam, create_engine, delete, func, select, update

from benchmarks import startup
from benchmarks.common import Sizes, median, percentile, progress
from benchmarks.population import Database, future_midnight, spread_rows
from benchmarks.profiling import Profile, profiled
from bot.bootstrap import App, bootstrap
from bot.core.clock import ManualClock
from bot.core.due import local_instant
from bot.core.model import Claim
from bot.core.ports import Lease
from bot.process import settle_start_up
from bot.settings import Settings
from bot.store.delivery_sql import for_connection
from bot.store.tables import DeliveryRow, SubscriptionRow
from curriculum.loader import Curriculum
from scheduler.planning import Rules, Tally, plan
from scheduler.policy import DeliveryPolicy

CLAIM_TARGET_MS = 50.0
START_TARGET_S = 2.0
RSS_TARGET_MB = 150.0
PRODUCTION = DeliveryPolicy()  # the batch (500) and grace (6 h) a pass claims with
TAIL_BATCHES = (1_000, PRODUCTION.batch)


async def run(
    sizes: Sizes, kinds: list[str], curriculum: Curriculum, profile: bool
) -> tuple[dict[str, Any], list[Profile]]:
    t0 = future_midnight()  # every next due lies in the 24 h after it, so a real process finds nothing due
    result: dict[str, Any] = {"claim": sizes.claim, "databases": {}, "tutorial": {}}
    profiles: list[Profile] = []
    for kind in kinds:
        db = Database.create(kind)
        curve: dict[str, Any] = {}
        try:
            for size in sizes.due_sizes:
                started = time.perf_counter()
                db.insert(spread_rows(db.count + 1, size - db.count, t0))
                db.analyze()
                progress(f"due index {kind}: {size:,} subscriptions stored in {time.perf_counter() - started:.0f} s")
                figures = await claim_times(db, curriculum, sizes.claim, sizes.repeats)
                if size == sizes.due_sizes[-1]:
                    figures["tails"] = {
                        str(batch): await claim_times(db, curriculum, batch, sizes.claim_repeats, PRODUCTION.grace)
                        for batch in TAIL_BATCHES
                    }
                    for batch, tail in figures["tails"].items():
                        progress(f"due index {kind} {size:,}: {_tail_line(int(batch), tail)}")
                if profile and size == sizes.due_sizes[-1]:
                    async with profiled(f"claim {sizes.claim} of {size:,} ({kind})", True) as prof:
                        await claim_times(db, curriculum, sizes.claim, 1)
                    if prof is not None:
                        profiles.append(prof)
                if size in sizes.start_sizes:
                    figures["start"] = await startup.studybot(db.url, sizes.start_repeats)
                if kind == "sqlite" and size in sizes.tutorial_sizes:
                    result["tutorial"][str(size)] = await startup.tutorial(db.path, sizes.start_repeats)
                curve[str(size)] = figures
                progress(f"due index {kind} {size:,}: {_line(figures, result['tutorial'].get(str(size)))}")
        finally:
            db.drop()
        result["databases"][kind] = curve
    return result, profiles


def _tail_line(batch: int, t: dict[str, Any]) -> str:
    return (
        f"claim {batch:,} x {len(t['claim_runs_ms'])}: p50 {t['claim_ms']:.1f} ms, p99 {t['claim_p99_ms']:.1f} ms, "
        f"max {max(t['claim_runs_ms']):.1f} ms (query alone p50 {t['find_ms']:.1f}); full collections "
        f"{t['gc_full']}, longest GC pause {t['gc_max_ms']:.1f} ms"
    )


def _line(figures: dict[str, Any], tutorial: dict[str, Any] | None) -> str:
    text = f"claim {figures['claim_ms']:.1f} ms (find {figures['find_ms']:.1f} ms, {figures['due']} due)"
    if "start" in figures:
        text += f", start {figures['start']['ready_s']:.2f} s, RSS {figures['start']['rss_mb']:.0f} MB"
    if tutorial:
        text += f"; JobQueue start {tutorial['ready_s']:.2f} s, RSS {tutorial['rss_mb']:.0f} MB"
    return text


async def claim_times(
    db: Database, curriculum: Curriculum, claim: int, repeats: int, grace: timedelta = timedelta(days=2)
) -> dict[str, Any]:
    """Median (and p99) time to claim `claim` due subscriptions (a warm process, as a running bot is), state
    restored after each. The default grace of two days keeps every claim on the normal path: at 1k subscriptions
    the 1,000th due is ~24 h after the first, which the production 6 h would treat as downtime catch-up."""
    settings = Settings(database_url=SecretStr(db.url), _env_file=None)
    clock = ManualClock(future_midnight())
    app = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    settle_start_up()  # as `studybot run` does once it has started
    rules = Rules(grace=grace, total_days=curriculum.total_days)
    platforms = {"telegram"}
    pauses = _GcPauses()
    pauses.start()
    try:
        now, due = await _kth_due(app, claim)
        find_ms: list[float] = []
        claim_ms: list[float] = []
        for attempt in range(repeats + 1):  # the first warms SQLAlchemy's statement caches, as a running bot has
            async with app.store.engine.connect() as connection:
                started = time.perf_counter()
                found = await for_connection(connection).due(now, claim, platforms)
                found_ms = 1000 * (time.perf_counter() - started)
            lease = Lease("benchmark", now + timedelta(seconds=30))
            pauses.timing = attempt > 0
            started = time.perf_counter()
            subs, created = await app.store.ledger.claim_due(
                now, claim, platforms, lambda due: plan(due, now, rules, Tally()), lease
            )
            took_ms = 1000 * (time.perf_counter() - started)
            pauses.timing = False
            by_id = {sub.id: sub for sub in subs}
            claims = [Claim(delivery, by_id[delivery.subscription_id]) for delivery in created]
            if len(claims) != min(claim, db.count) or len(found) != len(claims):
                raise RuntimeError(f"claimed {len(claims)} (found {len(found)}) of {claim} due")
            restore(db, claims)
            if attempt:
                find_ms.append(found_ms)
                claim_ms.append(took_ms)
    finally:
        pauses.stop()
        await app.close()
    return {
        "due": due,
        "grace_h": grace.total_seconds() / 3600,
        "find_ms": median(find_ms),
        "claim_ms": median(claim_ms),
        "claim_p99_ms": percentile(claim_ms, 0.99),
        "claim_runs_ms": claim_ms,
        "gc_full": pauses.full,
        "gc_max_ms": pauses.longest_ms,
        "met": median(claim_ms) <= CLAIM_TARGET_MS,
        "met_p99": percentile(claim_ms, 0.99) <= CLAIM_TARGET_MS,
    }


class _GcPauses:
    """The garbage collector's full collections and its longest pause inside the timed claims."""

    def __init__(self) -> None:
        self.timing = False
        self.full = 0
        self.longest_ms = 0.0
        self._began = 0.0

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if not self.timing:
            return
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.longest_ms = max(self.longest_ms, 1000 * (time.perf_counter() - self._began))
        self.full += info["generation"] == 2

    def start(self) -> None:
        gc.callbacks.append(self._note)

    def stop(self) -> None:
        if self._note in gc.callbacks:
            gc.callbacks.remove(self._note)


async def _kth_due(app: App, k: int) -> tuple[Any, int]:
    """The instant by which `k` subscriptions are due, and how many are due then (ties may add a few)."""
    async with app.store.engine.connect() as conn:
        column = SubscriptionRow.next_due_at
        now = await conn.scalar(select(column).order_by(column).limit(1).offset(k - 1))
        if now is None:
            now = await conn.scalar(select(func.max(column)))
        due = await conn.scalar(select(func.count()).where(column <= now))
    return now, int(due or 0)


def restore(db: Database, claims: list[Claim]) -> None:
    """Undo a claim: each subscription due again at the instant it was claimed for, its delivery row gone."""
    table: Any = SubscriptionRow.__table__
    rows = [
        {
            "sid": c.subscription.id,
            "due": local_instant(c.delivery.local_date, c.subscription.local_time, c.subscription.zone),
        }
        for c in claims
    ]
    engine = create_engine(db.sync_url)
    try:
        with engine.begin() as conn:
            if db.kind == "sqlite":  # the claims' process checkpoints the WAL, as it would alone in production
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            conn.execute(delete(DeliveryRow))
            statement = (
                update(table)
                .where(table.c.id == bindparam("sid"))
                .values(next_due_at=bindparam("due"), last_pushed_date=None, last_pushed_day=0)
            )
            if rows:
                conn.execute(statement, rows)
    finally:
        engine.dispose()
