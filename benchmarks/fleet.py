"""Benchmark 6, the fleet: `studybot worker` processes on one PostgreSQL database against the fake Telegram server
(in its own process, 429 past 30 msg/s, paid broadcasts up to 1,000/s). The msgs/s the fleet holds against its
budget with 1 and 3 workers, at 29.5/s and at 990/s as paid broadcasts (target: >= 95% of the cap, 0 x 429); the
machine's raw send rate (one worker, no pacing, no server limit) beside them; and the time from killing the sending
worker with SIGKILL to its job's pushes going out again."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.common import ROOT, FakeServer, Sizes, progress
from benchmarks.population import Database, due_now_rows

TARGET_SHARE = 0.95  # of the platform's cap: 28.5 msg/s, or 950 as paid broadcasts
FREE_CAP, PAID_CAP = 30.0, 1000.0
BUDGETS = (29.5, 990.0)  # STUDYBOT_TELEGRAM_MESSAGES_PER_SECOND: just under each cap
# Paid broadcasts at this share of the machine's raw rate too: 990/s is beyond one process on a slower machine
# (raw 691 msg/s on one of ours, 1,397 on another), where the cap's row then measures the machine, not the fleet.
SCALED_SHARE = 0.6
SECONDS = {"full": 30, "quick": 5}  # the measured window
WARMUP_SECONDS = 2.0  # from the first push, so that start-up is not counted
LEASES = {"full": 30, "quick": 6}  # STUDYBOT_DELIVERY_LEASE_SECONDS: sets the takeover time measured
INTERVAL_SECONDS = 2
STARTED = re.compile(r"send job (\d+) \(telegram\) starts on [^:]+:(\d+)")


@dataclass
class Fleet:
    """Worker processes over one database and one fake server; their logs in a folder of their own."""

    db: Database
    tg: FakeServer
    env: dict[str, str]
    folder: Path
    workers: list[asyncio.subprocess.Process]

    @classmethod
    async def start(cls, db: Database, tg: FakeServer, count: int, budget: float | None, lease: int) -> Fleet:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
        env.update(
            STUDYBOT_FLEET="true",
            STUDYBOT_DATABASE_URL=db.url,
            STUDYBOT_TELEGRAM_TOKEN=tg.token,
            STUDYBOT_TELEGRAM_API_URL=tg.root,
            STUDYBOT_DELIVERY_LEASE_SECONDS=str(lease),
            STUDYBOT_DELIVERY_INTERVAL_SECONDS=str(INTERVAL_SECONDS),
        )
        if budget is None:
            env["STUDYBOT_TELEGRAM_RATE_LIMIT"] = "false"
        else:
            env["STUDYBOT_TELEGRAM_MESSAGES_PER_SECOND"] = str(budget)
        folder = Path(tempfile.mkdtemp(prefix="studybot-fleet-bench-"))
        fleet = cls(db, tg, env, folder, [])
        migrate = await fleet._spawn("migrate", folder / "migrate.log")
        if await migrate.wait() != 0:
            raise RuntimeError(f"studybot migrate failed: {(folder / 'migrate.log').read_text()[-500:]}")
        for n in range(count):
            fleet.workers.append(await fleet._spawn("worker", folder / f"worker-{n}.log"))
        return fleet

    async def _spawn(self, command: str, log: Path) -> asyncio.subprocess.Process:
        out = log.open("ab")
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", command, env=self.env, stdout=out, stderr=out, cwd=ROOT
        )

    def sending(self) -> asyncio.subprocess.Process | None:
        """The worker running the token's send job now (from the queue and the job's start line in the logs)."""
        with psycopg.connect(self.db.url) as conn:
            row = conn.execute(
                "SELECT id FROM procrastinate_jobs WHERE task_name = 'studybot.send' AND status = 'doing'"
            ).fetchone()
        if row is None:
            return None
        pids = {worker.pid: worker for worker in self.workers}
        for log in self.folder.glob("worker-*.log"):
            for job, pid in STARTED.findall(log.read_text(errors="replace")):
                if int(job) == row[0] and int(pid) in pids:
                    return pids[int(pid)]
        return None

    async def stop(self) -> None:
        """SIGTERM to every worker; their logs are removed with them."""
        for worker in self.workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                await asyncio.wait_for(worker.wait(), 30)
            except TimeoutError:
                worker.kill()
                await worker.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


async def _sent(tg: FakeServer) -> int:
    count: int = (await tg.call("sent"))["sent"]
    return count


async def _wait_sent(tg: FakeServer, count: int, timeout: float) -> float:  # noqa: ASYNC109 - a bench deadline
    deadline = time.monotonic() + timeout
    while (sent := await _sent(tg)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{sent} of {count} sent after {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic()


async def rate(
    workers: int, budget: float | None, seconds: int, lease: int, kill: bool = False, of_budget: bool = False
) -> dict[str, Any]:
    """Run a fleet long enough to hold its rate for `seconds` after a warm-up; `kill`: then SIGKILL the sending
    worker and time how long until pushes go out again. `of_budget`: the target is 95% of the budget, not of the
    platform's cap."""
    cap = PAID_CAP if budget is not None and budget > FREE_CAP else FREE_CAP
    expected = budget or 2000.0
    # Enough that the budget, not the queue, ends the window (and the kill has pushes left to take over).
    count = int(expected * (WARMUP_SECONDS + seconds + (30 if kill else 5)) * 1.2) + 1000
    now = datetime.now(UTC)
    db = Database.create("postgresql")
    try:
        db.insert(due_now_rows(1, count, now))
        async with FakeServer(global_rate=None if budget is None else FREE_CAP) as tg:
            fleet = await Fleet.start(db, tg, workers, budget, lease)
            try:
                await _wait_sent(tg, 1, timeout=60)
                first = (await tg.stats())["first_sent"]
                await asyncio.sleep(WARMUP_SECONDS + seconds + 0.5)
                window = (await tg.call("window", start=first + WARMUP_SECONDS, end=first + WARMUP_SECONDS + seconds))
                figures: dict[str, Any] = {"workers": workers, "budget": budget, "cap": cap, "seconds": seconds,
                                           "msgs_per_s": window["sent"] / seconds}  # fmt: skip
                if kill:
                    figures.update(await _kill_and_time(fleet, tg, lease))
                stats = await tg.stats()
            finally:
                await fleet.stop()
        figures["rejected_429"] = stats["rejected_429"]
        figures["max_per_second"] = stats["max_per_second"]
        figures["of_budget"] = figures["msgs_per_s"] / budget if budget else None
        figures["of_cap"] = figures["msgs_per_s"] / cap
        figures["target_of_budget"] = of_budget
        aim = budget if of_budget and budget else cap
        figures["met"] = figures["msgs_per_s"] >= TARGET_SHARE * aim and stats["rejected_429"] == 0
        return figures
    finally:
        db.drop()


