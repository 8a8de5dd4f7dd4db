"""Benchmark 5, replies: /done updates from the fake server through the real client (long polling, PTB's
handlers, the core, SQLite, the reply), all queued at once for throughput, then at the target rate for latency.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from benchmarks.common import ErrorCount, FakeServer, Sizes, Stopwatch, median, percentile, progress
from benchmarks.population import Database, chat_id, due_now_rows
from benchmarks.profiling import Profile, profiled
from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum

TARGET_PER_S = 300.0
TARGET_P99_MS = 20.0


class UpdateTimer:
    """Times each update from the moment the application hands it on (before PTB's concurrency limit and our
    per-chat ordering) until its handler returns, i.e. after the reply was accepted: the time inside the bot."""

    def __init__(self, adapter: TelegramAdapter) -> None:
        self.durations: list[float] = []
        self.first = self.last = 0.0
        processor: Any = adapter.application.update_processor
        original = processor.process_update

        async def timed(update: object, coroutine: Awaitable[Any]) -> None:
            started = time.perf_counter()
            if not self.durations and not self.first:
                self.first = started
            try:
                await original(update, coroutine)
            finally:
                self.last = time.perf_counter()
                self.durations.append(self.last - started)

        processor.process_update = timed

    def reset(self) -> None:
        self.durations = []
        self.first = self.last = 0.0

    def figures(self) -> dict[str, float]:
        return timing_figures(self.durations, self.first, self.last)


def timing_figures(durations: list[float], first: float, last: float) -> dict[str, float]:
    """Updates handled, their rate from the first one's start to the last one's end, and their times in ms."""
    ms = [1000 * d for d in durations]
    span = last - first
    return {
        "handled": len(ms),
        "per_s": len(ms) / span if span > 0 else float("nan"),
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=float("nan")),
    }


class CpuTime:
    """CPU the bot's process spent from now on, all threads (the database driver's too) and the event loop's
    thread alone: on a shared machine, a steadier measure of the cost of one update than the wall clock."""

    def __init__(self) -> None:
        self.process, self.loop = time.process_time(), time.thread_time()

    def per_item_ms(self, count: int) -> dict[str, float]:
        return {
            "cpu_ms": 1000 * (time.process_time() - self.process) / count,
            "loop_cpu_ms": 1000 * (time.thread_time() - self.loop) / count,
        }


async def run(sizes: Sizes, curriculum: Curriculum, profile: bool) -> tuple[dict[str, Any], list[Profile]]:
    count = sizes.replies
    now = datetime.now(UTC)
    db = Database.create("sqlite")
    db.insert(due_now_rows(1, count, now))
    # Each /done comes from its own subscriber's chat, as after a morning push.
    items = [[chat_id(i), chat_id(i), "/done"] for i in range(1, count + 1)]
    phases: dict[str, list[dict[str, float]]] = {"burst": [], "paced": [], "light": []}
    profiles: list[Profile] = []
    try:
        async with FakeServer() as tg:
            settings = Settings(database_url=SecretStr(db.url), telegram_rate_limit=False, _env_file=None)
            app = await bootstrap(settings, clock=ManualClock(now), curriculum=curriculum, migrate=False)
            # The limiter would cap replies at Telegram's 30 msg/s; this measures the bot, as with paid broadcasts.
            adapter = TelegramAdapter(app.commands, tg.token, tg.root, rate_limit=False, poll_timeout=10)
            await adapter.start()
            app.gateways.connected(adapter.gateway)
            timer = UpdateTimer(adapter)
            # Where one update's time goes: the core (lookups, the completion, progress) and the reply's send.
            watch = Stopwatch()
            watch.wrap(app.commands, "handle", "core")
            watch.wrap(adapter.gateway, "send", "reply send")

            async def phase(name: str, updates: list[list[Any]], rate: float | None, repeat: int) -> None:
                db.reset()
                await tg.reset()
                timer.reset()
                watch.reset()
                cpu = CpuTime()
                with ErrorCount() as errors:
                    await tg.call("feed", items=updates, rate=rate)
                    stats = await tg.wait_sent(len(updates), timeout=len(updates) / 10 + 60)
                figures = timer.figures()
                figures.update(cpu.per_item_ms(len(updates)))
                # An update whose handler failed before replying gets no answer; one that failed inside a
                # command gets "Sorry, something went wrong". Both are counted as failures.
                figures["unanswered"] = len(updates) - stats["sent"]
                figures["errors"] = errors.count
                parts = watch.per_item_ms(len(updates))
                figures.update({f"{key} ms": value for key, value in parts.items()})
                trips = [1000 * t for t in stats["round_trips"]]
                figures["round_trip_p50_ms"] = percentile(trips, 0.50)
                figures["round_trip_p99_ms"] = percentile(trips, 0.99)
                phases[name].append(figures)
                label = "all at once" if rate is None else f"{rate:.0f}/s offered"
                progress(
                    f"replies, {len(updates):,} {label} #{repeat + 1}: {figures['per_s']:.0f}/s, "
                    f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                    f"{figures['errors']} errors, {figures['unanswered']} unanswered"
                )

            try:
                for repeat in range(sizes.replies_repeats):
                    await phase("burst", items, None, repeat)
                    if repeat < sizes.paced_repeats:
                        await phase("paced", items, sizes.replies_rate, repeat)
                # A rate the bot keeps up with: latency without queueing, the service time of one /done.
                await phase("light", items[: sizes.light], sizes.light_rate, 0)
                if profile:
                    db.reset()
                    await tg.reset()
                    few = items[: sizes.profile_items]
                    # At the offered rate: where the latency target is missed, this is the load that misses it.
                    rate = sizes.replies_rate
                    label = f"{len(few):,} /done offered at {rate:.0f}/s"
                    async with profiled(label, True, follow_tasks=True) as prof:
                        await tg.call("feed", items=few, rate=rate)
                        await tg.wait_sent(len(few), timeout=len(few) / 20 + 30)
                    if prof is not None:
                        profiles.append(prof)
            finally:
                await adapter.stop()
                await app.close()
    finally:
        db.drop()

    def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
        keys = runs[0] if runs else ("per_s", "p50_ms", "p99_ms", "round_trip_p50_ms", "round_trip_p99_ms", "errors")
        return {key: median([r[key] for r in runs]) for key in keys} | {"runs": runs}

    result: dict[str, Any] = {
        "updates": count,
        "offered_rate": sizes.replies_rate,
        "light_updates": sizes.light,
        "light_rate": sizes.light_rate,
        **{name: summary(runs) for name, runs in phases.items()},
        "target_per_s": TARGET_PER_S,
        "target_p99_ms": TARGET_P99_MS,
    }
    for name in phases:
        result[name]["failed"] = sum(r["errors"] + r["unanswered"] for r in phases[name])
    result["met_rate"] = result["burst"]["per_s"] >= TARGET_PER_S
    result["met_p99"] = result["paced"]["p99_ms"] <= TARGET_P99_MS
    return result, profiles
