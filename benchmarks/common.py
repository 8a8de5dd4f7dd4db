"""What every benchmark shares: the run's sizes, the fake server process, timing statistics and RSS."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
TOKEN = "123456:BENCH-token"
log = logging.getLogger("benchmarks")


@dataclass(frozen=True)
class Sizes:
    """The workload of one run; `full` is the issue's, `quick` the same shape made small."""

    name: str
    repeats: int  # runs per figure, whose median is reported...
    start_repeats: int  # ...for process starts,
    limit_repeats: int  # ...for the rate-limited fan-out (each takes limit_seconds),
    replies_repeats: int  # ...for the replies queued at once,
    paced_repeats: int  # ...and for the replies offered at a steady rate
    fanout: int
    limit_seconds: int
    due_sizes: tuple[int, ...]
    claim: int
    start_sizes: tuple[int, ...]
    tutorial_sizes: tuple[int, ...]
    replies: int
    replies_rate: float
    light: int  # replies offered at a rate the bot keeps up with: the time of one update without queueing
    light_rate: float
    profile_items: int  # pushes or updates in a profiled run: enough for stable proportions, and quick
    dashboard_subscribers: int = 10_000  # the dashboard's pages, on SQLite with this many subscribers...
    dashboard_requests: int = 200  # ...each page asked this many times, one at a time
    claim_repeats: int = 120  # claims at the largest due-index size, per batch size: enough for a p99
    peak_stored: int = 1_000_000  # the peak minute: subscriptions stored...
    peak_due: int = 50_000  # ...of them due at the same minute, sent as paid broadcasts...
    peak_free_due: int = 5_000  # ...and due at the same minute at the free rate

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = Sizes(
    name="full",
    repeats=3,
    start_repeats=3,
    limit_repeats=3,
    replies_repeats=2,
    paced_repeats=1,
    fanout=10_000,
    limit_seconds=60,
    due_sizes=(1_000, 10_000, 100_000, 1_000_000),
    claim=1_000,
    start_sizes=(10_000, 100_000, 1_000_000),
    tutorial_sizes=(10_000, 100_000),
    replies=10_000,
    replies_rate=300.0,
    light=600,
    light_rate=20.0,
    profile_items=2_000,
)
QUICK = Sizes(
    name="quick",
    repeats=3,
    start_repeats=1,
    limit_repeats=1,
    replies_repeats=2,
    paced_repeats=1,
    fanout=500,
    limit_seconds=5,
    due_sizes=(1_000, 10_000, 100_000),
    claim=1_000,
    start_sizes=(10_000,),
    tutorial_sizes=(10_000,),
    replies=500,
    replies_rate=300.0,
    light=100,
    light_rate=20.0,
    profile_items=500,
    dashboard_subscribers=1_000,
    dashboard_requests=30,
    peak_stored=20_000,
    peak_due=3_000,
    peak_free_due=150,
)


class Stopwatch:
    """Wall time spent inside chosen async methods of live objects, by wrapping them on the instance.

    It costs two perf_counter() calls per call, so it stays on in timed runs; nested labels overlap.
    """

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, obj: Any, name: str, label: str | None = None) -> None:
        original = getattr(obj, name)
        key = label or name

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.spent[key] = self.spent.get(key, 0.0) + time.perf_counter() - started
                self.calls[key] = self.calls.get(key, 0) + 1

        setattr(obj, name, timed)

    def reset(self) -> None:
        self.spent.clear()
        self.calls.clear()

    def per_item_ms(self, count: int) -> dict[str, float]:
        return {key: 1000 * spent / count for key, spent in self.spent.items()}


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: p99 of 10,000 samples is the 9,900th smallest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of a process (this one by default) in MiB, from /proc."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat), whoever spent them."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait; guest time is counted inside user already
    return (sum(fields[:8]) - idle) / _TICK


def process_cpu_s(pid: int) -> float:
    """User and system CPU seconds of one process so far; 0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def postgres_cpu_s() -> dict[int, float]:
    """CPU seconds of each PostgreSQL server process on this machine (backends, WAL writer, checkpointer), by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = process_cpu_s(int(entry.name))
            except OSError:
                continue
    return found


