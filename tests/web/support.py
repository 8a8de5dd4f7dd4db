"""A `studybot run` process built in the test's own event loop (bootstrap's RUN role with the web server on a free
port), its platforms started against the fake servers, and plain HTTP to its web server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.adapters.lifecycle import PlatformPart
from bot.bootstrap import Process, Role, build
from bot.core.ports import Clock
from bot.settings import Settings
from curriculum.loader import Curriculum
from tests.fakes.telegram_server import FakeTelegram

WEBHOOK_URL = "https://bot.example.com/hooks/telegram"
SECRET = "shared-webhook_secret-0123456789"


def web_settings(database_url: str, tg: FakeTelegram, *, webhook: bool = True, **more: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=SecretStr(database_url), telegram_token=SecretStr(tg.token), telegram_api_url=tg.root,
        telegram_rate_limit=False, web_port=0, default_timezone="UTC",
    )  # fmt: skip
    if webhook:
        values.update(telegram_webhook_url=WEBHOOK_URL, telegram_webhook_secret=SecretStr(SECRET))
    return Settings(_env_file=None, **(values | more))


@dataclass
class Served:
    process: Process
    root: str  # the web server
    started: list[PlatformPart] = field(default_factory=list)

    async def start_platforms(self) -> None:
        for part in self.process.platforms:
            await part.start()
            self.started.append(part)
            self.process.app.gateways.connected(part.gateway)

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.root + path) as response:
            return response.status, await response.text()

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session, session.get(self.root + "/healthz") as response:
            return response.status, await response.json()

    async def metric(self, line_start: str) -> float:
        """The value of the first /metrics sample whose line starts with `line_start` (0 if there is none)."""
        _, text = await self.get("/metrics")
        for line in text.splitlines():
            if line.startswith(line_start):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, clock: Clock, curriculum: Curriculum, *, start_platforms: bool = True, migrate: bool = False
) -> AsyncIterator[Served]:
    """The process's web server listening, and (unless told otherwise) its platforms started and connected."""
    process = await build(settings, Role.RUN, clock=clock, curriculum=curriculum, migrate=migrate)
    assert process.web is not None
    served = Served(process, "")
    try:
        await process.web.start()
        served.root = f"http://127.0.0.1:{process.web.port}"
        if start_platforms:
            await served.start_platforms()
        yield served
    finally:
        await process.web.stop()
        if process.runner is not None and process.runner.scheduler.running:
            await process.runner.stop()
        for part in reversed(served.started):
            process.app.gateways.disconnected(part.gateway)
            await part.stop()
        await process.close()
