"""`studybot run`: every configured platform plus the delivery runner (and, when STUDYBOT_WEB_PORT is set, the web
server) in one asyncio process, stopped cleanly by SIGTERM or SIGINT.

A platform that cannot be reached at start is tried again with backoff while the others and the delivery pass
run (its pushes stay due meanwhile); a platform that rejects its token stops the process with exit code 2.
"""

from __future__ import annotations

import asyncio
import logging

from bot.bootstrap import Role, build
from bot.settings import Settings
from bot.starting import Startup, stopped_by_signals

log = logging.getLogger(__name__)

WEB_UNAVAILABLE = 1


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run until stopped; returns the process's exit code."""
    stop = stop or asyncio.Event()
    with stopped_by_signals(stop.set):
        process = await build(settings, Role.RUN)
        runner = process.runner
        assert runner is not None
        startup = Startup(process.app.gateways, runner, stop, process.platforms)
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
            startup.start_all()
            log.info("studybot is running; SIGTERM or Ctrl-C stops it")
            if settings.fleet:
                log.info("delivery is left to the workers (STUDYBOT_FLEET): this process answers commands")
            await stop.wait()
            log.info("stopping")
        finally:
            if process.web is not None:
                # First: no new webhook requests (Telegram sends them again, elsewhere or later); those in flight end.
                await process.web.stop()
            await startup.stop_starting()
            if runner.scheduler.running:
                await runner.stop()
            await startup.stop_all()
            await process.close()
    return startup.exit_code
