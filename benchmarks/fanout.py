"""Benchmark 1, fan-out overhead: the delivery pass against a raw python-telegram-bot send loop, same server,
same messages, rate limiter off. The ratio is what our database, rendering and bookkeeping leave of the send."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder

from benchmarks.common import FakeServer, Sizes, Stopwatch, median, progress
from benchmarks.population import Database, chat_id, due_now_rows
from benchmarks.profiling import Profile, profiled
from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.format import card_html, keyboard
from bot.adapters.telegram.request import AiohttpRequest
from bot.bootstrap import bootstrap
from bot.core import render
from bot.core.clock import ManualClock
from bot.core.i18n import messages
from bot.settings import Settings
from curriculum.loader import Curriculum
from scheduler.delivery import DeliveryPolicy

TARGET_RATIO = 0.8


def rendered_cards(curriculum: Curriculum) -> dict[tuple[str, int], tuple[str, InlineKeyboardMarkup | None]]:
    """Every push the pass can send, rendered once, so the raw loop sends the very same bytes."""
    cards = {}
    for language in ("en", "zh"):
        for day in range(1, curriculum.total_days + 1):
            card = render.topic_card(messages(language), curriculum.topic(day, language))
            cards[(language, day)] = (card_html(card), keyboard(card.buttons))
    return cards


def raw_plan(count: int, total_days: int) -> list[tuple[int, str, int]]:
    """(chat, language, plan day) for each subscriber, as population.due_now_rows makes them."""
    return [(chat_id(i), "zh" if i % 2 else "en", i % total_days + 1) for i in range(1, count + 1)]


async def raw_loop(
    tg: FakeServer, plan: list[tuple[int, str, int]], cards: dict[Any, Any], concurrency: int = 1
) -> float:
    """python-telegram-bot alone, built as the adapter builds its bot: `concurrency` loops of send_message
    sharing the plan (1: one message after another)."""
    application = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(f"{tg.root}/bot")
        .base_file_url(f"{tg.root}/file/bot")
        .job_queue(None)
        .request(AiohttpRequest())
        .build()
    )
    bot = application.bot
    waiting = list(reversed(plan))

    async def sender() -> None:
        while waiting:
            chat, language, day = waiting.pop()
            text, markup = cards[(language, day)]
            await bot.send_message(chat, text, parse_mode=ParseMode.HTML, reply_markup=markup)

    async with bot:
        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return time.perf_counter() - started


async def run(
    sizes: Sizes, kinds: list[str], curriculum: Curriculum, profile: bool
) -> tuple[dict[str, Any], list[Profile]]:
    count = sizes.fanout
    now = datetime.now(UTC)
    cards = rendered_cards(curriculum)
    plan = raw_plan(count, curriculum.total_days)
    # The raw loop runs both one message at a time and with as many in flight as the pass sends at once; the
    # ratio is taken against the faster of the two, so concurrency alone cannot make the pass look cheap.
    concurrency = DeliveryPolicy().concurrency
    result: dict[str, Any] = {
        "subscribers": count, "target_ratio": TARGET_RATIO, "raw_runs": [], "raw_concurrent_runs": [],
        "raw_concurrency": concurrency, "databases": {},
    }  # fmt: skip
    profiles: list[Profile] = []
    async with FakeServer() as tg:
        for kind in kinds:
            db = Database.create(kind)
            db.insert(due_now_rows(1, count, now))
            settings = Settings(database_url=SecretStr(db.url), telegram_rate_limit=False, _env_file=None)
            app = await bootstrap(settings, clock=ManualClock(now), curriculum=curriculum, migrate=False)
            adapter = TelegramAdapter(app.commands, tg.token, tg.root, rate_limit=False, poll_timeout=10)
            await adapter.start()
            app.gateways.connected(adapter.gateway)
            # Where the pass's own time goes: claiming (before any send) and the status commits (serialized, but
            # overlapping the sends in flight). Sends run `concurrency` at once, so their time is not a share.
            watch = Stopwatch()
            watch.wrap(app.store.ledger, "claim_due", "claim")
            watch.wrap(app.store.ledger, "claim_owed", "claim")
            watch.wrap(app.store.ledger, "record", "status commits")
            runs: list[float] = []
            breakdowns: list[dict[str, float]] = []
            try:
                # PostgreSQL's pass once: the ratio is about the pass's own work, and SQLite is the default store.
                for repeat in range(sizes.repeats if kind == "sqlite" else 1):
                    if kind == "sqlite":
                        # Alternate the two loops so that a busy moment on the shared machine hits both alike.
                        await tg.reset()
                        raw_s = await raw_loop(tg, plan, cards)
                        result["raw_runs"].append(count / raw_s)
                        await tg.reset()
                        wide_s = await raw_loop(tg, plan, cards, concurrency)
                        result["raw_concurrent_runs"].append(count / wide_s)
                        progress(f"fanout raw #{repeat + 1}: {count / raw_s:.0f} msg/s one at a time, "
                                 f"{count / wide_s:.0f} msg/s {concurrency} at once")
                    db.reset(due=now)
                    await tg.reset()
                    watch.reset()
                    started = time.perf_counter()
                    report = await app.delivery.run_pass(now)
                    elapsed = time.perf_counter() - started
                    stats = await tg.stats()
                    if report.sent != count or stats["sent"] != count:
                        raise RuntimeError(f"fan-out sent {report.sent} (server saw {stats['sent']}) of {count}")
                    runs.append(count / elapsed)
                    parts = watch.per_item_ms(count)
                    parts["pushes per status commit"] = count / max(1, watch.calls.get("status commits", 0))
                    breakdowns.append(parts)
                    progress(f"fanout {db.kind} #{repeat + 1}: pass {count / elapsed:.0f} msg/s")
                if profile:
                    db.reset(due=now, due_first=sizes.profile_items)
                    label = f"fan-out pass ({db.kind}, {min(count, sizes.profile_items):,} pushes)"
                    async with profiled(label, True) as prof:
                        await app.delivery.run_pass(now)
                    if prof is not None:
                        profiles.append(prof)
            finally:
                await adapter.stop()
                await app.close()
                db.drop()
            best = breakdowns[runs.index(median(runs))] if len(runs) % 2 else breakdowns[-1]
            result["databases"][db.kind] = {
                "pass_runs": runs,
                "pass_msgs_per_s": median(runs),
                "ms_per_push": best,
                "concurrency": app.delivery.policy.concurrency,
            }
    raw = max(median(result["raw_runs"]), median(result["raw_concurrent_runs"]))
    result["raw_sequential_msgs_per_s"] = median(result["raw_runs"])
    result["raw_concurrent_msgs_per_s"] = median(result["raw_concurrent_runs"])
    result["raw_msgs_per_s"] = raw
    result["raw_ms_per_message"] = 1000 / raw
    for figures in result["databases"].values():
        figures["ratio"] = figures["pass_msgs_per_s"] / raw
        figures["met"] = figures["ratio"] >= TARGET_RATIO
    return result, profiles
