"""The composition root: builds a whole process from settings (store, core, delivery, and each platform's adapter)
for the role it plays. `studybot run`, `deliver` and `demo` are selections from one builder; tests inject a clock,
a plan or the console's input and output."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from bot.adapters.lifecycle import PlatformPart
from bot.core.clock import ManualClock, SystemClock
from bot.core.commands import Commands
from bot.core.gateways import Gateways
from bot.core.learner import Defaults, Learners
from bot.core.ports import Clock
from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.store.store import SqlStore
from curriculum.loader import Curriculum, load_curriculum
from scheduler.delivery import DeliveryEngine, DeliveryPolicy
from scheduler.live import LiveBoard
from scheduler.runner import DeliveryRunner


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
    # The platforms that can send now; each joins when its adapter has connected.
    gateways: Gateways = field(default_factory=Gateways)

    async def close(self) -> None:
        await self.store.close()


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        grace=timedelta(hours=settings.catchup_grace_hours),
        concurrency=settings.delivery_concurrency,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )


async def bootstrap(
    settings: Settings, *, clock: Clock | None = None, curriculum: Curriculum | None = None, migrate: bool = True
) -> App:
    url = settings.database_url.get_secret_value()
    if migrate:
        await asyncio.to_thread(upgrade, url)
    clock = clock or SystemClock()
    curriculum = curriculum or load_curriculum(settings.plan_files)
    store = SqlStore(make_engine(url))
    learners = Learners(store, clock, curriculum, Defaults(settings.default_time, settings.default_timezone))
    gateways = Gateways()
    delivery = DeliveryEngine(store, clock, curriculum, gateways, delivery_policy(settings))
    live = LiveBoard(store, curriculum, gateways)
    learners.group_changed.append(live.touch)
    commands = Commands(learners, gateways)
    return App(settings, clock, store, curriculum, learners, commands, delivery, live, gateways)


def platforms(settings: Settings, commands: Commands, *, receive: bool) -> list[PlatformPart]:
    """One part per platform whose token is set: its sending side only, or (`receive`) its whole adapter.

    Platform libraries are imported only when their token is set, so a process starts no faster than it must."""
    parts: list[PlatformPart] = []
    if settings.telegram_token is not None:
        token, url = settings.telegram_token.get_secret_value(), settings.telegram_api_url
        if receive:
            from bot.adapters.telegram import TelegramAdapter

            parts.append(TelegramAdapter(commands, token, url, rate_limit=settings.telegram_rate_limit))
        else:
            from bot.adapters.telegram.outbound import TelegramOutbound

            parts.append(TelegramOutbound(token, url, rate_limit=settings.telegram_rate_limit))
    if settings.discord_token is not None:
        token = settings.discord_token.get_secret_value()
        api, gateway = settings.discord_api_url, settings.discord_gateway_url
        if receive:
            from bot.adapters.discord import DiscordAdapter

            parts.append(DiscordAdapter(commands, token, api_url=api, gateway_url=gateway))
        else:
            from bot.adapters.discord.outbound import DiscordOutbound

            parts.append(DiscordOutbound(token, api_url=api, gateway_url=gateway))
    return parts


class Role(StrEnum):
    """What a process is for."""

    RUN = "run"  # every platform, sending and receiving, with the periodic delivery pass
    DELIVER = "deliver"  # one pass from cron: each platform's sending side only
    DEMO = "demo"  # the console chat, on a clock the demo moves


@dataclass
class Process:
    """One process: the app, the platforms its role needs (started by the role's main loop, which connects each
    one's gateway once it is up), and the periodic runner where the role has one."""

    app: App
    platforms: list[PlatformPart]
    runner: DeliveryRunner | None = None

    async def close(self) -> None:
        await self.app.close()


Read = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]


async def build(
    settings: Settings,
    role: Role,
    *,
    clock: Clock | None = None,
    curriculum: Curriculum | None = None,
    migrate: bool = True,
    console: tuple[Read, Write] | None = None,
    demo_files: Path | None = None,
) -> Process:
    """`demo_files`: where the demo writes the pictures and files the bot sends (None: it only prints)."""
    app = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=migrate)
    if role is Role.DEMO:
        from bot.adapters.console import ConsoleChat

        if not isinstance(app.clock, ManualClock):
            raise TypeError("the demo runs on a clock it can move: pass a ManualClock")
        read, write = console or (_no_input, print)
        chat = ConsoleChat(app.commands, app.delivery.run_pass, app.clock, read, write, demo_files)
        app.gateways.connected(chat.gateway)
        return Process(app, [chat])
    parts = platforms(settings, app.commands, receive=role is Role.RUN)
    runner = None
    if role is Role.RUN:
        runner = DeliveryRunner(app.delivery, settings.delivery_interval_seconds, app.live, settings.live_edit_seconds)
        app.learners.due_now.append(runner.kick)  # a push due at once (a group's day 1) goes out now, not next pass
    return Process(app, parts, runner)


async def _no_input() -> str | None:
    return None
