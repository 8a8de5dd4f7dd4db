"""Each platform update is handled once across processes, on SQLite and PostgreSQL: the store's update log, and the
core's HandledUpdates over it as two replicas on one database use it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.bootstrap import App, bootstrap
from bot.core.clock import ManualClock
from bot.core.updates import KEEP, HandledUpdates
from bot.settings import Settings
from curriculum.loader import Curriculum

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_an_update_is_recorded_once_per_platform(app: App) -> None:
    log = app.store.updates
    assert await log.first("telegram", [1, 2, 3], NOW) == {1, 2, 3}
    assert await log.first("telegram", [3, 4, 4], NOW) == {4}  # 3 was handled; 4 twice in one call counts once
    assert await log.first("discord", [3], NOW) == {3}  # another platform's ids are its own
    assert await log.first("telegram", [], NOW) == set()


async def test_records_older_than_the_cutoff_are_forgotten(app: App) -> None:
    log = app.store.updates
    await log.first("telegram", [1], NOW - timedelta(hours=30))
    await log.first("telegram", [2], NOW)
    assert await log.forget(NOW - KEEP) == 1
    assert await log.first("telegram", [1, 2], NOW) == {1}  # 1 was forgotten; 2 is still known


async def test_two_replicas_on_one_database_let_one_of_them_handle_each_update(
    app: App, settings: Settings, clock: ManualClock, curriculum: Curriculum
) -> None:
    other = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    try:
        replicas = [
            HandledUpdates(app.store.updates, clock, "telegram"),
            HandledUpdates(other.store.updates, clock, "telegram"),
        ]
        # Every update reaches both replicas (and one of them twice), all at about the same time.
        answers = await asyncio.gather(
            *(replica.first(update_id) for update_id in range(1, 51) for replica in replicas),
            replicas[0].first(7),
        )
    finally:
        await other.close()
    handled = [n for n, first in zip([*[u for u in range(1, 51) for _ in replicas], 7], answers, strict=True) if first]
    assert sorted(handled) == list(range(1, 51))


async def test_old_ids_are_pruned_as_the_log_is_used(app: App, clock: ManualClock) -> None:
    updates = HandledUpdates(app.store.updates, clock, "telegram")
    assert await updates.first(1)
    clock.advance(KEEP + timedelta(minutes=20))
    assert await updates.first(2)  # this batch prunes what is older than a day and an hour
    assert await app.store.updates.first("telegram", [1], clock.now()) == {1}
    assert not await updates.first(2)
