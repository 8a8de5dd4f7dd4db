"""Every port the core talks through: the clock, storage and the outbound chat gateway.

Implementations live beside the things they wrap: `bot.store` for storage, `bot.adapters` for chats,
`bot.core.clock` for time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.core.model import (
    Address,
    Announcement,
    Claim,
    Completion,
    Correction,
    DayDone,
    Delivery,
    SendOutcome,
    Subscription,
    Wanted,
)
from bot.core.replies import Reply


class Clock(Protocol):
    """Where the core reads the time; injected so tests and the demo can travel through days."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class Reading(Protocol):
    """Questions to the store; each sees what was committed when it ran."""

    async def subscription(self, address: Address) -> Subscription | None:
        """The chat's subscription (active or not), or None if the chat never set anything."""
        ...

    async def subscriptions(self, addresses: Sequence[Address]) -> list[Subscription]:
        """The subscriptions of those chats that have one, in any order."""
        ...

    async def subscription_by_id(self, subscription_id: int) -> Subscription | None:
        """A subscription by its id."""
        ...

    async def chat_completions(self, subscription_id: int) -> list[Completion]:
        """Everyone's completions in one chat, oldest first (leaderboards, summaries, live counts)."""
        ...

    async def days_done(self, platform: str, user_ids: Collection[str]) -> list[DayDone]:
        """Every day these people completed, in every chat of a platform (personal streaks count them all)."""
        ...

    async def corrections(self, subscription_id: int, limit: int) -> list[Correction]:
        """A chat's most recent corrections, newest first."""
        ...

    async def push_message(self, subscription_id: int, plan_day: int) -> str | None:
        """The platform message id of the push of `plan_day`, if it was sent."""
        ...

    async def announcement(self, announcement_id: int) -> Announcement | None:
        """An operator's announcement, which ledger rows of kind BROADCAST name by id."""
        ...

    async def person_completions(self, platform: str, user_id: str) -> list[tuple[Subscription, Completion]]:
        """Every day a person completed in any chat of a platform, with that chat, oldest first (their export)."""
        ...

    async def person_corrections(self, platform: str, user_id: str) -> list[tuple[Address, Correction]]:
        """The corrections about a person, or made by them as an admin, in any chat of a platform, oldest first."""
        ...


class UnitOfWork(Reading, Protocol):
    """One transaction: nothing it wrote is kept unless `commit` is awaited."""

    async def save_subscription(self, sub: Subscription, now: datetime) -> Subscription:
        """Insert or update; the returned copy carries the id."""
        ...

    async def add_completion(self, completion: Completion) -> bool:
        """Record a completion; False (and nothing written) if that person already did that plan day in that run."""
        ...

    async def add_note(self, subscription_id: int, user_id: str, plan_day: int, note: str, round: int = 1) -> bool:
        """Add a note to a completion already recorded in run `round` of the plan (after the notes it has); False if
        there is no such completion."""
        ...

    async def add_completions(self, completions: Sequence[Completion]) -> list[bool]:
        """Record many completions in one statement; for each, in order, whether it was new (see add_completion)."""
        ...

    async def remove_completion(self, subscription_id: int, user_id: str, plan_day: int, round: int = 1) -> bool:
        """Undo a completion of run `round` of the plan; False if there was none."""
        ...

    async def add_correction(self, correction: Correction) -> None:
        """Append to a chat's audit trail."""
        ...

    async def forget(self, subscription_id: int) -> None:
        """Delete a chat's subscription and everything recorded under it."""
        ...

    async def forget_member(self, subscription_id: int, user_id: str) -> list[int]:
        """Delete one person's completions in a chat, and the corrections made to their record; returns the plan
        days they had done."""
        ...

    async def forget_person(self, platform: str, user_id: str, dm: Address | None) -> list[tuple[Address, int]]:
        """Delete everything about a person on a platform: their DM's subscription and all under it, their
        completions in every chat, and the corrections about them or made by them. Returns the (chat, plan day) of
        the completions deleted elsewhere than the DM."""
        ...

    async def commit(self) -> None:
        """Make everything written in this unit durable."""
        ...


