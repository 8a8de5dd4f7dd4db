"""The fleet's procrastinate app: its connection, its three tasks (plan, send, recover), the periodic schedule of
the planner and of stalled-job recovery, and a worker that runs them until told to stop.

procrastinate defers each periodic task once per tick however many workers run (its `periodic_defers` table), so
one worker plans per tick; locks keep one planner and one sender per bot token at a time across the fleet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from procrastinate import App, BaseConnector, JobContext, PsycopgConnector, RetryStrategy

from scheduler.fleet.context import FleetContext
from scheduler.fleet.names import PLAN, PLAN_LOCK, QUEUE, RECOVER, SEND
from scheduler.fleet.planner import FleetPlanner
from scheduler.fleet.recovery import retry_stalled
from scheduler.fleet.send_job import send_job
from scheduler.fleet.timing import POLL_SECONDS, FleetTiming

log = logging.getLogger(__name__)

CONTEXT_KEY = "studybot"
# A send job that raised (its database gone for longer than the outage patience) is tried again a few times; each
# try sends only what the last left unsent.
SEND_RETRIES = RetryStrategy(max_attempts=5, wait=10)
# Jobs a worker runs at once: each platform's sending, the planner, the recovery.
CONCURRENCY = 4
# Sends in flight finish and the rest is handed back within seconds of a stop; past this, jobs are cancelled.
SHUTDOWN_SECONDS = 30.0


def _fleet(context: JobContext) -> FleetContext:
    fleet = context.additional_context.get(CONTEXT_KEY)
    assert isinstance(fleet, FleetContext), "the worker runs with its FleetContext"
    return fleet


async def plan(context: JobContext, timestamp: int) -> dict[str, Any]:
    fleet = _fleet(context)
    report = await FleetPlanner(fleet, TaskQueue(context.app, fleet), fleet.clock.now()).run()
    if report.claimed or report.skipped or report.claim_error:
        log.info(
            "planned: due %d, claimed %d in %d send jobs, skipped %d%s", report.due, report.claimed, report.jobs,
            report.skipped, f"; claiming stopped: {report.claim_error}" if report.claim_error else "",
        )  # fmt: skip
    return asdict(report)


async def send(
    context: JobContext, platform: str, ids: list[int], ticket: str, ends: list[int] | None = None
) -> dict[str, int]:
    log.info("send job %s (%s) starts on %s: %d claims", context.job.id, platform, context.worker_name, len(ids))
    result = await send_job(_fleet(context), platform, ids, ticket, ends)
    log.info("send job %s (%s) ended: %s", context.job.id, platform, result)
    return result


async def recover(context: JobContext, timestamp: int) -> int:
    assert context.app is not None
    return await retry_stalled(context.app.job_manager, _fleet(context).timing.stalled_after)


class TaskQueue:
    """The planner's view of the queue (`scheduler.fleet.planner.JobQueue`)."""

    def __init__(self, app: App | None, fleet: FleetContext) -> None:
        assert app is not None
        self.app = app
        self.fleet = fleet

    async def waiting(self, platform: str) -> int:
        lock = self.fleet.budgets[platform].lock
        jobs = await self.app.job_manager.list_jobs_async(queue=QUEUE, task=SEND, status="todo", lock=lock)
        return len(list(jobs))

    async def defer(self, platform: str, ids: Sequence[int], ticket: str, ends: Sequence[int]) -> None:
        lock = self.fleet.budgets[platform].lock
        deferrer = self.app.configure_task(SEND, lock=lock, queue=QUEUE, allow_unknown=False)
        await deferrer.defer_async(platform=platform, ids=list(ids), ticket=ticket, ends=list(ends))


def connector(conninfo: str) -> PsycopgConnector:
    """A pool over the database at `conninfo` (a libpq connection string or URL), as large as a worker needs."""
    return PsycopgConnector(conninfo=conninfo, min_size=1, max_size=CONCURRENCY + 2)


def fleet_app(queue: BaseConnector, timing: FleetTiming) -> App:
    """The app over `queue`'s database (`connector`; tests use procrastinate's in-memory one)."""
    app = App(connector=queue)
    app.task(name=SEND, queue=QUEUE, pass_context=True, retry=SEND_RETRIES)(send)
    planner = app.task(name=PLAN, queue=QUEUE, pass_context=True, lock=PLAN_LOCK, queueing_lock=PLAN_LOCK)(plan)
    app.periodic(cron=timing.plan_cron, periodic_id="plan")(planner)
    recovery = app.task(name=RECOVER, queue=QUEUE, pass_context=True, queueing_lock=RECOVER)(recover)
    app.periodic(cron=timing.recover_cron, periodic_id="recover")(recovery)
    return app


async def run_worker(app: App, fleet: FleetContext, stop: asyncio.Event, name: str) -> None:
    """Run the fleet's jobs until `stop` is set; then finish the sends in flight, hand the rest back, and leave."""
    timing = fleet.timing
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE],
                name=name,
                concurrency=CONCURRENCY,
                install_signal_handlers=False,
                update_heartbeat_interval=timing.heartbeat,
                stalled_worker_timeout=timing.stalled_after,
                fetch_job_polling_interval=POLL_SECONDS,
                abort_job_polling_interval=POLL_SECONDS,
                shutdown_graceful_timeout=SHUTDOWN_SECONDS,
                delete_jobs="successful",
                additional_context={CONTEXT_KEY: fleet},
            ),
            name="procrastinate worker",
        )
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            fleet.stop()
            stopping.cancel()
            if not worker.done():
                worker.cancel()  # procrastinate's worker then waits for its jobs, which are handing back
            await asyncio.gather(worker, return_exceptions=True)
        if worker in done and (error := worker.exception()) is not None:
            raise error  # the worker stopped on its own: a side task (heartbeat, listener) failed
