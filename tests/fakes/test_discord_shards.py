"""The fake Discord's sharding, driven by discord.py's real AutoShardedClient: GET /gateway/bot's recommendation,
IDENTIFY with `shard` refused where Discord refuses it, each shard given its own servers, and each server's
interactions sent to the session of its shard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from .discord_server import FakeDiscord

ON_SHARD_0, ON_SHARD_1 = 900000000004194305, 900000000000000001  # (guild_id >> 22) % 2
CHANNEL_0, CHANNEL_1 = 910000000000000010, 910000000000000011
USER = 920000000000000001


class Sharded(discord.AutoShardedClient):
    def __init__(self, shard_ids: list[int] | None, shard_count: int | None) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        # Without ids and a count, discord.py asks GET /gateway/bot how many shards to run.
        chosen: dict[str, Any] = {} if shard_ids is None else {"shard_ids": shard_ids, "shard_count": shard_count}
        super().__init__(intents=intents, guild_ready_timeout=0.05, **chosen)
        self.interactions: list[tuple[int | None, int | None]] = []  # (guild id, shard id)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s between IDENTIFYs: a test has no rate limit to respect."""

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self.interactions.append((interaction.guild_id, interaction.guild.shard_id if interaction.guild else None))


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(shards=2) as server:
        server.add_guild(ON_SHARD_0, "Zero", channels=[(CHANNEL_0, "zero")], members=[(USER, "Ann", 0)])
        server.add_guild(ON_SHARD_1, "One", channels=[(CHANNEL_1, "one")], members=[(USER, "Ann", 0)])
        with server.patch_client():
            yield server


@contextlib.asynccontextmanager
async def connected(dc: FakeDiscord, client: Sharded) -> AsyncIterator[None]:
    async with dc.running(client):
        yield


async def test_gateway_bot_recommends_the_shard_count(dc: FakeDiscord) -> None:
    client = Sharded(None, None)  # no count given: discord.py asks GET /gateway/bot
    async with connected(dc, client):
        assert client.shard_count == 2
        assert dc.connected_shards == {0, 1}
        assert {g.id for g in client.guilds} == {ON_SHARD_0, ON_SHARD_1}


async def test_each_shard_gets_its_own_servers_and_their_interactions(dc: FakeDiscord) -> None:
    only_one = Sharded([1], 2)
    async with connected(dc, only_one):
        assert [payload["shard"] for payload in dc.identify_payloads] == [[1, 2]]
        assert [g.id for g in only_one.guilds] == [ON_SHARD_1]
        await dc.slash_command("ping", user_id=USER, channel_id=CHANNEL_1)
        await dc._wait(lambda: only_one.interactions or None, 5, "the interaction")
        assert only_one.interactions == [(ON_SHARD_1, 1)]
        # Nobody holds shard 0 here: its server's interaction has no session to go to.
        with pytest.raises(TimeoutError):
            await dc.slash_command("ping", user_id=USER, channel_id=CHANNEL_0, timeout=0.3)


async def test_a_shard_outside_the_count_and_too_few_shards_are_refused(dc: FakeDiscord) -> None:
    await dc.wait_for_shards(set(), timeout=1)
    for ids, count in (([2], 2), ([0], 1)):
        client = Sharded(ids, count)
        await client.login("fake-token")
        task = asyncio.create_task(client.connect(reconnect=False))
        with pytest.raises(discord.ConnectionClosed) as closed:
            await asyncio.wait_for(task, 5)
        await client.close()
        assert closed.value.code == (4010 if count == 2 else 4011)
