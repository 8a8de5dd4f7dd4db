"""Discord's sending side on its own: REST only, logged in but with no gateway session (`studybot deliver`)."""

from __future__ import annotations

import aiohttp
import discord

from bot.adapters.discord.gateway import PLATFORM, REQUESTS_PER_SECOND, DiscordGateway
from bot.adapters.discord.patches import Endpoints
from bot.adapters.lifecycle import PlatformUnreachable, TokenRejected
from bot.core.metering import NO_METER, Meter

TOKEN_SETTING = "STUDYBOT_DISCORD_TOKEN"
# A longer wait asked by Discord fails the send (retried on a later pass) instead of stalling a delivery pass.
MAX_RATE_LIMIT_WAIT = 60.0
# Nothing we send notifies anyone: a member named "@everyone" on a leaderboard must not ping the whole server.
NO_PINGS = discord.AllowedMentions.none()


def rate_limit_trace(meter: Meter) -> aiohttp.TraceConfig:
    """Counts Discord's 429s: discord.py waits and retries them itself, and its requests go through aiohttp, whose
    trace hooks see every answer."""
    trace = aiohttp.TraceConfig()

    async def on_end(session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestEndParams) -> None:
        if params.response.status == 429:
            meter.rate_limited(PLATFORM)

    trace.on_request_end.append(on_end)
    return trace


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
        meter: Meter = NO_METER,
    ) -> None:
        self.token = token
        self.endpoints = Endpoints(api_url, gateway_url)
        self.client = discord.Client(
            intents=discord.Intents.none(),
            max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT,
            http_trace=rate_limit_trace(meter),
            allowed_mentions=NO_PINGS,
        )
        self.gateway = DiscordGateway(self.client, per_second=per_second, meter=meter)

    async def start(self) -> None:
        self.endpoints.apply()
        await log_in(self.client, self.token)

    async def stop(self) -> None:
        await self.client.close()
        self.endpoints.restore()
