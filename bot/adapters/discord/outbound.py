"""Discord's sending side on its own: REST only, logged in but with no gateway session (`studybot deliver`)."""

from __future__ import annotations

import aiohttp
import discord

from bot.adapters.discord.gateway import REQUESTS_PER_SECOND, DiscordGateway
from bot.adapters.discord.patches import Endpoints
from bot.adapters.lifecycle import PlatformUnreachable, TokenRejected

TOKEN_SETTING = "STUDYBOT_DISCORD_TOKEN"
# A longer wait asked by Discord fails the send (retried on a later pass) instead of stalling a delivery pass.
MAX_RATE_LIMIT_WAIT = 60.0


async def log_in(client: discord.Client, token: str) -> None:
    """`client.login`, failing as the process understands; a failed login leaves no session open."""
    try:
        await client.login(token)
    except discord.LoginFailure:
        await client.close()
        raise TokenRejected(f"Discord rejected the bot token: check {TOKEN_SETTING}") from None
    except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
        await client.close()
        raise PlatformUnreachable(f"Discord is unreachable: {type(exc).__name__}: {exc}") from None


class DiscordOutbound:
    """Sends through Discord's REST API without connecting to its gateway."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str | None = None,
        gateway_url: str | None = None,
        per_second: float | None = REQUESTS_PER_SECOND,
    ) -> None:
        self.token = token
        self.endpoints = Endpoints(api_url, gateway_url)
        self.client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT)
        self.gateway = DiscordGateway(self.client, per_second=per_second)

    async def start(self) -> None:
        self.endpoints.apply()
        await log_in(self.client, self.token)

    async def stop(self) -> None:
        await self.client.close()
        self.endpoints.restore()
