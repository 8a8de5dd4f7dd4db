"""Process start to ready, and idle RSS, of `studybot run` and of the tutorial JobQueue bot, each in its own
process against an in-process fake server; "ready" is the first getUpdates, when chats get answers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BENCH, TOKEN, median, rss_mb
from tests.fakes.telegram_server import FakeTelegram

IDLE_SECONDS = 2.0  # RSS is sampled this long after ready: the first delivery pass runs in it


async def measure(args: list[str], env: dict[str, str], ready_timeout: float = 300) -> dict[str, float]:
    """Start the process, time it to its first getUpdates, sample its RSS while idle, then SIGTERM it."""
    async with FakeTelegram(token=TOKEN, record_messages=False) as tg:
        env = {**env, "BENCH_API_URL": tg.root, "STUDYBOT_TELEGRAM_API_URL": tg.root}
        with (
            tempfile.TemporaryDirectory(prefix="studybot-start-") as folder,
            (Path(folder) / "out.log").open("wb") as out,
        ):
            started = time.perf_counter()
            process = await asyncio.create_subprocess_exec(*args, env=env, stdout=out, stderr=out, cwd=folder)
            try:
                await tg.wait_for_call("getUpdates", timeout=ready_timeout)
                ready = time.perf_counter() - started
                peak = 0.0
                deadline = time.perf_counter() + IDLE_SECONDS
                while time.perf_counter() < deadline:
                    peak = max(peak, rss_mb(process.pid))
                    await asyncio.sleep(0.2)
                if process.returncode is not None:
                    raise RuntimeError(f"{args[1]} exited early: {(Path(folder) / 'out.log').read_text()[-2000:]}")
            except TimeoutError:
                raise RuntimeError(f"{args[1]} not ready: {(Path(folder) / 'out.log').read_text()[-2000:]}") from None
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(process.wait(), 60)
                    except TimeoutError:
                        process.kill()
                        await process.wait()
    return {"ready_s": ready, "rss_mb": peak}


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("STUDYBOT_", "BENCH_"))}


async def studybot(url: str, repeats: int) -> dict[str, Any]:
    """`python -m bot run` with its database holding the subscriptions, as an operator would start it."""
    env = _clean_env()
    env.update(STUDYBOT_TELEGRAM_TOKEN=TOKEN, STUDYBOT_DATABASE_URL=url, STUDYBOT_LOG_LEVEL="WARNING")
    runs = [await measure([sys.executable, "-m", "bot", "run"], env) for _ in range(repeats)]
    return summarize(runs)


async def tutorial(sqlite_path: Path, repeats: int) -> dict[str, Any]:
    """benchmarks/tutorial_bot.py: one JobQueue.run_daily job per subscriber, read from the same database."""
    args = [sys.executable, str(BENCH / "tutorial_bot.py"), "--db", str(sqlite_path), "--token", TOKEN]
    runs = [await measure(args, _clean_env()) for _ in range(repeats)]
    return summarize(runs)


def summarize(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {
        "ready_s": median([r["ready_s"] for r in runs]),
        "rss_mb": median([r["rss_mb"] for r in runs]),
        "runs": runs,
    }
