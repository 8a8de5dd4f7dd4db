"""`studybot run`: every configured platform plus the delivery runner in one asyncio process, stopped cleanly
by SIGTERM or SIGINT.

A platform that cannot be reached at start is tried again with backoff while the others and the delivery pass
run (its pushes stay due meanwhile); a platform that rejects its token stops the process with exit code 2.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Protocol

from bot.adapters.lifecycle import PlatformPart, PlatformUnreachable, TokenRejected
from bot.bootstrap import App, bootstrap, platforms
from bot.settings import Settings
from scheduler.runner import DeliveryRunner

log = logging.getLogger(__name__)

TOKEN_REJECTED = 2
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 60.0


class Wakes(Protocol):
    def wake(self) -> None:
        """A platform has just connected: its pushes that waited may go out now."""
        ...


class Startup:
    """Starts platforms until they connect; remembers whether one refused its token."""

    def __init__(self, app: App, runner: Wakes, stop: asyncio.Event) -> None:
        self.app = app
        self.runner = runner
        self.stop = stop
        self.exit_code = 0

    async def keep_starting(self, part: PlatformPart) -> None:
        delay, attempt = FIRST_RETRY_SECONDS, 1
        platform = part.gateway.platform
        while True:
            try:
                await part.start()
            except TokenRejected as exc:
                log.error("%s", exc)
                self.exit_code = TOKEN_REJECTED
                self.stop.set()
                return
            except PlatformUnreachable as exc:
                log.warning("%s (attempt %d); trying again in %.0f s", exc, attempt, delay)
                await asyncio.sleep(delay)
                delay, attempt = min(delay * 2, LONGEST_RETRY_SECONDS), attempt + 1
                continue
            self.app.gateways.connected(part.gateway)
            self.runner.wake()  # its pushes that waited go out now
            if attempt > 1:
                log.info("%s: connected after %d attempts", platform, attempt)
            return


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run until stopped; returns the process's exit code."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    app = await bootstrap(settings)
    parts = platforms(settings, app.commands, receive=True)
    interval, live_seconds = settings.delivery_interval_seconds, settings.live_edit_seconds
    runner = DeliveryRunner(app.delivery, interval, app.live, live_seconds, passes=not settings.fleet)
    startup = Startup(app, runner, stop)
    starting: list[asyncio.Task[None]] = []
    try:
        runner.start()
        starting = [asyncio.create_task(startup.keep_starting(part)) for part in parts]
        log.info("studybot is running; SIGTERM or Ctrl-C stops it")
        if settings.fleet:
            log.info("delivery is left to the workers (STUDYBOT_FLEET): this process answers commands")
        await stop.wait()
        log.info("stopping")
    finally:
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        if runner.scheduler.running:
            await runner.stop()
        for part in reversed(parts):
            app.gateways.disconnected(part.gateway)
            await part.stop()
        await app.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return startup.exit_code
