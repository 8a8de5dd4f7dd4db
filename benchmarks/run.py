"""`python benchmarks/run.py [--quick] [--json] [--profile]`: every benchmark in one command, then the table.

It starts what it needs (the fake Telegram server in its own process, temporary SQLite files, PostgreSQL
databases on 127.0.0.1:5432 when the server is up) and removes them afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "1")  # as the adapter sets it, before telegram is imported

from benchmarks import (
    common,
    dashboard,
    due_index,
    fanout,
    fleet,
    limit,
    peak,
    profiling,
    recovery,
    replies,
    table,
    webhook,
)
from benchmarks.population import Database
from bot.process import configure_process
from curriculum.loader import load_curriculum

BENCHMARKS = ("fanout", "limit", "due", "replies", "webhook", "fleet", "dashboard", "recovery", "peak")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole run in under two minutes")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, not the table")
    parser.add_argument("--profile", action="store_true", help="profile one more run of each (needs pyinstrument)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only, even if PostgreSQL is up")
    parser.add_argument("--save", type=Path, help="write the figures so far as JSON to this file after each benchmark")
    parser.add_argument(
        "--table-from", type=Path, nargs="+", metavar="JSON", help="print the table of saved runs (later files win)"
    )
    return parser.parse_args()


def postgres_up() -> bool:
    db = Database.postgres()
    if db is None:
        return False
    db.drop()
    return True


async def main(args: argparse.Namespace) -> dict[str, Any]:
    configure_process()  # measured as `studybot` runs
    sizes = common.QUICK if args.quick else common.FULL
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = chosen - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
    kinds = ["sqlite"] if args.no_postgres or not postgres_up() else ["sqlite", "postgresql"]
    curriculum = load_curriculum()
    started = time.monotonic()
    run: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": common.machine(),
        "code": common.code_version(),
        "libraries": common.library_versions(),
        "sizes": sizes.as_dict(),
        "databases": kinds,
        "results": {},
    }
    results = run["results"]
    profiles: list[profiling.Profile] = []
    common.progress(f"{sizes.name} run on {', '.join(kinds)}; load average {run['machine']['loadavg']}")

    async def one(name: str, work: Awaitable[Any]) -> None:
        """Run one benchmark; a failure is reported in the table instead of losing the others' figures."""
        try:
            found = await work
        except Exception as exc:
            common.log.exception("benchmark %s failed", name)
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            if isinstance(found, tuple):
                results[name], more = found
                profiles.extend(more)
            else:
                results[name] = found
        if args.save:
            run["profiles"] = [p.__dict__ for p in profiles]
            args.save.write_text(json.dumps(run, indent=1, default=str))

    if "fanout" in chosen:
        await one("fanout", fanout.run(sizes, kinds, curriculum, args.profile))
    if "limit" in chosen:
        await one("limit", limit.run(sizes, curriculum, groups=True, flood=False, repeats=sizes.limit_repeats))
        await one("limit_private", limit.run(sizes, curriculum, groups=False, flood=False, repeats=1))
        if sizes.name == "full":  # its held-back group replies take over a minute to drain, whatever the size
            await one("limit_floods", limit.run(sizes, curriculum, groups=True, flood=True, repeats=1))
    if "due" in chosen:
        await one("due_index", due_index.run(sizes, kinds, curriculum, args.profile))
    if "replies" in chosen:
        await one("replies", replies.run(sizes, curriculum, args.profile))
    if "webhook" in chosen:
        await one("webhook", webhook.run(sizes, curriculum))
    if "fleet" in chosen:
        if "postgresql" in kinds:
            await one("fleet", fleet.run(sizes))
        else:
            common.progress("fleet: skipped, it runs on PostgreSQL")
    if "dashboard" in chosen:
        await one("dashboard", dashboard.run(sizes, curriculum))
    if "recovery" in chosen:
        await one("recovery", recovery.run(sizes, kinds))
    if "peak" in chosen:
        await one("peak", peak.run(sizes, kinds, curriculum, wide=("postgresql",)))
    run["duration_s"] = time.monotonic() - started
    run["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    run["profiles"] = [p.__dict__ for p in profiles]
    run["table"] = table.report(run, profiles)
    if args.save:
        args.save.write_text(json.dumps(run, indent=1, default=str))
    return run


def merged(paths: list[Path]) -> str:
    """The table of one or more saved runs: their results merged, the first file's header."""
    runs = [json.loads(path.read_text()) for path in paths]
    run = runs[0]
    run.setdefault("duration_s", 0.0)
    run.setdefault("loadavg_end", "?")
    for later in runs[1:]:
        run["results"].update(later["results"])
        run["profiles"] = run.get("profiles", []) + later.get("profiles", [])
        run["duration_s"] += later.get("duration_s", 0.0)
    profiles = [profiling.Profile(**p) for p in run.get("profiles", [])]
    return table.report(run, profiles)


def cli() -> None:
    args = parse()
    if args.table_from:
        print(merged(args.table_from))
        return
    common.quiet_logging()
    run = asyncio.run(main(args))
    if args.json:
        print(json.dumps(run, indent=1, default=str))
    else:
        print(run["table"])


if __name__ == "__main__":
    cli()
