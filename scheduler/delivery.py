"""The delivery engine: runs passes that claim every subscription due, record its push, advance it, then send.

Claiming and recording happen in one transaction per batch, under the ledger's unique (subscription, local
date, kind) key, so two passes (or two processes) never push the same day twice; sending happens after commit.
The steps of one pass are in `scheduler.delivery_pass`.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.chats import Chats
from bot.core.gateways import Gateways
from bot.core.ports import Clock, Store
from curriculum.loader import Curriculum
from scheduler.delivery_pass import DeliveryPass, Parts
from scheduler.policy import DeliveryPolicy, PassReport
from scheduler.sending import Cards

__all__ = ["DeliveryEngine", "DeliveryPolicy", "PassReport"]


class DeliveryEngine:
    """Runs delivery passes over the store and the connected platforms' gateways."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        curriculum: Curriculum,
        gateways: Gateways,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.curriculum = curriculum
        self.gateways = gateways
        self.policy = policy or DeliveryPolicy()
        self.cards = Cards(curriculum)
        self.chats = Chats(store, clock)
        self._stopping = False

    def stop(self) -> None:
        """Finish the sends in flight, hand the rest of the pass back, and claim nothing more."""
        self._stopping = True

    def stopping(self) -> bool:
        return self._stopping

    async def run_pass(self, now: datetime | None = None) -> PassReport:
        """Claim and send everything due by `now` (default: the clock's now) on the connected platforms."""
        if not self.gateways.platforms:
            return PassReport()
        parts = Parts(
            self.store, self.chats, self.clock, self.curriculum, self.gateways, self.cards, self.policy, self.stopping
        )
        return await DeliveryPass(parts, now or self.clock.now()).run()

    async def next_wakeup(self, now: datetime | None = None) -> datetime | None:
        """When something next becomes owed (a retry, a claim whose lease runs out), if anything."""
        return await self.store.ledger.next_wakeup(now or self.clock.now())

    async def next_due(self, now: datetime | None = None) -> datetime | None:
        """When a subscription next becomes due, if any is."""
        return await self.store.ledger.next_due(now or self.clock.now())
