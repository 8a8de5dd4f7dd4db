"""`studybot run`: every configured platform plus the delivery runner in one asyncio process, stopped cleanly
by SIGTERM or SIGINT.

A platform that cannot be reached at start is tried again with backoff while the others and the delivery pass
run (its pushes stay due meanwhile); a platform that rejects its token stops the process with exit code 2.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.bootstrap import Role, build
from bot.settings import Settings
from bot.starting import Startup

log = logging.getLogger(__name__)

async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run until stopped; returns the process's exit code."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    process = await build(settings, Role.RUN)
    app, parts, runner = process.app, process.platforms, process.runner
    assert runner is not None
    startup = Startup(app.gateways, runner, stop)
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
        await process.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return startup.exit_code
