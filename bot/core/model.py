"""The core's data: who is subscribed where, what they completed, what was pushed to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple, TypeGuard
from zoneinfo import ZoneInfo

from bot.core.studydays import Schedule, count_study_days, studies_on
from bot.core.zones import zone_named


class Pace(StrEnum):
    """How a chat moves through the plan: a day per study day (calendar), or the next day not yet done (self)."""

    CALENDAR = "calendar"
    SELF = "self"


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
    # Inactive because of a /pause without an end (not /unsubscribe). A pause with an end keeps the subscription
    # active and lives in `schedule` alone: its pushes are simply not due until it ends.
    paused: bool = False
    # The plan day on `start_date`; under self pace, the next day not yet done (where the next push starts).
    start_day: int = 1
    # Where this run of the plan began (1, or the day /goto jumped ahead to): /catchup looks from here on.
    first_day: int = 1
    # Which run of the plan this is (a /restart from day 1 starts the next); completions carry it.
    round: int = 1
    pace: Pace = Pace.CALENDAR
    # Study weekdays and pauses over time (bot.core.studydays); empty: every day, never paused.
    schedule: Schedule = ()
    # The gentle reminder in a DM when today's topic is not done: on (/nudge on) or off, and at what time (None: a
    # few hours after the push).
    nudge: bool = False
    nudge_time: time | None = None
    # The person a DM belongs to (their user id); None for a group, or a DM from before this was kept.
    owner_id: str | None = None
    # The last missed day a streak freeze covered that the person has been told about.
    freeze_told: date | None = None
    # When the learner finished every day of the plan (before its calendar ran out); None otherwise.
    graduated_on: date | None = None

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.timezone)

    def studies_on(self, day: date) -> bool:
        """Whether local `day` is a study day here (a study weekday, not paused)."""
        return studies_on(self.schedule, day)

    def position_on(self, day: date) -> int:
        """The plan day of local `day`, past the plan's end once it is over (so not clamped)."""
        if self.start_date is None:
            return 1
        if self.pace is Pace.SELF:
            # Today's push stays today's topic even once it is done and the next day not done is another.
            pushed_today = self.last_pushed_date == day and self.last_pushed_day > 0
            return self.last_pushed_day if pushed_today else max(1, self.start_day)
        if day <= self.start_date:
            return max(1, self.start_day)
        return max(1, self.start_day + count_study_days(self.schedule, self.start_date, day))

    def plan_day_on(self, day: date, total_days: int) -> int:
        """The plan day scheduled for local `day` (1 on the start date), clamped to the plan."""
        return max(1, min(total_days, self.position_on(day)))


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
    round: int = 1


class DayDone(NamedTuple):
    """What streaks and progress read of a completion: who, where, which plan day (of which run), and the local
    date."""

    user_id: str
    subscription_id: int
    plan_day: int
    local_date: date
    round: int = 1


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
    """What a ledger row sends: the day's topic, a group's weekly wrap-up, one of a DM's own messages, or an
    operator's announcement."""

    PUSH = "push"
    SUMMARY = "summary"
    # A DM's: the gentle reminder when the day's topic is not done, the learner's weekly summary (with a stage's
    # milestone when one ends), and the graduation when the plan's calendar runs out.
    NUDGE = "nudge"
    WEEKLY = "weekly"
    GRADUATION = "graduation"
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

    `plan_day` is the day a push (or a nudge) is about; for a weekly wrap-up or summary, the last plan day of the week
    it wraps up; for a graduation, the plan's last day. `ref` is 0, except for a broadcast: its announcement's id
    (so each announcement reaches a chat once, however many are made in a day)."""

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
    freezes: int = 0
    # Missed study days a freeze covered, oldest first.
    frozen: tuple[date, ...] = field(default=())
    # Where /catchup looks from: the day this run of the plan began.
    first_day: int = 1

    @property
    def done_count(self) -> int:
        return len(self.done_days)

    @property
    def missed(self) -> list[int]:
        """The days before today's, from where this run began, not done: what /catchup offers."""
        return [day for day in range(self.first_day, self.current_day) if day not in self.done_days]

    @property
    def all_done(self) -> bool:
        """Every day from where this run began to the plan's end is done."""
        return all(day in self.done_days for day in range(self.first_day, self.total_days + 1))
