"""`studybot run`: every configured platform plus the delivery runner in one asyncio process, stopped cleanly
by SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Protocol

from bot.bootstrap import bootstrap
from bot.settings import Settings
from scheduler.runner import DeliveryRunner

log = logging.getLogger(__name__)


class Adapter(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    app = await bootstrap(settings)
    adapters: list[Adapter] = []
    if settings.telegram_token is not None:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(
            TelegramAdapter(
                app,
                settings.telegram_token.get_secret_value(),
                settings.telegram_api_url,
                rate_limit=settings.telegram_rate_limit,
            )
        )
    if settings.discord_token is not None:
        from bot.adapters.discord import DiscordAdapter

        adapters.append(
            DiscordAdapter(
                app,
                settings.discord_token.get_secret_value(),
                api_url=settings.discord_api_url,
                gateway_url=settings.discord_gateway_url,
            )
        )
    runner = DeliveryRunner(app.delivery, settings.delivery_interval_seconds, app.live, settings.live_edit_seconds)
    app.learners.due_now.append(runner.kick)  # day 1 of a newly subscribed group goes out at once
    started: list[Adapter] = []
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
        runner.start()
        log.info("studybot is running; SIGTERM or Ctrl-C stops it")
        await stop.wait()
        log.info("stopping")
    finally:
        if runner.scheduler.running:
            await runner.stop()
        for adapter in reversed(started):
            await adapter.stop()
        await app.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
