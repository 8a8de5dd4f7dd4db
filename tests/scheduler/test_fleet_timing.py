"""The fleet's clocks: the cron lines procrastinate ticks by, and the takeover bound the README states."""

from __future__ import annotations

from datetime import timedelta

import croniter  # type: ignore[import-untyped]  # procrastinate's cron parser, untyped

from scheduler.fleet.timing import FleetTiming, every


def test_cron_lines_tick_about_every_interval() -> None:
    def ticks(line: str) -> list[float]:
        start = 1_000_000_020.0 + 20  # 20 s into a minute
        cron = croniter.croniter(line, start)
        return [cron.get_next(float) - start for _ in range(3)]

    assert ticks(every(30)) == [10.0, 40.0, 70.0]
    assert ticks(every(0.2)) == [1.0, 2.0, 3.0]  # never more often than each second
    assert ticks(every(120))[1] - ticks(every(120))[0] == 120.0


def test_a_dead_workers_jobs_come_back_once_its_claims_ran_out_within_the_stated_bound() -> None:
    for lease in (3, 6, 30, 120):
        timing = FleetTiming(timedelta(seconds=lease), interval=30)
        # Its claims were extended at most a third of a lease before it died, and it beat at most a beat before.
        assert timing.stalled_after - timing.heartbeat >= lease
        assert timing.takeover_within <= 1.5 * lease + 1  # README: "1½ leases plus a second"
    assert FleetTiming(timedelta(seconds=30), 30).takeover_within <= 46