@dataclass
class CpuMeter:
    """Where a run's CPU went on the whole machine: this process, the fake server's, PostgreSQL's, and all cores
    together (so the rest is other work sharing the machine). `cores_busy` says how close to saturated it was."""

    fake_pid: int | None = None

    def __post_init__(self) -> None:
        self._postgres = postgres_cpu_s()
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        return {
            "wall": time.perf_counter(),
            "machine": machine_busy_s(),
            "bot": time.process_time(),
            "fake": process_cpu_s(self.fake_pid) if self.fake_pid else 0.0,
        }

    def per_item_ms(self, count: int) -> dict[str, float]:
        end = self._read()
        spent = {key: end[key] - self._start[key] for key in end}
        # A backend that ended meanwhile took its figure with it; one that started counts from zero.
        spent["postgres"] = sum(cpu - self._postgres.get(pid, 0.0) for pid, cpu in postgres_cpu_s().items())
        figures = {key: spent[key] * 1000 / count for key in ("machine", "bot", "fake", "postgres")}
        figures["cores_busy"] = spent["machine"] / spent["wall"]
        return figures


def machine() -> dict[str, Any]:
    """What the figures were measured on; the load average says how busy the shared machine was."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def code_version() -> str:
    """The commit measured, and whether the work tree differed from it (others edit while benchmarks run)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("benchmarks/")]
    return f"{commit} (+ uncommitted changes)" if changed else commit


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("python-telegram-bot", "httpx", "SQLAlchemy", "aiosqlite", "psycopg", "APScheduler", "aiohttp")
    return {name: version(name) for name in names}


class FakeServer:
    """`async with FakeServer(global_rate=30) as tg:` runs benchmarks/fake_server.py and talks to it."""

    def __init__(
        self, *, global_rate: float | None = None, group_rate: int | None = None, count_chats: bool = False
    ) -> None:
        self.args = [sys.executable, str(BENCH / "fake_server.py"), "--token", TOKEN]
        if count_chats:
            self.args.append("--count-chats")
        if global_rate is not None:
            self.args += ["--global-rate", str(global_rate)]
        if group_rate is not None:
            self.args += ["--group-rate", str(group_rate)]
        self.root = ""
        self.token = TOKEN
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def __aenter__(self) -> Self:
        self._process = await asyncio.create_subprocess_exec(
            *self.args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26
        )
        self.root = (await self._read())["root"]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        process = self._process
        if process is None:
            return
        try:
            await asyncio.wait_for(self.call("quit"), 5)
            await asyncio.wait_for(process.wait(), 5)
        except (TimeoutError, ConnectionError, json.JSONDecodeError):
            if process.returncode is None:
                process.kill()
                await process.wait()

    async def _read(self) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        line = await self._process.stdout.readline()
        if not line:
            raise ConnectionError("the fake Telegram server exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def call(self, op: str, **args: Any) -> dict[str, Any]:
        assert self._process is not None and self._process.stdin is not None
        async with self._lock:
            self._process.stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
            await self._process.stdin.drain()
            return await self._read()

    async def stats(self) -> dict[str, Any]:
        return await self.call("stats")

    async def reset(self) -> None:
        await self.call("reset")

    async def wait_sent(self, count: int, timeout: float, stall: float = 45.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Poll until the server has accepted `count` messages, or none came for `stall` seconds (longer than
        the database pool's 30 s timeout, so updates that failed are given up on), or the time is up."""
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while True:
            # Only the count while polling: parsing the full stats 20 times a second cost the bot's process
            # more CPU than parsing all of its Bot API responses.
            sent = (await self.call("sent"))["sent"]
            if sent != last:
                last, since = sent, time.monotonic()
            now = time.monotonic()
            if sent >= count or now > deadline or now - since > stall:
                return await self.stats()
            await asyncio.sleep(0.05)

    async def wait_quiet(self, quiet: float, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109 - a bench deadline
        """Poll until no message has been accepted for `quiet` seconds and no update waits; return the stats."""
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while True:
            stats = await self.stats()
            if stats["sent"] != last:
                last, since = stats["sent"], time.monotonic()
            idle = not stats["feeding"] and not stats["pending_updates"]
            if (idle and time.monotonic() - since >= quiet) or time.monotonic() > deadline:
                return stats
            await asyncio.sleep(0.25)


def quiet_logging() -> None:
    """Benchmarks print a table; the libraries' INFO lines (one per request for httpx) would drown it."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("httpx", "telegram", "apscheduler", "aiosqlite", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # PTB's Updater.stop() logs a harmless ERROR when the last getUpdates finds its one connection still held
    # by the cancelled long poll; every benchmark stops an adapter, so that line would repeat in every run.
    logging.getLogger("telegram.ext.Updater").setLevel(logging.CRITICAL)
    log.setLevel(logging.INFO)


class ErrorCount(logging.Handler):
    """Counts ERROR records from studybot's loggers (a failed command, an update that raised) during a run."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1

    def __enter__(self) -> Self:
        logging.getLogger("bot").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("bot").removeHandler(self)


def progress(message: str) -> None:
    """One line on stderr so a long run shows where it is, without mixing into the table or the JSON."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
