"""`studybot worker`: one of the fleet's workers (STUDYBOT_FLEET). It connects the sending side of every platform
whose token is set and runs the fleet's jobs (planning, sending, stalled-job recovery) until SIGTERM or SIGINT; any
number of them run, on any number of machines, against one PostgreSQL database.

A platform that cannot be reached at start is tried again with backoff while the worker runs; a platform that
refuses its token stops the worker with exit code 2, as `studybot run` does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from bot.bootstrap import Role, build, queue_conninfo
from bot.settings import Settings
from bot.starting import Startup, stopped_by_signals

log = logging.getLogger(__name__)


class _Later:
    """A platform that connects late needs no wake-up: its pushes go out from the planner's next tick."""

    def wake(self) -> None:
        pass


async def work(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run one worker until stopped; returns the process's exit code."""
    from scheduler.fleet.queue import connector, fleet_app, run_worker
    from scheduler.fleet.schema import ensure_queue_schema

    stop = stop or asyncio.Event()
    with stopped_by_signals(stop.set):
        process = await build(settings, Role.WORKER)
        fleet = process.fleet
        assert fleet is not None
        conninfo = queue_conninfo(settings)
        startup = Startup(process.app.gateways, _Later(), stop, process.platforms)
        try:
            await asyncio.to_thread(ensure_queue_schema, conninfo)
            startup.start_all()
            name = f"{socket.gethostname()}:{os.getpid()}"
            log.info("studybot worker %s is running; SIGTERM or Ctrl-C stops it", name)
            await run_worker(fleet_app(connector(conninfo), fleet.timing), fleet, stop, name)
            log.info("stopping")
        finally:
            await startup.stop_starting()
            await startup.stop_all()
            await process.close()
    return startup.exit_code
