"""Discord through discord.py 2: the gateway websocket in, REST out, slash commands synced on start."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord.client import StudyClient
from bot.adapters.discord.gateway import PLATFORM, REQUESTS_PER_SECOND, DiscordGateway
from bot.adapters.discord.inbound import DiscordInbound
from bot.bootstrap import App

__all__ = ["PLATFORM", "DiscordAdapter", "rest_base"]

log = logging.getLogger(__name__)


def rest_base(api_url: str) -> str:
    """'https://discord.com' or a test server's root -> its '/api/v10'; a URL that names its /api path is kept."""
    root = api_url.rstrip("/")
    return root if "/api" in yarl.URL(root).path else f"{root}/api/v10"


class DiscordAdapter:
    """One bot on Discord, started and stopped with the process."""

    def __init__(
        self,
        app: App,
        token: str,
        *,
        api_url: str | None = None,
        gateway_url: str | None = None,
        per_second: float | None = REQUESTS_PER_SECOND,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 30.0,
        identify_delay: float | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.api_url = api_url
        self.gateway_url = gateway_url
        self.ready_timeout = ready_timeout
        self.inbound = DiscordInbound(app.commands)
        self.client = StudyClient(self.inbound, guild_ready_timeout=guild_ready_timeout, identify_delay=identify_delay)
        self.gateway = DiscordGateway(self.client, per_second=per_second)
        self._connection: asyncio.Task[None] | None = None
        self._saved_urls: tuple[str, yarl.URL] | None = None

    async def start(self) -> None:
        self._point_at_servers()
        try:
            await self.client.login(self.token)
            self._connection = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
            ready = asyncio.ensure_future(self.client.wait_until_ready())
            await asyncio.wait({self._connection, ready}, timeout=self.ready_timeout, return_when="FIRST_COMPLETED")
            ready.cancel()
            if self._connection.done():
                self._connection.result()  # raises why it ended (a bad token, a refused intent)
                raise RuntimeError("the Discord gateway closed before the bot was ready")
            if not self.client.is_ready():
                # REST already works, so pushes can go out; discord.py keeps reconnecting the gateway.
                log.warning("Discord: gateway not ready after %.0f s; still trying", self.ready_timeout)
        except BaseException:
            await self._shut_down()
            raise
        self.app.gateways[PLATFORM] = self.gateway
        log.info("Discord: connected as %s", self.client.user)

    async def stop(self) -> None:
        if self.app.gateways.get(PLATFORM) is self.gateway:
            del self.app.gateways[PLATFORM]
        await self._shut_down()

    def _point_at_servers(self) -> None:
        """discord.py keeps its REST base and gateway URL on classes; set them only when overridden."""
        if self.api_url is None and self.gateway_url is None:
            return
        self._saved_urls = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self.api_url is not None:
            Route.BASE = rest_base(self.api_url)
        if self.gateway_url is not None:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    async def _shut_down(self) -> None:
        await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._connection, timeout=10)
            self._connection = None
        if self._saved_urls is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_urls
            self._saved_urls = None
