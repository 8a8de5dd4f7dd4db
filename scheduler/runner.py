"""Runs the delivery pass periodically: one APScheduler interval job for all subscribers, not one per user."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.delivery import DeliveryEngine
from scheduler.live import LiveBoard

log = logging.getLogger(__name__)


class DeliveryRunner:
    """Starts the periodic pass; `stop` lets the pass in flight finish its current send and release the rest."""

    def __init__(
        self, engine: DeliveryEngine, interval_seconds: float, live: LiveBoard | None = None, live_seconds: float = 5
    ) -> None:
        self.engine = engine
        self.interval = interval_seconds
        self.live = live
        self.live_seconds = live_seconds
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.interval,
            next_run_time=datetime.now(UTC),
            max_instances=1,  # a slow pass is never overlapped by the next tick
            coalesce=True,
            id="delivery-pass",
        )
        if self.live is not None:
            self.scheduler.add_job(
                self._flush_live, "interval", seconds=self.live_seconds, max_instances=1, coalesce=True, id="live"
            )
        self.scheduler.start()

    def kick(self) -> None:
        """Run a pass now rather than at the next interval: a chat just became due (an admin subscribed a group)."""
        if self._running is not None:
            # One pass at a time: the next starts when this one is over (it may have claimed the chat already).
            self._running.add_done_callback(lambda _: self.kick())
        elif self.scheduler.running:
            self.scheduler.modify_job("delivery-pass", next_run_time=datetime.now(UTC))

    async def _flush_live(self) -> None:
        assert self.live is not None
        try:
            await self.live.flush()
        except Exception:
            log.exception("updating live counts failed")

    async def _tick(self) -> None:
        self._running = asyncio.current_task()
        try:
            report = await self.engine.run_pass()
        except Exception:
            # The next tick tries again; claims stay safe in the database meanwhile.
            log.exception("delivery pass failed")
            return
        finally:
            self._running = None
        if report.claimed or report.skipped:
            log.info(
                "delivery pass: sent %d, failed %d, skipped %d, deactivated %d, released %d",
                report.sent,
                report.failed,
                report.skipped,
                report.deactivated,
                report.released,
            )

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
