"""The process's metrics in Prometheus's format, in one registry and all named `studybot_*`: the core's Meter port
(pushes, commands, replies, rate limits, repeated updates), each delivery pass's report, the active subscriptions
(counted at most once a minute, when scraped) and the worker count.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# The active subscriptions are counted in the database (an index scan): no more often than this.
ACTIVE_MAX_AGE = 60.0

_SECONDS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PASS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0)
_LAG = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 21600.0)
_WAIT = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class PassFigures(Protocol):
    """What a delivery pass reports (the scheduler's PassReport), as far as metrics read it."""

    @property
    def due(self) -> int: ...
    @property
    def claimed(self) -> int: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def lag_seconds(self) -> float | None: ...


class Metrics:
    """Implements `bot.core.metering.Meter`; `render()` is what /metrics serves."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.registry = registry = CollectorRegistry()
        ProcessCollector(namespace="studybot", registry=registry)  # studybot_process_cpu_seconds_total, ...
        self.pushes_sent = Counter(
            "studybot_pushes_sent", "Pushes (daily topics and weekly wrap-ups) that went out", ["platform"],
            registry=registry,
        )  # fmt: skip
        self.pushes_failed = Counter(
            "studybot_pushes_failed",
            "Pushes refused or not sent, by reason: gone (deactivated), muted/permissions/slow_mode (skipped today),"
            " temporary (retried later), moved, error",
            ["platform", "reason"],
            registry=registry,
        )
        self.pushes_unknown = Counter(
            "studybot_pushes_unknown", "Pushes that may or may not have arrived (never resent)", ["platform", "reason"],
            registry=registry,
        )  # fmt: skip
        self.pass_seconds = Histogram(
            "studybot_delivery_pass_seconds", "How long each delivery pass took", buckets=_PASS, registry=registry
        )
        self.pass_lag = Histogram(
            "studybot_delivery_lag_seconds",
            "How far behind due time each pass ran: its start less the earliest due instant it found",
            buckets=_LAG,
            registry=registry,
        )
        self.due = Counter("studybot_delivery_due", "Subscriptions the passes found due", registry=registry)
        self.claimed = Counter("studybot_delivery_claimed", "Pushes and wrap-ups the passes claimed", registry=registry)
        self.commands = Counter(
            "studybot_commands", "Commands and button presses handled", ["platform", "command"], registry=registry
        )
        self.reply_seconds = Histogram(
            "studybot_reply_seconds",
            "From an update reaching the bot to its replies having been sent",
            ["platform"],
            buckets=_SECONDS,
            registry=registry,
        )
        self.active = Gauge(
            "studybot_active_subscriptions", "Subscriptions that get pushes (counted at most once a minute)",
            registry=registry,
        )  # fmt: skip
        self.waits = Histogram(
            "studybot_rate_limit_wait_seconds",
            "Requests that waited for a rate limiter's slot, and how long",
            ["platform"],
            buckets=_WAIT,
            registry=registry,
        )
        self.limited = Counter(
            "studybot_rate_limited", "429 Too Many Requests answers from the platform", ["platform"], registry=registry
        )
        self.duplicates = Counter(
            "studybot_updates_duplicate", "Updates that came again after some process had handled them (dropped)",
            ["platform"], registry=registry,
        )  # fmt: skip
        self.workers = Gauge(
            "studybot_workers",
            "Processes delivering pushes: 1 for a `run` that makes the delivery passes itself, else 0",
            registry=registry,
        )
        self.last_push: float | None = None  # time.monotonic() of the last push settled, for the health check
        self._counted: float | None = None

    # -- the core's Meter ------------------------------------------------------------------------------------------

    def push_sent(self, platform: str) -> None:
        self.pushes_sent.labels(platform).inc()
        self.last_push = self.monotonic()

    def push_failed(self, platform: str, reason: str) -> None:
        self.pushes_failed.labels(platform, reason).inc()
        self.last_push = self.monotonic()

    def push_unknown(self, platform: str, reason: str) -> None:
        self.pushes_unknown.labels(platform, reason).inc()
        self.last_push = self.monotonic()

    def command(self, platform: str, command: str) -> None:
        self.commands.labels(platform, command).inc()

    def reply(self, platform: str, seconds: float) -> None:
        self.reply_seconds.labels(platform).observe(seconds)

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        self.waits.labels(platform).observe(seconds)

    def rate_limited(self, platform: str) -> None:
        self.limited.labels(platform).inc()

    def duplicate_update(self, platform: str) -> None:
        self.duplicates.labels(platform).inc()

    # -- the rest --------------------------------------------------------------------------------------------------

    def delivery_pass(self, report: PassFigures) -> None:
        """A pass ended (the runner's hook)."""
        self.pass_seconds.observe(report.duration_seconds)
        if report.lag_seconds is not None:
            self.pass_lag.observe(report.lag_seconds)
        self.due.inc(report.due)
        self.claimed.inc(report.claimed)

    async def refresh(self, count_active: Callable[[], Awaitable[int]]) -> None:
        """Count the active subscriptions again if the last count is older than a minute."""
        now = self.monotonic()
        if self._counted is not None and now - self._counted < ACTIVE_MAX_AGE:
            return
        self._counted = now
        self.active.set(await count_active())

    def render(self) -> bytes:
        return generate_latest(self.registry)
