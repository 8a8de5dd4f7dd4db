"""Every port the core talks through: the clock, storage and the outbound chat gateway.

Implementations live beside the things they wrap: `bot.store` for storage, `bot.adapters` for chats,
`bot.core.clock` for time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.model import (
    Address,
    Claim,
    Completion,
    Correction,
    DayDone,
    Delivery,
    DeliveryStatus,
    SendOutcome,
    Subscription,
)
from bot.core.replies import Reply


class Clock(Protocol):
    """Where the core reads the time; injected so tests and the demo can travel through days."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: nothing it wrote is kept unless `commit` is awaited."""

    async def subscription(self, address: Address) -> Subscription | None:
        """The chat's subscription (active or not), or None if the chat never set anything."""
        ...

    async def subscriptions(self, addresses: Sequence[Address]) -> list[Subscription]:
        """The subscriptions of those chats that have one, in any order."""
        ...

    async def subscription_by_id(self, subscription_id: int) -> Subscription | None:
        """A subscription by its id."""
        ...

    async def save_subscription(self, sub: Subscription, now: datetime) -> Subscription:
        """Insert or update; the returned copy carries the id."""
        ...

    async def add_completion(self, completion: Completion) -> bool:
        """Record a completion; False (and nothing written) if that person already did that plan day."""
        ...

    async def add_note(self, subscription_id: int, user_id: str, plan_day: int, note: str) -> bool:
        """Add a note to a completion already recorded (after the ones it has); False if there is no such
        completion."""
        ...

    async def chat_completions(self, subscription_id: int) -> list[Completion]:
        """Everyone's completions in one chat, oldest first (leaderboards, summaries, live counts)."""
        ...

    async def add_completions(self, completions: Sequence[Completion]) -> list[bool]:
        """Record many completions in one statement; for each, in order, whether it was new (see add_completion)."""
        ...

    async def days_done(self, platform: str, user_ids: Collection[str]) -> list[DayDone]:
        """Every day these people completed, in every chat of a platform (personal streaks count them all)."""
        ...

    async def remove_completion(self, subscription_id: int, user_id: str, plan_day: int) -> bool:
        """Undo a completion; False if there was none."""
        ...

    async def add_correction(self, correction: Correction) -> None:
        """Append to a chat's audit trail."""
        ...

    async def corrections(self, subscription_id: int, limit: int) -> list[Correction]:
        """A chat's most recent corrections, newest first."""
        ...

    async def push_message(self, subscription_id: int, plan_day: int) -> str | None:
        """The platform message id of the push of `plan_day`, if it was sent."""
        ...

    async def claim_summary(self, subscription_id: int, week: int, now: datetime) -> bool:
        """Claim the weekly wrap-up of `week`; False if it was claimed before (it goes out once)."""
        ...

    async def forget(self, subscription_id: int) -> None:
        """Delete a chat's subscription and everything recorded under it."""
        ...

    async def forget_member(self, subscription_id: int, user_id: str) -> list[int]:
        """Delete one person's completions in a chat, and the corrections made to their record; returns the plan
        days they had done."""
        ...

    async def add_delivery(
        self, subscription_id: int, local_date: date, plan_day: int, status: DeliveryStatus, now: datetime
    ) -> Delivery | None:
        """Record a push for a local date; None if that date already has one (the exactly-once key)."""
        ...

    async def add_deliveries(
        self, wanted: Sequence[tuple[int, date, int]], status: DeliveryStatus, now: datetime
    ) -> list[Delivery]:
        """Record many pushes, each (subscription id, local date, plan day), at once; the returned ones are
        those whose date had none yet (the exactly-once key)."""
        ...

    async def advance(self, subs: Sequence[Subscription], now: datetime) -> None:
        """Store the new due instant and last pushed day of many subscriptions at once."""
        ...

    async def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        """Lock and return active subscriptions due by `now`, earliest first, skipping rows another
        transaction holds."""
        ...

    async def commit(self) -> None:
        """Make everything written in this unit durable."""
        ...


class Store(Protocol):
    """Storage as the core sees it."""

    def unit(self, *, atomic: bool = True) -> AbstractAsyncContextManager[UnitOfWork]:
        """Begin a unit of work; leaving it without `commit` rolls back.

        With `atomic=False` the store may run each statement as a transaction of its own, which costs less and
        blocks no other writer between statements: for units that only read, or that write with one statement
        (still followed by `commit`). Each read then sees what was committed when it ran."""
        ...

    async def record_sends(self, sending: Sequence[int], outcomes: Sequence[SendOutcome], now: datetime) -> None:
        """In one commit: how finished sends ended, and which deliveries are about to be sent (SENDING), so
        that a crash mid-send leaves them UNKNOWN rather than sent twice."""
        ...

    async def retryable_deliveries(self, now: datetime, limit: int, lease: timedelta) -> list[Claim]:
        """Claim again what is owed: failed deliveries whose retry time has come, and deliveries claimed more
        than `lease` ago by a process that never tried them. Ones stuck mid-send become UNKNOWN."""
        ...

    async def deactivate(self, address: Address, now: datetime) -> None:
        """Stop pushing to a chat the platform says is gone or has blocked the bot."""
        ...

    async def move_chat(self, address: Address, new_chat_id: str, now: datetime) -> None:
        """Keep a chat's subscription and history when the platform gives it a new id."""
        ...

    async def release(self, delivery_ids: Sequence[int], now: datetime) -> None:
        """Hand claimed but unsent deliveries back, so the next pass (of any process) sends them."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class ChatUnreachable(Exception):
    """The platform refused for good (bot blocked, kicked, chat deleted): stop sending there."""


class ChatMoved(Exception):
    """The chat has a new id (a Telegram group that became a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class TemporaryFailure(Exception):
    """Sending failed for now (network, 5xx, rate limit after retries): try again on a later pass."""


class SendUncertain(Exception):
    """The platform may or may not have delivered (a timeout after sending): never resend, or it may show twice."""


class ChatGateway(Protocol):
    """The outbound side of one platform."""

    platform: str

    async def send(self, chat_id: str, reply: Reply) -> str:
        """Send one reply to a chat and return the platform's message id.

        Raises ChatUnreachable, ChatMoved, TemporaryFailure or SendUncertain; nothing else for platform faults.
        """
        ...

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """Replace a message the bot sent earlier (a push card whose live count changed).

        Raises the same errors as `send`; an edit that changes nothing is not an error.
        """
        ...

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        """Whether the user administers the group (as the platform defines it); False if unsure."""
        ...
