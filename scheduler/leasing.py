"""The lease a sender holds its claims under: a token, a timeline that runs as the clock runs from a given start,
and the heartbeat that extends it every third of its length while its holder lives."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.ports import Clock, Lease

log = logging.getLogger(__name__)


class Extends(Protocol):
    """Where a lease is extended: the ledger, or the journal that writes a pass's sends to it."""

    async def extend(self, lease: Lease) -> None: ...


def new_token() -> str:
    return uuid.uuid4().hex[:16]


class LeaseClock:
    """Leases under one token, each `length` past the holder's own now: it starts at `now` (which may be given) and
    runs as the clock runs."""

    def __init__(self, clock: Clock, now: datetime, length: timedelta, token: str | None = None) -> None:
        self.clock = clock
        self.now = now
        self.length = length
        self.token = token or new_token()
        self._started = clock.now()

    def current(self, token: str | None = None) -> Lease:
        """The lease from this moment on, under this holder's token (or `token`, on the same timeline)."""
        return Lease(token or self.token, self.now + (self.clock.now() - self._started) + self.length)

    async def keep(self, holder: Extends) -> None:
        """Extend the lease every third of its length until cancelled."""
        while True:
            await asyncio.sleep(self.length.total_seconds() / 3)
            try:
                await holder.extend(self.current())
            except Exception as exc:  # the journal's own retries cover an outage; the next beat tries again
                log.warning("could not extend the delivery lease: %s", exc)
