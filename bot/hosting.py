"""`studybot web`: the web server alone (the dashboard, /healthz, /metrics), beside `run` or its replicas on the same
database. Each platform whose token is set connects its sending side only, so that the dashboard can ask who
administers a group (and send a resumed day's topic to its chat); nothing here polls, receives or delivers."""

from __future__ import annotations

import asyncio
import logging

from bot.bootstrap import Role, build
from bot.settings import Settings
from bot.starting import Startup, stopped_by_signals

log = logging.getLogger(__name__)

WEB_UNAVAILABLE = 1


class _NoRunner:
    def wake(self) -> None:
        """Nothing is delivered here: a platform connecting wakes no pass."""


async def host(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Serve until stopped; returns the process's exit code."""
    stop = stop or asyncio.Event()
    with stopped_by_signals(stop.set):
        process = await build(settings, Role.WEB)
        web = process.web
        assert web is not None, "studybot web needs STUDYBOT_WEB_PORT"
        startup = Startup(process.app.gateways, _NoRunner(), stop, process.platforms)
        try:
            from bot.web.server import WebUnavailable

            try:
                await web.start()
            except WebUnavailable as exc:
                log.error("%s", exc)
                return WEB_UNAVAILABLE
            startup.start_all()
            log.info("the dashboard is at %s; SIGTERM or Ctrl-C stops it", settings.public_url or web.local_url())
            await stop.wait()
            log.info("stopping")
        finally:
            await web.stop()
            await startup.stop_starting()
            await startup.stop_all()
            await process.close()
    return startup.exit_code
