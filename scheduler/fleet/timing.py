"""The fleet's clocks, all derived from the delivery lease and interval: how often workers beat, when a silent one
counts as dead, how often its jobs are looked for, how often the planner runs; and the cron lines for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# Workers look for jobs at least this often: a job whose lock was just released, or that was retried, sends no
# notification, and the next send job of a token waits for this.
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class FleetTiming:
    lease: timedelta  # STUDYBOT_DELIVERY_LEASE_SECONDS: how long claims outlive their holder's last heartbeat
    interval: float  # STUDYBOT_DELIVERY_INTERVAL_SECONDS: how often the planner looks for what is due

    @property
    def heartbeat(self) -> float:
        """How often a worker tells the database it lives."""
        return self.lease.total_seconds() / 6

    @property
    def stalled_after(self) -> float:
        """A worker silent this long is dead and its jobs are retried. Longer than a lease plus a beat, so that by
        then every claim it held has run out and its jobs' retries can take all of them over."""
        return self.lease.total_seconds() + 2 * self.heartbeat

    @property
    def recover_every(self) -> int:
        return max(1, round(self.heartbeat))

    @property
    def takeover_within(self) -> float:
        """The longest a killed worker's jobs wait before another worker runs them."""
        return self.stalled_after + self.recover_every + POLL_SECONDS

    @property
    def plan_cron(self) -> str:
        return every(self.interval)

    @property
    def recover_cron(self) -> str:
        return every(self.recover_every)


def every(seconds: float) -> str:
    """A cron line (procrastinate's, with seconds as a sixth field) for about every `seconds`: at the multiples of
    it within each minute, or of whole minutes within each hour."""
    whole = max(1, round(seconds))
    if whole < 60:
        return f"* * * * * */{whole}"
    minutes = min(max(1, round(whole / 60)), 59)
    return f"*/{minutes} * * * * 0"
