"""What the fleet's jobs need from the worker process they run in: its store, clock, plan, connected platforms and
delivery policy, each platform's send lock and pacing, and whether the process is stopping."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.chats import Chats
from bot.core.gateways import Gateways
from bot.core.ports import Clock, Store
from curriculum.loader import Curriculum
from scheduler.delivery_pass import Parts
from scheduler.fleet.timing import FleetTiming
from scheduler.policy import DeliveryPolicy
from scheduler.sending import Cards


@dataclass(frozen=True)
class Budget:
    """A platform's sending for one bot token: the lock one worker at a time holds to send with it, and its
    messages a second (None: not paced)."""

    lock: str
    per_second: float | None

    @property
    def gap_seconds(self) -> float:
        """The shortest gap between two of its messages."""
        return 1 / self.per_second if self.per_second else 0.0


@dataclass
class FleetContext:
    store: Store
    clock: Clock
    curriculum: Curriculum
    gateways: Gateways
    policy: DeliveryPolicy
    budgets: dict[str, Budget]  # by platform
    timing: FleetTiming
    cards: Cards = field(init=False)
    parts: Parts = field(init=False)
    _stopping: bool = False

    def __post_init__(self) -> None:
        self.cards = Cards(self.curriculum)
        chats = Chats(self.store, self.clock)
        self.parts = Parts(
            self.store, chats, self.clock, self.curriculum, self.gateways, self.cards, self.policy, self.stopping
        )

    def stop(self) -> None:
        """Jobs finish the sends in flight, hand the rest back and claim nothing more."""
        self._stopping = True

    def stopping(self) -> bool:
        return self._stopping