class Store(Protocol):
    """Storage as the core sees it."""

    def unit(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Begin a unit of work; leaving it without `commit` rolls back."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Reading]:
        """Ask questions without a transaction around them: it blocks no writer and costs less."""
        ...

    @property
    def ledger(self) -> DeliveryLedger:
        """The delivery ledger: claims, leases and outcomes of every message the scheduler sends."""
        ...

    @property
    def updates(self) -> UpdateLog:
        """Which platform updates some process already handled (webhook replicas share it)."""
        ...

    async def record_completions(self, completions: Sequence[Completion]) -> list[bool]:
        """`UnitOfWork.add_completions` committed at once, outside any unit of work (a /done's batch of records)."""
        ...

    async def set_post_problem(self, subscription_id: int, problem: str | None) -> None:
        """Note why pushes cannot be posted in a chat that is still there (None: they can again)."""
        ...

    async def note_freezes_told(self, subscription_id: int, through: date) -> None:
        """Note that a DM's person has been told of the freezes spent on missed days up to `through`."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class Lease:
    """Claims held by one delivery pass: `token` names the pass, and others may take its claims over once
    `until` has passed without the pass extending it."""

    token: str
    until: datetime


# Decides, inside the claiming transaction, what a batch of due subscriptions gets: it moves each to its next
# due instant (in place) and returns the ledger rows wanted now.
Planner = Callable[[list[Subscription]], Sequence[Wanted]]


class DeliveryLedger(Protocol):
    """Every message the scheduler sends, one row each, under the unique (subscription, local date, kind, ref) key
    (`ref` tells an operator's announcements apart; it is 0 for pushes and wrap-ups).

    A row is CLAIMED by a pass under its lease, SENDING once its request is about to go on the wire, then SENT,
    FAILED (retried later), SKIPPED or UNKNOWN (it may have gone out: never resent)."""

    async def claim_due(
        self, now: datetime, limit: int, platforms: Collection[str], plan: Planner, lease: Lease
    ) -> tuple[list[Subscription], list[Delivery]]:
        """In one transaction: lock up to `limit` active subscriptions of `platforms` due by `now`, earliest first
        (skipping rows another transaction holds); let `plan` advance them and say what it wants; store the
        advanced subscriptions and the wanted rows, claimed under `lease`. Returns the due subscriptions and the
        rows created: a row whose key already existed is left out, so it is never sent twice."""
        ...

    async def claim_owed(self, now: datetime, limit: int, platforms: Collection[str], lease: Lease) -> list[Claim]:
        """Claim under `lease` what is owed: FAILED rows whose retry time has come, and CLAIMED rows whose lease
        ran out (their pass stopped before trying them, or nobody tried them yet: an announcement's rows are made so).
        SENDING rows whose lease ran out become UNKNOWN."""
        ...

    async def take_over(self, ids: Sequence[int], handed_to: str, lease: Lease, now: datetime) -> list[Claim]:
        """For a send step in another process than the claim (a fleet send job): claim under `lease` those of `ids`
        still CLAIMED under `handed_to` (the token they were claimed under for it) or whose lease ran out, and whose
        subscription is active; in id order, a push carrying its wrap-up. Those of `ids` left SENDING by a holder
        whose lease ran out become UNKNOWN, as in `claim_owed`. Rows another holder keeps alive are left to it."""
        ...

    async def record(
        self,
        token: str,
        sending: Sequence[int],
        outcomes: Sequence[SendOutcome],
        give_back: Sequence[int],
        now: datetime,
    ) -> set[int]:
        """In one commit: how finished sends ended (sent at `now`); which rows are about to go on the wire
        (SENDING), of those still claimed under `token` (returned: a row another pass took over must not be sent);
        and which rows this pass hands back unsent, for any pass to claim from `now` without counting an
        attempt."""
        ...

    async def record_reply(self, subscription_id: int, local_date: date, plan_day: int, now: datetime) -> None:
        """A day's topic that went out as a reply (a DM's day 1, with its confirmation): recorded as sent."""
        ...

    async def extend(self, lease: Lease) -> None:
        """Keep the claims of a live pass: move the lease of every row it holds to `lease.until`."""
        ...

    async def next_wakeup(self, now: datetime) -> datetime | None:
        """The earliest instant after `now` at which something becomes owed (a retry time, a lease running out)."""
        ...

    async def next_due(self, now: datetime) -> datetime | None:
        """The earliest instant after `now` at which an active subscription becomes due, if any."""
        ...


class UpdateLog(Protocol):
    """Platform updates handled by any process on the database, by their platform-given id (Telegram's update_id):
    an update the platform sends again, or that two replicas both receive, is handled once."""

    async def first(self, platform: str, update_ids: Sequence[int], now: datetime) -> set[int]:
        """Record the ids as handled at `now`, in one statement; returns those that no process had recorded."""
        ...

    async def forget(self, before: datetime) -> int:
        """Drop the records of updates handled before `before`; returns how many went."""
        ...


class ChatUnreachable(Exception):
    """The platform refused for good (bot blocked, kicked, chat deleted): stop sending there."""


class ChatMoved(Exception):
    """The chat has a new id (a Telegram group that became a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class CannotPost(Exception):
    """The chat is there but the bot may not post in it now (muted, restricted, permissions removed, slow mode):
    keep the subscription, skip this message, and tell an admin how to fix it."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


# Why posting was refused, as CannotPost.reason: the core's texts tell admins how to fix each.
MUTED = "muted"
MISSING_PERMISSIONS = "permissions"
SLOW_MODE = "slow_mode"


class TemporaryFailure(Exception):
    """Sending failed for now (network, 5xx, rate limit after retries): try again on a later pass."""


class SendUncertain(Exception):
    """The platform may or may not have delivered (a timeout after sending): never resend, or it may show twice."""


# Awaited by a gateway right before a message's request goes on the wire, after every rate-limit wait; what it
# raises stops the send (nothing went out).
OnWire = Callable[[], Awaitable[None]]


class ChatGateway(Protocol):
    """The outbound side of one platform."""

    platform: str

    async def send(self, chat_id: str, reply: Reply, *, on_wire: OnWire | None = None) -> str:
        """Send one reply to a chat and return the platform's message id.

        Raises ChatUnreachable, ChatMoved, CannotPost, TemporaryFailure or SendUncertain for platform faults, and
        whatever `on_wire` raises.
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
