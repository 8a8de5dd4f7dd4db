"""The core's data: who is subscribed where, what they completed, what was pushed to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple, TypeGuard
from zoneinfo import ZoneInfo

from bot.core.zones import zone_named


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Address:
    """A chat on a platform; ids are strings because each platform has its own kind of id."""

    platform: str
    chat_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass
class Subscription:
    """A chat's settings and its place in the plan; `active` is False before /subscribe and after /unsubscribe."""

    address: Address
    kind: ChatKind
    language: str
    timezone: str
    local_time: time
    active: bool = False
    # Set when the platform refused for good (blocked, kicked); an unblock or /start clears it.
    unreachable: bool = False
    start_date: date | None = None
    next_due_at: datetime | None = None
    last_pushed_date: date | None = None
    last_pushed_day: int = 0
    # Why the last push could not be posted though the chat is still there (the bot was muted or lost its
    # permissions); admins are told how to fix it until a push goes through again.
    post_problem: str | None = None
    id: int | None = None
    # Inactive because of /pause (not /unsubscribe); only an inactive subscription is ever paused.
    paused: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.timezone)

    def plan_day_on(self, day: date, total_days: int) -> int:
        """The plan day scheduled for local `day` (1 on the start date), clamped to the plan."""
        if self.start_date is None:
            return 1
        return max(1, min(total_days, (day - self.start_date).days + 1))


class Started(Subscription):
    """A subscription that has been saved and has begun the plan: the type `started()` narrows to."""

    id: int
    start_date: date


def started(sub: Subscription | None) -> TypeGuard[Started]:
    """Whether a chat has begun the plan (subscribed at least once), so it has an id and a first day."""
    return sub is not None and sub.id is not None and sub.start_date is not None


@dataclass(frozen=True)
class Completion:
    """A person finishing one plan day, dated in the chat's local calendar (streaks count those dates)."""

    subscription_id: int
    user_id: str
    plan_day: int
    local_date: date
    completed_at: datetime
    user_name: str = ""
    note: str = ""


class DayDone(NamedTuple):
    """What streaks and progress read of a completion: who, where, which plan day, and the local date."""

    user_id: str
    subscription_id: int
    plan_day: int
    local_date: date


@dataclass(frozen=True)
class Correction:
    """An admin changing a member's record for a plan day; kept as the group's audit trail."""

    subscription_id: int
    admin_id: str
    admin_name: str
    member_id: str
    member_name: str
    plan_day: int
    marked_done: bool
    at: datetime


class DeliveryKind(StrEnum):
    """What a ledger row sends: the day's topic, a group's weekly wrap-up, or an operator's announcement."""

    PUSH = "push"
    SUMMARY = "summary"
    BROADCAST = "broadcast"


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Delivery:
    """One message of the ledger: (subscription_id, local_date, kind, ref) is unique in storage.

    `plan_day` is the day a push carries; for a weekly wrap-up, the last plan day of the week it wraps up. `ref` is
    0, except for a broadcast: its announcement's id (so each announcement reaches a chat once, however many are
    made in a day)."""

    id: int
    subscription_id: int
    local_date: date
    plan_day: int
    status: DeliveryStatus
    attempts: int = 0
    message_id: str | None = None
    kind: DeliveryKind = DeliveryKind.PUSH
    ref: int = 0


@dataclass(frozen=True)
class Announcement:
    """An operator's message (`studybot broadcast`) to every active chat, or those of one platform or chat kind; each
    recipient gets one ledger row of kind BROADCAST whose `ref` is this id."""

    id: int
    text: str
    platform: str | None
    kind: ChatKind | None
    created_at: datetime
    recipients: int


@dataclass(frozen=True)
class Wanted:
    """A ledger row a pass wants to create: one message to one subscription on one local date."""

    subscription_id: int
    kind: DeliveryKind
    local_date: date
    plan_day: int


@dataclass(frozen=True)
class SendOutcome:
    """How sending one claimed delivery ended, recorded with others in one write."""

    delivery_id: int
    status: DeliveryStatus
    message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class Claim:
    """A delivery claimed by one pass, with what it needs to be sent; a push that opens a group's new week
    carries the last week's wrap-up, which goes out just before it."""

    delivery: Delivery
    subscription: Subscription
    wrap_up: Delivery | None = None


@dataclass(frozen=True)
class Progress:
    """A person's standing in one chat's plan."""

    done_days: frozenset[int]
    current_day: int
    total_days: int
    streak: int
    longest_streak: int
    completed_today: bool
    dates: tuple[date, ...] = field(default=())

    @property
    def done_count(self) -> int:
        return len(self.done_days)
