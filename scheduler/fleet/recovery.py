"""Stalled-job recovery: jobs whose worker stopped beating (killed, or cut off from the database) go back to the
queue for any worker to run again. procrastinate leaves this to the application; the fleet runs it as a periodic
task of its own."""

from __future__ import annotations

import logging

from procrastinate.manager import JobManager

from scheduler.fleet.names import QUEUE

log = logging.getLogger(__name__)


async def retry_stalled(jobs: JobManager, stalled_after: float) -> int:
    """Retry every job of our queue whose worker has been silent for `stalled_after` seconds; how many were."""
    retried = 0
    for job in await jobs.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_after):
        try:
            await jobs.retry_job(job)
        except Exception as exc:  # it finished or was retried meanwhile
            log.debug("job %s was not retried: %s", job.id, exc)
            continue
        retried += 1
        log.warning("job %s (%s) stalled with its worker; it is queued again", job.id, job.task_name)
    return retried
