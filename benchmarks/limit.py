"""Benchmark 2, at the limit: the rate-limited fan-out against a server that answers 429 beyond 30 msg/s and
20 msg/min per group, while two groups flood the bot with /done so that group replies compete for the cap."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from benchmarks.common import FakeServer, Sizes, median, progress
from benchmarks.population import Database, chat_id, due_now_rows
from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum

CAP = 30  # what the fake server enforces, as Telegram does
GROUP_CAP = 20
TARGET = 28.5  # 95% of the cap
GROUP_EVERY = 10  # one subscriber in ten is a group
BUSY_GROUPS = 2
COMMANDS_PER_GROUP = 22  # more than 20 in a minute, so the per-group limiter has to hold some back
BOT_USERNAME = "studybot_test"  # the fake server's default


async def run(sizes: Sizes, curriculum: Curriculum, *, groups: bool, flood: bool, repeats: int) -> dict[str, Any]:
    """The fan-out to people and (`groups`) one group in ten, the target's case; `flood` adds two busy groups."""
    seconds = sizes.limit_seconds
    # Enough pushes that the cap, not the queue, ends the window: the pass cannot finish within it.
    count = seconds * CAP
    now = datetime.now(UTC)
    db = Database.create("sqlite")
    db.insert(due_now_rows(1, count, now, group_every=GROUP_EVERY if groups else 0))
    busy = [chat_id(i * GROUP_EVERY, group=True) for i in range(1, BUSY_GROUPS + 1)]
    commands = [[group, 500 + n, f"/done@{BOT_USERNAME}"] for n in range(COMMANDS_PER_GROUP) for group in busy]
    if not flood:
        commands = []
    runs: list[dict[str, Any]] = []
    try:
        async with FakeServer(global_rate=CAP, group_rate=GROUP_CAP) as tg:
            settings = Settings(database_url=SecretStr(db.url), _env_file=None)
            for repeat in range(repeats):
                db.reset(due=now)
                await tg.reset()
                app = await bootstrap(settings, clock=ManualClock(now), curriculum=curriculum, migrate=False)
                adapter = TelegramAdapter(app.commands, tg.token, tg.root, rate_limit=True, poll_timeout=10)
                await adapter.start()
                app.gateways.connected(adapter.gateway)
                try:
                    # The floods arrive in the first seconds of the fan-out, as if the groups woke up with it.
                    if commands:
                        await tg.call("feed", items=commands, rate=len(commands) / 5)
                    started = time.monotonic()
                    # The window is what counts: stop the pass just after it rather than wait for a stalled tail.
                    stopper = asyncio.get_running_loop().call_later(seconds + 2, app.delivery.stop)
                    report = await app.delivery.run_pass(now)
                    stopper.cancel()
                    elapsed = time.monotonic() - started
                    # Let held-back group replies go out (3 s apart in a group) before reading the windows.
                    stats = await tg.wait_quiet(quiet=7 if flood else 1, timeout=150)
                finally:
                    await adapter.stop()
                    await app.close()
                first = stats["first_sent"]
                window = (await tg.call("window", start=first, end=first + seconds))["sent"]
                figures = {
                    "msgs_per_s": window / seconds,
                    "pushes": report.sent,
                    "pass_s": elapsed,
                    "all_messages": stats["sent"],
                    "rejected_429": stats["rejected_429"],
                    "max_per_second": stats["max_per_second"],
                    "max_group_per_minute": stats["max_group_per_minute"],
                    "group_messages": stats["group_messages"],
                }
                runs.append(figures)
                case = ("groups" if groups else "private") + (", floods" if flood else "")
                progress(
                    f"limit ({case}) #{repeat + 1}: {figures['msgs_per_s']:.2f} msg/s over {seconds} s, "
                    f"429s {figures['rejected_429']}, max group/min {figures['max_group_per_minute']}"
                )
    finally:
        db.drop()
    rates = [r["msgs_per_s"] for r in runs]
    worst_group = max(r["max_group_per_minute"] for r in runs)
    rejected = sum(r["rejected_429"] for r in runs)
    return {
        "seconds": seconds,
        "pushes": count,
        "groups": f"1 in {GROUP_EVERY}" if groups else "none",
        "group_floods": f"{BUSY_GROUPS} groups x {COMMANDS_PER_GROUP} /done in 5 s" if flood else "none",
        "runs": runs,
        "msgs_per_s": median(rates),
        "rejected_429": rejected,
        "max_group_per_minute": worst_group,
        "max_per_second": max(r["max_per_second"] for r in runs),
        "target_msgs_per_s": TARGET,
        "met": median(rates) >= TARGET and rejected == 0 and worst_group <= GROUP_CAP,
    }
