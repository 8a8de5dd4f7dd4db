"""How the delivery pass behaves (lateness, retries, leases, concurrency) and what it reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DeliveryPolicy:
    """How late a push may still go out, how failed sends are retried, and how claims are held."""

    grace: timedelta = timedelta(hours=6)
    batch: int = 500
    retry_delay: timedelta = timedelta(minutes=2)
    max_attempts: int = 5
    # A live pass extends its claims every third of this; claims of a pass that stopped extending them (its
    # process died) are taken over by any pass once it has run out.
    lease: timedelta = timedelta(seconds=30)
    # How long a pass waits for an unreachable database before it gives up (its claims then run out and are
    # taken over); its senders wait before the wire meanwhile, so nothing is lost.
    outage_patience: timedelta = timedelta(minutes=10)
    # Sends in flight at once. More than one, so that a group waiting for its per-group slot (or a chat its 429)
    # holds up no one else; few, because a crash leaves each one in flight UNKNOWN, and HTTP clients slow down
    # with many requests open (PLATFORM-NOTES).
    concurrency: int = 16


@dataclass
class PassReport:
    due: int = 0  # subscriptions found due: pushed now, skipped as too late, or past the plan's end
    claimed: int = 0
    sent: int = 0  # pushes that went out
    wrap_ups: int = 0  # weekly wrap-ups that went out
    broadcasts: int = 0  # operators' announcements that went out (`studybot broadcast`)
    personal: int = 0  # a DM's nudges, weekly summaries and graduations that went out
    failed: int = 0
    skipped: int = 0
    deactivated: int = 0
    cannot_post: int = 0  # the chat is there but the bot may not post (muted, permissions): skipped today
    finished: int = 0
    uncertain: int = 0
    released: int = 0
    claim_error: str | None = None  # the database refused a claim: the pass sent only what it held
    # How far behind due time the pass ran: its `now` less the earliest due instant it found (None: nothing due).
    lag_seconds: float | None = None
    duration_seconds: float = 0.0  # from start to end, as the runner saw it
