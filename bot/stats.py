"""`studybot stats`: the store's numbers (bot/store/stats.py) as a table for people, or JSON for machines."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.stats import FAILURE_DAYS, RATE_DAYS, Completion, Stats, read_stats


async def gather(settings: Settings, now: datetime) -> Stats:
    engine = make_engine(settings.database_url.get_secret_value())
    try:
        return await read_stats(engine, now)
    finally:
        await engine.dispose()


def _percent(completion: Completion) -> str:
    rate = completion.rate
    return "–" if rate is None else f"{rate:.1%}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        # The first column reads left to right; numbers line up on the right.
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(header), *(line(row) for row in rows)]


def as_text(stats: Stats) -> str:
    lines = [f'studybot stats at {stats.at:%Y-%m-%d %H:%M %Z} ("today" is each chat\'s own local date)', ""]
    subs = stats.subscribers
    rows = [[f"{s.platform} {s.kind}", f"{s.active:,}", f"{s.paused:,}", f"{s.stopped:,}"] for s in subs]
    rows.append(["total", *(f"{sum(getattr(s, f) for s in subs):,}" for f in ("active", "paused", "stopped"))])
    lines += _table(["subscribers", "active", "paused", "stopped"], rows)
    lines += [
        "",
        f"active today: {stats.active_today:,} chats (today's push went out, or someone marked a day done today)",
        f"done today:   {stats.done_today:,} days marked done, dated today",
        "",
        f"completion rate over the {RATE_DAYS} days before today (pushes sent, and how many of their days were marked "
        "done):",
    ]
    rows = [
        [c.kind, _percent(c), f"{c.done:,} of {c.pushed:,}"] for c in [*stats.completion, stats.completion_overall()]
    ]
    lines += ["  " + line for line in _table(["chats", "rate", "done of pushed"], rows)]
    lines += ["", f"failed or unknown sends, last {FAILURE_DAYS} days:"]
    if stats.failures:
        rows = [[f.platform, f.kind, f"{f.retrying:,}", f"{f.gave_up:,}", f"{f.unknown:,}"] for f in stats.failures]
        lines += ["  " + line for line in _table(["platform", "kind", "retrying", "gave up", "unknown"], rows)]
    else:
        lines.append("  none")
    return "\n".join(lines)


def as_json(stats: Stats) -> dict[str, Any]:
    def completion(c: Completion) -> dict[str, Any]:
        return {"pushed": c.pushed, "done": c.done, "rate": c.rate}

    return {
        "at": stats.at.isoformat(),
        "subscribers": [asdict(s) for s in stats.subscribers],
        "today": {"active_chats": stats.active_today, "days_done": stats.done_today},
        "completion_7_days": {
            **{c.kind: completion(c) for c in stats.completion},
            "all": completion(stats.completion_overall()),
        },
        "failures_7_days": [asdict(f) for f in stats.failures],
    }
