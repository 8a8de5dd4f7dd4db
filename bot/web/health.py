"""/healthz: whether this process can do its job. The database answers, each configured platform is connected, and
delivery is running; 200 with a JSON body saying so, or 503 with the same body naming what is wrong.

Delivery counts as running while something happened within `2 x interval + 30 s`: a pass began or ended, or a push
went out (a long pass at the rate limit keeps sending); after that it is stale. Two missed ticks and half a minute:
a slow pass start or a busy machine is not an alarm, a runner that stopped ticking is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

PING_TIMEOUT = 2.0
STALE_SLACK = 30.0


class DeliveryRunner(Protocol):
    """The periodic delivery runner, as far as its health shows."""

    interval: float

    @property
    def tick_started(self) -> float | None: ...
    @property
    def tick_ended(self) -> float | None: ...
    @property
    def running(self) -> bool: ...


def stale_after(interval: float) -> float:
    return 2 * interval + STALE_SLACK


@dataclass
class Health:
    """The checks, each from what the composition root hands in."""

    ping: Callable[[], Awaitable[None]]  # one trip to the database
    platforms: Collection[str]  # the platforms this process was configured for
    connected: Callable[[], Collection[str]]  # those connected now (the Gateways registry)
    runner: DeliveryRunner | None = None  # None: this process makes no delivery passes
    last_push: Callable[[], float | None] = lambda: None  # time.monotonic() of the last push settled
    monotonic: Callable[[], float] = time.monotonic
    born: float = field(default_factory=time.monotonic)

    async def check(self) -> tuple[bool, dict[str, Any]]:
        problems: list[str] = []
        body: dict[str, Any] = {"database": await self._database(problems)}
        connected = set(self.connected())
        body["platforms"] = {name: name in connected for name in sorted(self.platforms)}
        problems += [f"{name} is not connected" for name, up in body["platforms"].items() if not up]
        if self.runner is not None:
            body["delivery"] = self._delivery(self.runner, problems)
        body["status"] = "failing" if problems else "ok"
        body["problems"] = problems
        return not problems, body

    async def _database(self, problems: list[str]) -> dict[str, Any]:
        started = self.monotonic()
        try:
            await asyncio.wait_for(self.ping(), PING_TIMEOUT)
        except Exception as exc:
            # The kind of error only: a driver's message could name the server or the user (the log has it all).
            why = "no answer within 2 s" if isinstance(exc, TimeoutError) else type(exc).__name__
            problems.append(f"the database is unreachable ({why})")
            return {"ok": False, "error": why}
        return {"ok": True, "seconds": round(self.monotonic() - started, 4)}

    def _delivery(self, runner: DeliveryRunner, problems: list[str]) -> dict[str, Any]:
        now, limit = self.monotonic(), stale_after(runner.interval)
        moments = [t for t in (runner.tick_started, runner.tick_ended, self.last_push()) if t is not None]
        age = now - max(moments) if moments else now - self.born
        state: dict[str, Any] = {
            "ok": age <= limit,
            "running": runner.running,
            "last_activity_seconds_ago": round(age, 1),
            "stale_after_seconds": limit,
        }
        if runner.tick_ended is not None:
            state["last_pass_ended_seconds_ago"] = round(now - runner.tick_ended, 1)
        if age > limit:
            problems.append(f"delivery has done nothing for {age:.0f} s (stale after {limit:.0f} s)")
        return state
