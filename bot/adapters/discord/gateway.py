"""The outbound side of Discord: sends core replies to channels and DMs, paces fan-out under Discord's global
limit, and maps discord.py's errors to the core's."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import discord
from aiolimiter import AsyncLimiter

from bot.adapters.discord.format import outgoing
from bot.core.metering import NO_METER, Meter
from bot.core.people import DISCORD_DM_PREFIX
from bot.core.ports import (
    MISSING_PERMISSIONS,
    SLOW_MODE,
    CannotPost,
    ChatUnreachable,
    OnWire,
    SendUncertain,
    TemporaryFailure,
)
from bot.core.replies import Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
DM_PREFIX = DISCORD_DM_PREFIX  # the core finds a person's DM by it too (bot.core.people)
# Discord allows 50 requests a second per bot across all routes; leave room for interaction traffic.
REQUESTS_PER_SECOND = 40.0
# A send whose ledger mark took longer than this missed its paced slot (see the Telegram adapter's pacing).
LAPSED_SLOT_SECONDS = 0.5
UNKNOWN_MESSAGE = 10008
# Refusals that leave the channel there but the bot unable to post in it (permissions removed, slow mode): keep the
# subscription, skip the message, tell an admin. 50007 (a user's closed DMs) means gone, like a block.
MISSING_ACCESS, MISSING_PERMISSIONS_CODE, SLOWMODE_LIMIT = 50001, 50013, 20016
_T = TypeVar("_T")

Messageable = discord.PartialMessageable


def dm_chat_id(user_id: int) -> str:
    """A DM is addressed by its user, so the address stays the same whoever opens the channel."""
    return f"{DM_PREFIX}{user_id}"


class MessageGone(Exception):
    """The message to edit was deleted; the chat itself is fine."""


class DiscordGateway:
    """Implements the core's ChatGateway port over a discord.py client over REST: it sends to any channel or DM,
    whichever shard (or none) this process holds. Its one use of the gateway's cache (`_lacks_permissions`) is
    optional: where the cache lacks the channel, Discord's answer alone decides."""

    platform = PLATFORM

    def __init__(
        self,
        client: discord.Client,
        *,
        per_second: float | None = REQUESTS_PER_SECOND,
        remember: int = 10_000,
        meter: Meter = NO_METER,
    ) -> None:
        self.client = client
        self.meter = meter
        # Evenly spaced rather than bursty, like Telegram's pacing: a fan-out of thousands of pushes never
        # meets the global limit, and discord.py still handles any per-route 429 itself.
        self.limiter = AsyncLimiter(1, 1 / per_second) if per_second else None
        self.remember = remember
        self._dm_channels: OrderedDict[int, int] = OrderedDict()  # user id -> DM channel id

    async def send(self, chat_id: str, reply: Reply, *, on_wire: OnWire | None = None) -> str:
        out = outgoing(reply)

        async def send(channel: Messageable) -> discord.Message:
            return await channel.send(**out.kwargs())

        try:
            message = await self._call(chat_id, send, on_wire)
        except MessageGone as exc:  # not a thing a new message can meet; counted as a refusal to retry later
            raise TemporaryFailure(str(exc)) from None
        return str(message.id)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        out = outgoing(reply)

        async def edit(channel: Messageable) -> discord.Message:
            return await channel.get_partial_message(int(message_id)).edit(**out.edit_kwargs())

        try:
            await self._call(chat_id, edit)
        except MessageGone:
            log.info("message %s in %s was deleted; nothing to edit", message_id, chat_id)

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        if chat_id.startswith(DM_PREFIX):
            return chat_id == dm_chat_id(int(user_id))
        channel = self.client.get_channel(int(chat_id))
        if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            return False
        member = channel.guild.get_member(int(user_id))
        if member is None:
            try:
                member = await channel.guild.fetch_member(int(user_id))
            except discord.HTTPException as exc:
                log.warning("could not check admin rights in %s: %s", chat_id, exc)
                return False
        perms = channel.permissions_for(member)
        return perms.administrator or perms.manage_guild or perms.manage_channels

    async def _pace(self) -> None:
        if self.limiter is None:
            return
        if self.limiter.has_capacity():
            await self.limiter.acquire()
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self.limiter.acquire()
        self.meter.rate_limit_wait(PLATFORM, loop.time() - started)

    async def _channel(self, chat_id: str) -> Messageable:
        target = chat_id.removeprefix(DM_PREFIX)
        if not target.isdigit():
            raise ChatUnreachable(f"not a Discord chat id: {chat_id!r}")
        if target == chat_id:
            return self.client.get_partial_messageable(int(target))
        user_id = int(target)
        known = self._dm_channels.pop(user_id, None)
        if known is None:
            await self._pace()
            known = (await self.client.create_dm(discord.Object(user_id))).id
        self._dm_channels[user_id] = known
        if len(self._dm_channels) > self.remember:
            self._dm_channels.popitem(last=False)
        return self.client.get_partial_messageable(known, type=discord.ChannelType.private)

    async def _call(
        self, chat_id: str, action: Callable[[Messageable], Awaitable[_T]], on_wire: OnWire | None = None
    ) -> _T:
        """Run one REST call on a chat's channel, mapping Discord's errors to the core's; `on_wire` is awaited
        after our pacing, just before the call (discord.py's own bucket waits, rare under that pacing, follow)."""
        channel = await self._mapped(self._ready_channel(chat_id), chat_id)
        if on_wire is not None:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await on_wire()
            if loop.time() - started > LAPSED_SLOT_SECONDS:
                await self._pace()  # the paced slot has passed (the database was slow): take a fresh one
        return await self._mapped(action(channel), chat_id)

    async def _ready_channel(self, chat_id: str) -> Messageable:
        channel = await self._channel(chat_id)
        await self._pace()
        return channel

    def _lacks_permissions(self, chat_id: str) -> bool:
        """Whether the gateway's cache says the bot may not see or post in this channel (an admin took the
        permissions away), as opposed to the bot being gone from the server."""
        channel = self.client.get_channel(int(chat_id)) if chat_id.isdigit() else None
        if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            return False
        perms = channel.permissions_for(channel.guild.me)
        return not (perms.view_channel and perms.send_messages)

    async def _mapped(self, call: Awaitable[_T], chat_id: str) -> _T:
        try:
            return await call
        except discord.Forbidden as exc:
            # 50013: a permission is missing. 50001 (missing access) means that too, or that the bot was removed
            # from the server, which the cache (kept by the gateway) tells apart. 50007: the user closed their DMs
            # or blocked the bot.
            lacks = exc.code == MISSING_PERMISSIONS_CODE
            if lacks or (exc.code == MISSING_ACCESS and self._lacks_permissions(chat_id)):
                raise CannotPost(MISSING_PERMISSIONS, f"Discord refused ({exc.code}): {exc.text}") from None
            raise ChatUnreachable(f"Discord refused ({exc.code}): {exc.text}") from None
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:
                raise MessageGone(exc.text) from None
            raise ChatUnreachable(f"gone ({exc.code}): {exc.text}") from None
        except discord.RateLimited as exc:
            # Only when Discord asks for a wait longer than the client's max_ratelimit_timeout.
            raise TemporaryFailure(f"rate limited for {exc.retry_after:.0f} s") from None
        except discord.DiscordServerError as exc:
            # discord.py already retried 500/502/504 with backoff before giving up.
            raise TemporaryFailure(f"Discord server error {exc.status}") from None
        except discord.HTTPException as exc:
            if exc.code == SLOWMODE_LIMIT:
                raise CannotPost(SLOW_MODE, f"Discord refused ({exc.code}): {exc.text}") from None
            raise TemporaryFailure(f"Discord refused the message ({exc.status}/{exc.code}): {exc.text}") from None
        except aiohttp.ConnectionTimeoutError as exc:
            raise TemporaryFailure(f"could not connect: {exc!r}") from None
        except TimeoutError as exc:
            # The request may have reached Discord: never resend, or the push could show twice.
            raise SendUncertain(f"timed out: {exc!r}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TemporaryFailure(f"network error: {exc!r}") from None
