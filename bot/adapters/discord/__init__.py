"""Discord through discord.py 2: the gateway websocket in, REST out, slash commands synced on start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from bot.adapters.discord.client import ShardedStudyClient, StudyClient
from bot.adapters.discord.gateway import PLATFORM, REQUESTS_PER_SECOND, DiscordGateway
from bot.adapters.discord.inbound import DiscordInbound
from bot.adapters.discord.outbound import DiscordOutbound, log_in
from bot.adapters.discord.patches import Endpoints, rest_base
from bot.core.commands import Commands

__all__ = ["PLATFORM", "DiscordAdapter", "DiscordOutbound", "rest_base"]

log = logging.getLogger(__name__)


class DiscordAdapter:
    """One bot on Discord, receiving through the gateway websocket and sending over REST."""

    def __init__(
        self,
        commands: Commands,
        token: str,
        *,
        api_url: str | None = None,
        gateway_url: str | None = None,
        per_second: float | None = REQUESTS_PER_SECOND,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 30.0,
        identify_delay: float | None = None,
        shards: tuple[Sequence[int], int] | None = None,
    ) -> None:
        self.token = token
        self.endpoints = Endpoints(api_url, gateway_url)
        self.ready_timeout = ready_timeout
        self.inbound = DiscordInbound(commands)
        self.client: StudyClient
        if shards is None:
            self.client = StudyClient(
                self.inbound, guild_ready_timeout=guild_ready_timeout, identify_delay=identify_delay
            )
        else:
            # Some of the bot's shards: only their servers' events reach this process (pushes go anywhere).
            ids, count = shards
            self.client = ShardedStudyClient(
                self.inbound, shard_ids=list(ids), shard_count=count, guild_ready_timeout=guild_ready_timeout,
                identify_delay=identify_delay,
            )  # fmt: skip
        self.gateway = DiscordGateway(self.client, per_second=per_second, meter=commands.meter)
        self._connection: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.endpoints.apply()
        await log_in(self.client, self.token)  # from here REST works, so pushes can go out
        try:
            self._connection = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
            ready = asyncio.ensure_future(self.client.wait_until_ready())
            await asyncio.wait({self._connection, ready}, timeout=self.ready_timeout, return_when="FIRST_COMPLETED")
            ready.cancel()
            if self._connection.done():
                self._connection.result()  # raises why it ended (a refused intent)
                raise RuntimeError("the Discord gateway closed before the bot was ready")
            if not self.client.is_ready():
                # discord.py keeps reconnecting the gateway meanwhile.
                log.warning("Discord: gateway not ready after %.0f s; still trying", self.ready_timeout)
        except BaseException:
            await self.stop()
            raise
        client, shards = self.client, ""
        if isinstance(client, ShardedStudyClient):
            shards = f" (shards {client.shard_ids} of {client.shard_count})"
        log.info("Discord: connected as %s%s", client.user, shards)

    async def stop(self) -> None:
        await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._connection, timeout=10)
            self._connection = None
        self.endpoints.restore()
