"""Benchmark 6, /done through the webhook path: the fake Telegram (in its own process) POSTs each update to the
bot's web server as Telegram does (40 connections, Telegram's default), where it is checked, recorded as handled
in the database, queued, handled and answered. All queued at once for throughput, then at 300/s for latency.

"Inside the bot" runs from the update's id being recorded (the request's first step after parsing) to its handler
returning, the reply sent. The raw rate beside it is the same fake POSTing to a web server that only answers 200:
this machine's ceiling for the path, whatever the bot does.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from telegram import Bot

from benchmarks.common import ErrorCount, FakeServer, Sizes, median, percentile, progress
from benchmarks.population import Database, chat_id, due_now_rows
from benchmarks.replies import CpuTime, timing_figures
from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import Role, build
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum

TARGET_PER_S = 2000.0
TARGET_P99_MS = 20.0
CONNECTIONS = 40  # Telegram's default max_connections
URL = "https://bench.example.com/hooks/telegram"
SECRET = "bench-webhook-secret"


class WebhookTimer:
    """Times each update from its id being recorded to its handler's end (reply sent)."""

    def __init__(self, adapter: TelegramAdapter) -> None:
        assert adapter.webhook is not None
        self.started: dict[int, float] = {}
        self.durations: list[float] = []
        self.first = self.last = 0.0
        seen: Any = adapter.webhook.seen
        processor: Any = adapter.application.update_processor
        original_first, original_process = seen.first, processor.process_update

        async def first(update_id: int) -> bool:
            now = time.perf_counter()
            self.first = self.first or now
            self.started[update_id] = now
            handled: bool = await original_first(update_id)
            return handled

        async def process(update: Any, coroutine: Any) -> None:
            try:
                await original_process(update, coroutine)
            finally:
                self.last = time.perf_counter()
                started = self.started.pop(getattr(update, "update_id", -1), None)
                if started is not None:
                    self.durations.append(self.last - started)

        seen.first = first
        processor.process_update = process

    def reset(self) -> None:
        self.started, self.durations, self.first, self.last = {}, [], 0.0, 0.0

    def figures(self) -> dict[str, float]:
        return timing_figures(self.durations, self.first, self.last)


async def _drained(tg: FakeServer, count: int, timeout: float) -> float:  # noqa: ASYNC109 - a bench deadline
    """Seconds until the fake has no update left to deliver (and has fed `count`)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        stats = await tg.stats()
        if not stats["feeding"] and not stats["pending_updates"]:
            break
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def raw_rate(tg: FakeServer, items: list[list[Any]]) -> float:
    """Updates/s the fake delivers to a server that only answers 200."""
    empty = web.Application()

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({})

    empty.router.add_post("/hooks/telegram", ok)
    runner = web.AppRunner(empty, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with Bot(tg.token, base_url=f"{tg.root}/bot") as bot:
            await bot.set_webhook(URL, secret_token=SECRET)
        await tg.call("route", target=f"http://127.0.0.1:{runner.addresses[0][1]}", concurrency=CONNECTIONS)
        await tg.call("feed", items=items, rate=None)
        seconds = await _drained(tg, len(items), 60)
    finally:
        await runner.cleanup()
    return len(items) / seconds


async def run(sizes: Sizes, curriculum: Curriculum) -> dict[str, Any]:
    count = sizes.replies
    now = datetime.now(UTC)
    db = Database.create("sqlite")
    db.insert(due_now_rows(1, count, now))
    items = [[chat_id(i), chat_id(i), "/done"] for i in range(1, count + 1)]
    phases: dict[str, list[dict[str, float]]] = {"burst": [], "paced": []}
    try:
        async with FakeServer() as tg:
            raw = await raw_rate(tg, items)
            progress(f"webhook, raw: the fake POSTs {len(items):,} updates to an empty server at {raw:.0f}/s")
            settings = Settings(
                database_url=SecretStr(db.url), telegram_token=SecretStr(tg.token), telegram_api_url=tg.root,
                telegram_rate_limit=False, web_port=0, telegram_webhook_url=URL,
                telegram_webhook_secret=SecretStr(SECRET), _env_file=None,
            )  # fmt: skip
            process = await build(settings, Role.RUN, clock=ManualClock(now), curriculum=curriculum, migrate=False)
            assert process.web is not None
            [adapter] = process.platforms
            assert isinstance(adapter, TelegramAdapter)
            await process.web.start()
            await adapter.start()
            process.app.gateways.connected(adapter.gateway)
            await tg.call("route", target=f"http://127.0.0.1:{process.web.port}", concurrency=CONNECTIONS)
            timer = WebhookTimer(adapter)

            async def phase(name: str, rate: float | None, repeat: int) -> None:
                db.reset()
                await tg.reset()
                timer.reset()
                cpu = CpuTime()
                with ErrorCount() as errors:
                    await tg.call("feed", items=items, rate=rate)
                    stats = await tg.wait_sent(len(items), timeout=len(items) / 10 + 60)
                figures = timer.figures()
                figures.update(cpu.per_item_ms(len(items)))
                figures["unanswered"] = len(items) - stats["sent"]
                figures["errors"] = errors.count
                trips = [1000 * t for t in stats["round_trips"]]
                figures["round_trip_p50_ms"] = percentile(trips, 0.50)
                figures["round_trip_p99_ms"] = percentile(trips, 0.99)
                phases[name].append(figures)
                label = "all at once" if rate is None else f"{rate:.0f}/s offered"
                progress(
                    f"webhook /done, {len(items):,} {label} #{repeat + 1}: {figures['per_s']:.0f}/s, "
                    f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                    f"{figures['errors']} errors, {figures['unanswered']} unanswered"
                )

            try:
                for repeat in range(sizes.replies_repeats):
                    await phase("burst", None, repeat)
                    if repeat < sizes.paced_repeats:
                        await phase("paced", sizes.replies_rate, repeat)
            finally:
                await process.web.stop()
                await adapter.stop()
                await process.close()
    finally:
        db.drop()

    def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
        return {key: median([r[key] for r in runs]) for key in runs[0]} | {"runs": runs}

    result: dict[str, Any] = {
        "updates": count,
        "offered_rate": sizes.replies_rate,
        "connections": CONNECTIONS,
        "raw_per_s": raw,
        **{name: summary(runs) for name, runs in phases.items()},
        "target_per_s": TARGET_PER_S,
        "target_p99_ms": TARGET_P99_MS,
    }
    for name in phases:
        result[name]["failed"] = sum(r["errors"] + r["unanswered"] for r in phases[name])
    result["met_rate"] = result["burst"]["per_s"] >= TARGET_PER_S
    result["met_p99"] = result["paced"]["p99_ms"] <= TARGET_P99_MS
    return result
