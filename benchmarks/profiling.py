"""Optional pyinstrument profiles of a benchmark's bot side, reduced to the top entries the report prints.

pyinstrument is a dev tool, not a dependency: without it `--profile` says so and the figures still come out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

OWN_CODE = ("bot/", "scheduler/", "curriculum/")


@dataclass
class Profile:
    """What one profiled section spent its time on; `entries` is filled when the section ends."""

    label: str
    total_s: float = 0.0
    entries: list[dict[str, Any]] = field(default_factory=list)
    own: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def available() -> bool:
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        return False
    return True


@asynccontextmanager
async def profiled(
    label: str, enabled: bool, *, follow_tasks: bool = False, top: int = 12
) -> AsyncIterator[Profile | None]:
    """Profile the block when `enabled`. By default time awaiting is charged to the awaiting code of this task;
    `follow_tasks` samples whatever the event loop runs instead (handlers in PTB's tasks), CPU only."""
    if not enabled:
        yield None
        return
    profile = Profile(label)
    if not available():
        profile.error = "pyinstrument is not installed (.venv/bin/pip install pyinstrument)"
        yield profile
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001, async_mode="disabled" if follow_tasks else "enabled")
    profiler.start()
    try:
        yield profile
    finally:
        session = profiler.stop()
        root = session.root_frame()
        if root is not None:
            profile.total_s = root.time
            profile.entries, profile.own = summarize(root, top)


def summarize(root: Any, top: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Self time per function across the whole tree, and inclusive time of studybot's own functions."""
    self_time: dict[tuple[str, str], float] = {}
    inclusive: dict[tuple[str, str], float] = {}

    def walk(frame: Any, on_stack: frozenset[tuple[str, str]]) -> None:
        if frame.is_synthetic:
            return  # "[self]" / "[await]" leaves: their time is already in the parent's total_self_time
        key = (frame.function or "?", f"{frame.file_path_short or '?'}:{frame.line_no or 0}")
        self_time[key] = self_time.get(key, 0.0) + frame.total_self_time
        if key not in on_stack:  # recursion: count a function's inclusive time once per stack
            inclusive[key] = inclusive.get(key, 0.0) + frame.time
        for child in frame.children:
            walk(child, on_stack | {key})

    walk(root, frozenset())
    total = root.time or 1.0

    def rows(table: dict[tuple[str, str], float], keep: Any) -> list[dict[str, Any]]:
        ranked = sorted((item for item in table.items() if keep(item[0])), key=lambda item: -item[1])[:top]
        return [{"function": f, "where": w, "s": round(t, 4), "pct": round(100 * t / total, 1)} for (f, w), t in ranked]

    def own(key: tuple[str, str]) -> bool:
        return any(part in key[1] for part in OWN_CODE) and "site-packages" not in key[1]

    return rows(self_time, lambda key: True), rows(inclusive, own)


def render(profile: Profile) -> str:
    """The profile as the few lines a report quotes."""
    if profile.error:
        return f"profile {profile.label}: {profile.error}"
    lines = [f"profile {profile.label}: {profile.total_s:.2f} s sampled", "  self time (all code):"]
    lines += [f"    {e['pct']:5.1f}%  {e['s']:8.3f} s  {e['function']}  ({e['where']})" for e in profile.entries]
    lines.append("  inclusive time (studybot's own functions):")
    lines += [f"    {e['pct']:5.1f}%  {e['s']:8.3f} s  {e['function']}  ({e['where']})" for e in profile.own]
    return "\n".join(lines)
