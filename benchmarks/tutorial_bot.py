"""The tutorial pattern studybot is compared with: a python-telegram-bot bot that, on start, reads every
subscriber and schedules one `JobQueue.run_daily` job each. Run by benchmarks/startup.py; SIGTERM stops it."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
from datetime import time
from functools import cache
from zoneinfo import ZoneInfo

from telegram.ext import Application, ApplicationBuilder, CallbackContext


async def push(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """The daily job: send the day's topic (never reached in the benchmark, which measures start and memory)."""
    job = context.job
    assert job is not None and job.chat_id is not None
    await context.bot.send_message(job.chat_id, "Today's topic")


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def subscribers(path: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT chat_id, timezone, local_time FROM subscriptions WHERE active").fetchall()


async def main(args: argparse.Namespace) -> None:
    application: Application = (  # type: ignore[type-arg]
        ApplicationBuilder()
        .token(args.token)
        .base_url(f"{args.api_url}/bot")
        .base_file_url(f"{args.api_url}/file/bot")
        .build()
    )
    assert application.job_queue is not None and application.updater is not None
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with application:
        for chat_id, zone_name, local_time in subscribers(args.db):
            at = time.fromisoformat(local_time).replace(tzinfo=zone(zone_name))
            application.job_queue.run_daily(push, at, chat_id=int(chat_id), name=chat_id)
        await application.start()  # the JobQueue's scheduler starts here: every job goes live
        await application.updater.start_polling(poll_interval=0, timeout=10)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="the SQLite file studybot's benchmark filled")
    parser.add_argument("--token", required=True)
    parser.add_argument("--api-url", default=os.environ.get("BENCH_API_URL", ""))
    asyncio.run(main(parser.parse_args()))
