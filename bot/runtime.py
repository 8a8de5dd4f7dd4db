"""`studybot run`: every configured platform plus the delivery runner (and, when STUDYBOT_WEB_PORT is set, the web
server) in one asyncio process, stopped cleanly by SIGTERM or SIGINT.

A platform that cannot be reached at start is tried again with backoff while the others and the delivery pass
run (its pushes stay due meanwhile); a platform that rejects its token stops the process with exit code 2.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.adapters.lifecycle import PlatformPart, PlatformUnreachable, TokenRejected
from bot.bootstrap import App, Role, build
from bot.settings import Settings
from scheduler.runner import DeliveryRunner

log = logging.getLogger(__name__)

TOKEN_REJECTED = 2
WEB_UNAVAILABLE = 1
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 60.0


class Startup:
    """Starts platforms until they connect; remembers whether one refused its token."""

    def __init__(self, app: App, runner: DeliveryRunner, stop: asyncio.Event) -> None:
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
    process = await build(settings, Role.RUN)
    app, parts, runner = process.app, process.platforms, process.runner
    assert runner is not None
    startup = Startup(app, runner, stop)
    starting: list[asyncio.Task[None]] = []
    try:
        if process.web is not None:
            # First: /healthz answers (503) while the platforms connect, and the webhook's path is served before
            # Telegram is told to use it.
            from bot.web.server import WebUnavailable

            try:
                await process.web.start()
            except WebUnavailable as exc:
                log.error("%s", exc)
                return WEB_UNAVAILABLE
        runner.start()
        starting = [asyncio.create_task(startup.keep_starting(part)) for part in parts]
        log.info("studybot is running; SIGTERM or Ctrl-C stops it")
        await stop.wait()
        log.info("stopping")
    finally:
        if process.web is not None:
            # First: no new webhook requests (Telegram sends them again, elsewhere or later); those in flight end.
            await process.web.stop()
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        if runner.scheduler.running:
            await runner.stop()
        for part in reversed(parts):
            app.gateways.disconnected(part.gateway)
            await part.stop()
        await process.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return startup.exit_code
