"""Benchmark 7, the web dashboard's pages on the embedded SQLite: every page must answer in under 200 ms with 10,000
subscribers. `studybot web`'s own process (bootstrap's WEB role, uvicorn on 127.0.0.1) is asked over HTTP, one
request at a time, for each page: a learner's page (the busiest learner: 60 days done with notes, in three groups),
that page with a day opened, a group's page (40 members, a few weeks of days each), the plan, a sign-in, and the
learner's export. Around them: the subscribers (Telegram DMs in zones all over the world) and their days done.

The admin check a group page makes on Telegram (getChatMember, cached a minute per member) is not in these figures:
no platform is connected here, so nobody is an admin.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import create_engine

from benchmarks.common import Sizes, median, percentile, progress
from benchmarks.population import Database, chat_id, spread_rows
from bot.bootstrap import Role, build
from bot.core.clock import ManualClock
from bot.settings import Settings
from bot.store.tables import CompletionRow, SubscriptionRow
from bot.web.dashboard.auth import Group, Person
from bot.web.dashboard.site import SESSION_COOKIE
from curriculum.loader import Curriculum

TARGET_MS = 200.0
WARMUP = 5
GROUPS_EVERY = 200  # one study group per this many subscribers
MEMBERS = 40
BUSIEST_DAYS = 60
COMPLETIONS: Any = CompletionRow.__table__
SUBSCRIPTIONS: Any = SubscriptionRow.__table__


def _completion_rows(t0: datetime, subscribers: int) -> list[dict[str, Any]]:
    """Each DM's days done (up to 29, the busiest learner's 60 with notes), dated from its start."""
    rows = []
    for sub_id in range(1, subscribers + 1):
        days = BUSIEST_DAYS if sub_id == 1 else sub_id % 30
        user = str(chat_id(sub_id))
        start = t0.date() - timedelta(days=days + 1)
        note = "a note " * 20 if sub_id == 1 else ""
        for day in range(1, days + 1):
            rows.append(_done(sub_id, user, day, start + timedelta(days=day - 1), t0, note))
    return rows


def _done(sub_id: int, user: str, day: int, on: date, t0: datetime, note: str = "") -> dict[str, Any]:
    return {"subscription_id": sub_id, "user_id": user, "user_name": f"Learner {user[-4:]}", "plan_day": day,
            "local_date": on, "completed_at": datetime.combine(on, t0.timetz()), "note": note}  # fmt: skip


def _groups(db: Database, t0: datetime, subscribers: int) -> list[int]:
    """Study groups, each with MEMBERS members (the busiest learner in the first three); their chat ids."""
    count = max(1, subscribers // GROUPS_EVERY)
    first = subscribers + 1
    rows = list(spread_rows(first, count, t0))
    for n, row in enumerate(rows):
        row.update(kind="group", chat_id=str(chat_id(first + n, group=True)), start_date=t0.date() - timedelta(days=20))
    db.insert(rows)
    done = []
    for n in range(count):
        sub_id = first + n
        members = [1] if n < 3 else []
        members += [2 + (n * MEMBERS + m) % (subscribers - 1) for m in range(MEMBERS - len(members))]
        for k, member in enumerate(members):
            user = str(chat_id(member))
            for day in range(1, 1 + (k % 20) + 1):
                done.append(_done(sub_id, user, day, t0.date() - timedelta(days=21 - day), t0))
    _insert(db, COMPLETIONS, done)
    return [chat_id(first + n, group=True) for n in range(count)]


def _insert(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk rows through sqlite3's executemany with SQLAlchemy's own encodings (as population.py does)."""
    engine = create_engine(db.sync_url)
    try:
        columns = list(rows[0])
        processors = [table.c[c].type._cached_bind_processor(engine.dialect) for c in columns]
        values = [[p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True)] for row in rows]
        connection = engine.raw_connection()
        try:
            connection.execute("PRAGMA synchronous=OFF")
            marks = ", ".join("?" * len(columns))
            connection.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", values)
            connection.commit()
        finally:
            connection.close()
    finally:
        engine.dispose()


async def _time(client: httpx.AsyncClient, path: str, requests: int, status: int) -> dict[str, float]:
    durations = []
    for n in range(WARMUP + requests):
        started = clock.perf_counter()
        response = await client.get(path)
        spent = (clock.perf_counter() - started) * 1000
        if response.status_code != status:
            raise RuntimeError(f"{path} answered {response.status_code}, not {status}")
        if n >= WARMUP:
            durations.append(spent)
    return {"p50_ms": median(durations), "p99_ms": percentile(durations, 0.99), "max_ms": max(durations),
            "bytes": len(response.content)}  # fmt: skip


async def run(sizes: Sizes, curriculum: Curriculum) -> dict[str, Any]:
    subscribers, requests = sizes.dashboard_subscribers, sizes.dashboard_requests
    t0 = datetime.now(UTC).replace(microsecond=0)
    db = Database.sqlite()
    try:
        progress(f"dashboard: {subscribers:,} subscribers and their days")
        db.insert(spread_rows(1, subscribers, t0))
        _insert(db, COMPLETIONS, _completion_rows(t0, subscribers))
        groups = _groups(db, t0, subscribers)
        db.analyze()
        settings = Settings(_env_file=None, database_url=SecretStr(db.url), web_port=0, log_level="WARNING")
        process = await build(settings, Role.WEB, clock=ManualClock(t0), curriculum=curriculum, migrate=False)
        assert process.web is not None and process.links is not None
        await process.web.start()
        try:
            root = process.web.local_url()
            busiest = str(chat_id(1))
            link = "/sign-in/" + process.links.link_token(Person("telegram", busiest, "Busy"), Group(str(groups[0])))
            async with httpx.AsyncClient(base_url=str(root)) as client:
                signed_in = await client.get(link)
                client.cookies.set(SESSION_COOKIE, signed_in.cookies[SESSION_COOKIE])
                pages = {
                    "learner page (/me)": ("/me", 200),
                    "a day opened (/me?day=30)": ("/me?day=30", 200),
                    f"group page ({MEMBERS} members)": (f"/groups/{groups[0]}", 200),
                    "the plan (/plan?week=10)": ("/plan?week=10&lang=zh", 200),
                    "sign-in link (/sign-in/...)": (link, 303),
                    "export (/me/export.json)": ("/me/export.json", 200),
                }
                results = {}
                for name, (path, status) in pages.items():
                    results[name] = await _time(client, path, requests, status)
                    progress(f"dashboard: {name}: p50 {results[name]['p50_ms']:.1f} ms, "
                             f"p99 {results[name]['p99_ms']:.1f} ms")  # fmt: skip
        finally:
            await process.web.stop()
            await process.close()
    finally:
        db.drop()
    worst = max(r["p99_ms"] for r in results.values())
    return {"subscribers": subscribers, "groups": len(groups), "requests": requests, "pages": results,
            "worst_p99_ms": worst, "met": worst <= TARGET_MS}  # fmt: skip
