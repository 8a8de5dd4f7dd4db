"""A send job's claims, taken over from its ticket one planner batch at a time while the first ones are already
being sent. Taken over all at once, a 5-second job's 2,000-5,000 rows held the token's sending for 0.4-0.6 s at
every job's start (measured here: the fleet held 0.84 of a 400/s budget; a token sends from one job at a time).

Each part is one of the planner's claim batches (`ends`), so a push and its wrap-up are never split between parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.core.model import Claim
from bot.core.ports import DeliveryLedger, Lease
from scheduler.journal import patiently


class HandOver:
    """The crew's claim source in a send job (`scheduler.crew.ClaimSource`)."""

    def __init__(
        self,
        ledger: DeliveryLedger,
        ids: Sequence[int],
        ends: Sequence[int] | None,
        ticket: str,
        now: datetime,
        patience: float,
    ) -> None:
        self.ledger = ledger
        self.ticket = ticket
        self.now = now
        self.patience = patience
        # A job deferred without `ends` (by an earlier version) is taken over in one part.
        bounds = [end for end in (ends or []) if 0 < end < len(ids)] + [len(ids)]
        starts = [0, *bounds[:-1]]
        self._parts = [list(ids[start:end]) for start, end in zip(starts, bounds, strict=True) if end > start]
        self.taken = 0

    @property
    def exhausted(self) -> bool:
        return not self._parts

    async def claim(self, lease: Callable[[], Lease]) -> list[Claim]:
        """The next part's claims that are still this job's to send, held under `lease()`."""
        if not self._parts:
            return []
        part = self._parts[0]
        claims = await patiently(lambda: self.ledger.take_over(part, self.ticket, lease(), self.now), self.patience)
        self._parts.pop(0)
        self.taken += len(claims)
        return claims

    async def rest(self, lease: Callable[[], Lease]) -> list[Claim]:
        """Every part not taken over yet, at once (the job is stopping: they are handed back)."""
        left = [delivery_id for part in self._parts for delivery_id in part]
        self._parts = [left] if left else []
        return await self.claim(lease)
