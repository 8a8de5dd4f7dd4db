"""Helpers for the Discord end-to-end tests: the real adapter against the fake Discord server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import App
from bot.core.model import Address, Subscription
from tests.fakes.discord_payloads import EPHEMERAL, StoredMessage
from tests.fakes.discord_server import FakeDiscord, FakeInteraction


@contextlib.asynccontextmanager
async def serving(add_guilds: Callable[[FakeDiscord], object]) -> AsyncIterator[FakeDiscord]:
    """A fake Discord with the test's guilds, discord.py pointed at it."""
    async with FakeDiscord() as server:
        add_guilds(server)
        with server.patch_client():
            yield server
    # The fake answers its own bugs and unknown routes with errors the adapter may log and go past.
    assert server.server_errors == []
    assert server.unknown_routes == []


def adapter_for(app: App, dc: FakeDiscord, **options: Any) -> DiscordAdapter:
    # No 5 s pause before a re-IDENTIFY and no 2 s wait for more guilds: a test has no limits to respect.
    return DiscordAdapter(
        app.commands, "fake-token", api_url=dc.root, gateway_url=dc.gateway_url, guild_ready_timeout=0.05,
        identify_delay=0, **options,
    )  # fmt: skip


async def ask(dc: FakeDiscord, name: str, options: dict[str, Any] | None = None, **where: Any) -> FakeInteraction:
    """Run a slash command as `user_id` (in their DM unless a channel is given) and wait for the bot's answer."""
    interaction = await dc.slash_command(name, options, **where)
    await interaction.response()
    return interaction


def chosen(dc: FakeDiscord, guild_id: int, *users: int) -> dict[str, Any]:
    """What Discord sends along (`resolved`) about the members picked in a command's member option."""
    resolved: dict[str, dict[str, Any]] = {"users": {}, "members": {}}
    for user in users:
        member = dc.guilds[guild_id].member_payload(user)
        resolved["users"][str(user)] = member.pop("user")
        resolved["members"][str(user)] = member
    return resolved


async def content(interaction: FakeInteraction) -> str:
    return str((await interaction.response())["data"].get("content") or "")


async def ephemeral(interaction: FakeInteraction) -> bool:
    return bool(int((await interaction.response())["data"].get("flags") or 0) & EPHEMERAL)


def pushes(dc: FakeDiscord, channel_id: int) -> list[StoredMessage]:
    """Messages the delivery engine sent (not answers to interactions)."""
    return [m for m in dc.messages_in(channel_id) if m.interaction_id is None and m.embeds]


def author(message: StoredMessage | dict[str, Any]) -> str:
    embeds = message.embeds if isinstance(message, StoredMessage) else message["embeds"]
    return str(embeds[0]["author"]["name"])


def footer(message: StoredMessage | dict[str, Any]) -> str:
    embeds = message.embeds if isinstance(message, StoredMessage) else message["embeds"]
    return str(embeds[0].get("footer", {}).get("text", ""))


async def subscription(app: App, chat_id: int | str) -> Subscription:
    sub = await app.learners.chat(Address("discord", str(chat_id)))
    assert sub is not None
    return sub


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Until an async condition holds: gateway events are handled in tasks of their own."""
    for _ in range(250):
        if await check():
            return
        await asyncio.sleep(0.02)
    pytest.fail("the condition never held")
