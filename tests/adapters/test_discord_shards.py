"""Discord sharding end to end, with discord.py's AutoShardedClient against the fake Discord: a process owning shards
0-1 of 2 serves the servers of both; a process owning one shard gets only its servers' interactions; and a push to a
channel on a shard no process here holds goes out all the same, over REST, from whichever process runs the pass;
and `studybot run` with STUDYBOT_DISCORD_SHARDS identifies each of its shards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import App, bootstrap
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum
from tests.adapters.discord_support import adapter_for, ask, content
from tests.fakes.discord_payloads import MANAGE_CHANNELS
from tests.fakes.discord_server import FakeDiscord
from tests.processes import Studybot, studybot_env

ON_SHARD_0, ON_SHARD_1 = 900000000004194305, 900000000000000001  # (guild_id >> 22) % 2
CHANNEL_0, CHANNEL_1 = 910000000000000010, 910000000000000011
ADMIN = 920000000000000001


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(shards=2) as server:
        members = [(ADMIN, "Alice", MANAGE_CHANNELS)]
        server.add_guild(ON_SHARD_0, "Zero", channels=[(CHANNEL_0, "zero")], members=members)
        server.add_guild(ON_SHARD_1, "One", channels=[(CHANNEL_1, "one")], members=members)
        with server.patch_client():
            yield server
        assert server.server_errors == [] and server.unknown_routes == []


async def test_a_process_owning_shards_0_1_of_2_answers_the_servers_of_both(app: App, dc: FakeDiscord) -> None:
    adapter = adapter_for(app, dc, shards=([0, 1], 2))
    await adapter.start()
    try:
        await dc.wait_for_shards({0, 1})
        assert sorted(p["shard"] for p in dc.identify_payloads) == [[0, 2], [1, 2]]
        for channel in (CHANNEL_0, CHANNEL_1):
            answer = await ask(dc, "subscribe", {"time": "20:00"}, user_id=ADMIN, channel_id=channel)
            assert "Subscribed" in await content(answer)
    finally:
        await adapter.stop()


async def test_one_shard_each_and_pushes_to_any_channel_from_either_process(
    app: App, settings: Settings, dc: FakeDiscord, clock: ManualClock, curriculum: Curriculum
) -> None:
    other = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    zero, one = adapter_for(app, dc, shards=([0], 2)), adapter_for(other, dc, shards=([1], 2))
    await zero.start()
    await one.start()
    try:
        await dc.wait_for_shards({0, 1})
        assert [g.id for g in zero.client.guilds] == [ON_SHARD_0]
        assert [g.id for g in one.client.guilds] == [ON_SHARD_1]
        # Each server's slash command reaches the process holding its shard, which answers it.
        for channel in (CHANNEL_0, CHANNEL_1):
            answer = await ask(dc, "subscribe", {"time": "20:00"}, user_id=ADMIN, channel_id=channel)
            assert "Subscribed" in await content(answer)
        # Only the shard-0 process delivers, and it pushes to the shard-1 server's channel too.
        app.gateways.connected(zero.gateway)
        report = await app.delivery.run_pass()
        assert report.sent == 2
        for channel in (CHANNEL_0, CHANNEL_1):
            push = await dc.wait_for_message(channel, lambda m: m.interaction_id is None)
            assert "studybot:done:1" in push.custom_ids
    finally:
        app.gateways.disconnected(zero.gateway)
        await one.stop()
        await zero.stop()
        await other.close()


async def test_run_with_discord_shards_set_identifies_each_shard_and_serves_their_servers(tmp_path: Path) -> None:
    token = "MTAwMDAwMDAwMDAwMDAwMDAy.GsEcRt.discord-secret-token-value"
    async with FakeDiscord(token=token, shards=2) as dc:
        members = [(ADMIN, "Alice", MANAGE_CHANNELS)]
        dc.add_guild(ON_SHARD_0, "Zero", channels=[(CHANNEL_0, "zero")], members=members)
        dc.add_guild(ON_SHARD_1, "One", channels=[(CHANNEL_1, "one")], members=members)
        env = studybot_env(discord_token=token, discord_api_url=dc.root, discord_gateway_url=dc.gateway_url,
                           database_url=f"sqlite:///{tmp_path / 'bot.db'}", discord_shards="0-1/2")  # fmt: skip
        async with Studybot(["run"], env, tmp_path / "studybot.log") as bot:
            # discord.py identifies a second shard five seconds after the first, as Discord asks.
            await dc.wait_for_shards({0, 1}, timeout=40)
            answer = await dc.slash_command("subscribe", {"time": "20:00"}, user_id=ADMIN, channel_id=CHANNEL_1)
            assert "Subscribed" in str((await answer.response(timeout=10))["data"]["content"])
            for _ in range(100):  # every shard ready: the adapter logs what it holds
                if "Discord: connected as" in bot.output:
                    break
                await asyncio.sleep(0.1)
            code, _ = await bot.stop()
    assert code == 0, bot.output[-2000:]
    assert sorted(p["shard"] for p in dc.identify_payloads) == [[0, 2], [1, 2]]
    assert "(shards [0, 1] of 2)" in bot.output and token not in bot.output
