"""The composition root: builds the store, core and delivery engine from settings and injected parts."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.clock import SystemClock
from bot.core.commands import Commands
from bot.core.learner import Defaults, Learners
from bot.core.ports import ChatGateway, Clock
from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.store.store import SqlStore
from curriculum.loader import Curriculum, load_curriculum
from scheduler.delivery import DeliveryEngine, DeliveryPolicy
from scheduler.live import LiveBoard

# aiosqlite runs every statement on its own thread, which needs the GIL to hand each result back; under the
# default 5 ms switch interval a busy event loop made each such hop wait up to 5 ms (measured: a fan-out went
# from 170 to ~300 msg/s at 0.2 ms, with SQLite's commits four times faster).
GIL_SWITCH_SECONDS = 0.0002


@dataclass
class App:
    """Everything a process runs, wired once."""

    settings: Settings
    clock: Clock
    store: SqlStore
    curriculum: Curriculum
    learners: Learners
    commands: Commands
    delivery: DeliveryEngine
    live: LiveBoard
    # Adapters add their outbound side here as they start; the delivery engine reads it on every send.
    gateways: dict[str, ChatGateway] = field(default_factory=dict)

    async def close(self) -> None:
        await self.store.close()


async def bootstrap(
    settings: Settings, *, clock: Clock | None = None, curriculum: Curriculum | None = None, migrate: bool = True
) -> App:
    if sys.getswitchinterval() > GIL_SWITCH_SECONDS:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
    url = settings.database_url.get_secret_value()
    if migrate:
        await asyncio.to_thread(upgrade, url)
    clock = clock or SystemClock()
    curriculum = curriculum or load_curriculum(settings.plan_files)
    store = SqlStore(make_engine(url))
    learners = Learners(store, clock, curriculum, Defaults(settings.default_time, settings.default_timezone))
    gateways: dict[str, ChatGateway] = {}
    policy = DeliveryPolicy(
        grace=timedelta(hours=settings.catchup_grace_hours), concurrency=settings.delivery_concurrency
    )
    delivery = DeliveryEngine(store, clock, curriculum, gateways, policy)
    live = LiveBoard(store, curriculum, gateways)
    learners.group_changed.append(live.touch)
    commands = Commands(learners, gateways)
    return App(settings, clock, store, curriculum, learners, commands, delivery, live, gateways)
