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
import signal
import socket
from datetime import timedelta

from sqlalchemy.engine import make_url

from bot.bootstrap import bootstrap, delivery_policy, platforms
from bot.runtime import Startup
from bot.settings import Settings
from scheduler.fleet.context import Budget, FleetContext
from scheduler.fleet.names import send_lock
from scheduler.fleet.timing import FleetTiming

log = logging.getLogger(__name__)


def queue_conninfo(settings: Settings) -> str:
    """The database as libpq (and so procrastinate) spells it: SQLAlchemy's URL without its driver name."""
    url = make_url(settings.database_url.get_secret_value())
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def timing(settings: Settings) -> FleetTiming:
    return FleetTiming(timedelta(seconds=settings.delivery_lease_seconds), settings.delivery_interval_seconds)


def budgets(settings: Settings) -> dict[str, Budget]:
    """Each platform's send lock (one per bot token, fleet-wide) and the rate its pacing keeps."""
    found: dict[str, Budget] = {}
    if settings.telegram_token is not None:
        rate = settings.telegram_messages_per_second if settings.telegram_rate_limit else None
        found["telegram"] = Budget(send_lock("telegram", settings.telegram_token.get_secret_value()), rate)
    if settings.discord_token is not None:
        from bot.adapters.discord.gateway import REQUESTS_PER_SECOND

        found["discord"] = Budget(send_lock("discord", settings.discord_token.get_secret_value()), REQUESTS_PER_SECOND)
    return found


class _Later:
    """A platform that connects late needs no wake-up: its pushes go out from the planner's next tick."""

    def wake(self) -> None:
        pass


async def work(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run one worker until stopped; returns the process's exit code."""
    from scheduler.fleet.queue import connector, fleet_app, run_worker
    from scheduler.fleet.schema import ensure_queue_schema

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    app = await bootstrap(settings)
    conninfo = queue_conninfo(settings)
    parts = platforms(settings, app.commands, receive=False)
    startup = Startup(app, _Later(), stop)
    starting: list[asyncio.Task[None]] = []
    fleet = FleetContext(app.store, app.clock, app.curriculum, app.gateways, delivery_policy(settings),
                         budgets(settings), timing(settings))  # fmt: skip
    try:
        await asyncio.to_thread(ensure_queue_schema, conninfo)
        starting = [asyncio.create_task(startup.keep_starting(part)) for part in parts]
        name = f"{socket.gethostname()}:{os.getpid()}"
        log.info("studybot worker %s is running; SIGTERM or Ctrl-C stops it", name)
        await run_worker(fleet_app(connector(conninfo), fleet.timing), fleet, stop, name)
        log.info("stopping")
    finally:
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        for part in reversed(parts):
            app.gateways.disconnected(part.gateway)
            await part.stop()
        await app.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return startup.exit_code