async def _kill_and_time(fleet: Fleet, tg: FakeServer, lease: int) -> dict[str, Any]:
    victim = None
    for _ in range(100):
        victim = await asyncio.to_thread(fleet.sending)
        if victim is not None:
            break
        await asyncio.sleep(0.1)
    if victim is None:
        raise RuntimeError("no worker was sending")
    victim.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    await victim.wait()
    at_kill = await _sent(tg)
    # Pushes in flight at the kill may still be answered; the job's next pushes come from its retry.
    resumed = await _wait_sent(tg, at_kill + 17, timeout=3 * lease + 60)
    return {"lease_s": lease, "resumed_after_s": resumed - killed_at, "killed_pid": victim.pid}


async def run(sizes: Sizes) -> dict[str, Any]:
    seconds, lease = SECONDS[sizes.name], LEASES[sizes.name]
    cases: dict[str, Any] = {}
    raw = await rate(1, None, seconds, lease)
    cases["raw"] = raw
    progress(f"fleet: raw send rate, 1 worker, no pacing: {raw['msgs_per_s']:.0f} msg/s")
    scaled = max(2 * FREE_CAP, round(SCALED_SHARE * raw["msgs_per_s"], -1))
    budgets = [*BUDGETS, scaled] if scaled < BUDGETS[-1] else list(BUDGETS)
    for budget in budgets:
        for workers in (1, 3):
            kill = workers == 3 and budget == BUDGETS[0]
            figures = await rate(workers, budget, seconds, lease, kill=kill, of_budget=budget not in BUDGETS)
            cases[f"{workers}x{budget:g}"] = figures
            progress(
                f"fleet: {workers} worker(s) at {budget:g}/s: {figures['msgs_per_s']:.1f} msg/s, "
                f"{figures['rejected_429']} x 429"
                + (f"; killed, resumed after {figures['resumed_after_s']:.1f} s" if kill else "")
            )
    return {"seconds": seconds, "lease_s": lease, "cases": cases,
            "met": all(c["met"] for name, c in cases.items() if name != "raw")}  # fmt: skip
