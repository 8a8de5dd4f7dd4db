"""Runs the delivery pass periodically: one APScheduler interval job for all subscribers, not one per user.

Between ticks a pass may run sooner: when a platform has just connected, when the next subscription becomes due
(so a push goes out at its minute, not up to a tick later), or when something becomes owed before the next tick (a
failed push's retry time, or the lease of claims left by a process that died).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.delivery import DeliveryEngine
from scheduler.live import LiveBoard
from scheduler.policy import PassReport

log = logging.getLogger(__name__)
JOB = "delivery-pass"


class DeliveryRunner:
    """Starts the periodic pass; `stop` lets the pass in flight finish its current send and release the rest."""

    def __init__(
        self,
        engine: DeliveryEngine,
        interval_seconds: float,
        live: LiveBoard | None = None,
        live_seconds: float = 5,
        *,
        passes: bool = True,
    ) -> None:
        self.engine = engine
        # False when the fleet's workers deliver (STUDYBOT_FLEET): only the live edits of group pushes run here.
        self.passes = passes
        self.interval = interval_seconds
        self.live = live
        self.live_seconds = live_seconds
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.last_report: PassReport | None = None
        # Each finished pass's report goes to these (the process's metrics).
        self.on_pass: list[Callable[[PassReport], None]] = []
        # When the last tick began and ended (time.monotonic()): the health check's "is delivery running".
        self.tick_started: float | None = None
        self.tick_ended: float | None = None
        self._running: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.passes:
            self.scheduler.add_job(
                self._tick,
                "interval",
                seconds=self.interval,
                next_run_time=datetime.now(UTC),
                max_instances=1,  # a slow pass is never overlapped by the next tick
                coalesce=True,
                id=JOB,
            )
        if self.live is not None:
            self.scheduler.add_job(
                self._flush_live, "interval", seconds=self.live_seconds, max_instances=1, coalesce=True, id="live"
            )
        self.scheduler.start()

    def wake(self, at: datetime | None = None) -> None:
        """Run the next pass at `at` (default: now) if that is sooner than the next tick."""
        if not self.scheduler.running:
            return
        job = self.scheduler.get_job(JOB)
        # Not sooner than half a second from now: a wake-up asked for by the running pass must not fall while it
        # still runs, when the scheduler would skip it.
        at = max(at or datetime.now(UTC), datetime.now(UTC) + timedelta(seconds=0.5))
        if job is not None and (job.next_run_time is None or at < job.next_run_time):
            job.modify(next_run_time=at)

    def kick(self) -> None:
        """Run a pass now rather than at the next tick: a chat's push just became due (an admin subscribed a group,
        or set a time already past today). A pass running now is let finish first (it may have claimed it)."""
        if self._running is not None:
            self._running.add_done_callback(lambda _: self.wake())
        else:
            self.wake()

    async def _flush_live(self) -> None:
        assert self.live is not None
        try:
            await self.live.flush()
        except Exception:
            log.exception("updating live counts failed")

    @property
    def running(self) -> bool:
        """Whether a pass is under way now."""
        return self._running is not None

    async def _tick(self) -> None:
        self._running = asyncio.current_task()
        self.tick_started = time.monotonic()
        try:
            await self._pass()
        finally:
            self._running = None
            self.tick_ended = time.monotonic()

    async def _pass(self) -> None:
        if not self.engine.gateways.platforms:
            return  # nothing can be sent yet; a platform that connects wakes the runner
        started = time.monotonic()
        try:
            report = await self.engine.run_pass()
        except Exception:
            # The next tick tries again; claims stay safe in the database meanwhile.
            log.exception("delivery pass failed")
            return
        report.duration_seconds = time.monotonic() - started
        self.last_report = report
        for observe in self.on_pass:
            try:
                observe(report)
            except Exception:  # a report's reader must never stop delivery
                log.exception("reporting a delivery pass failed")
        if report.claimed or report.skipped or report.claim_error:
            log.info(
                "delivery pass: sent %d, wrap-ups %d, failed %d, skipped %d, cannot post %d, deactivated %d,"
                " released %d%s",
                report.sent,
                report.wrap_ups,
                report.failed,
                report.skipped,
                report.cannot_post,
                report.deactivated,
                report.released,
                f"; claiming stopped: {report.claim_error}" if report.claim_error else "",
            )
        await self._wake_when_owed()

    async def _wake_when_owed(self) -> None:
        try:
            found = [await self.engine.next_wakeup(), await self.engine.next_due()]
        except Exception as exc:  # the next tick comes anyway
            log.debug("could not read the next due instant, retry or lease: %s", exc)
            return
        later = [instant for instant in found if instant is not None]
        if later:
            # The engine's clock names the instant; the scheduler runs on the system's.
            self.wake(datetime.now(UTC) + (min(later) - self.engine.clock.now()))

    async def stop(self) -> None:
        # Let the pass in flight finish its send and release the rest before the scheduler goes, since
        # shutting it down cancels the running job mid-write.
        self.engine.stop()
        running = self._running
        if running is not None:
            await asyncio.wait({running}, timeout=30)
        self.scheduler.shutdown(wait=False)
        if self.live is not None and self.live.pending:
            await self.live.flush()  # counts people just earned should still show
