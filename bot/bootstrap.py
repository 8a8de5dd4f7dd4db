"""The composition root: builds the store, core and delivery engine from settings and injected parts, and each
platform's adapter for the role a process plays (sending only, or sending and receiving)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from bot.adapters.lifecycle import PlatformPart
from bot.core.clock import SystemClock
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
        pace, budget = settings.telegram_rate_limit, settings.telegram_messages_per_second
        if receive:
            from bot.adapters.telegram import TelegramAdapter

            parts.append(TelegramAdapter(commands, token, url, rate_limit=pace, messages_per_second=budget))
        else:
            from bot.adapters.telegram.outbound import TelegramOutbound

            parts.append(TelegramOutbound(token, url, rate_limit=pace, messages_per_second=budget))
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
