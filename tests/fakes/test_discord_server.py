"""Tests of the fake Discord server, driven by a real discord.py client."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands

from .discord_payloads import MANAGE_CHANNELS, MANAGE_GUILD
from .discord_server import FakeDiscord

APP_ID = 111111111111111111
BOT_ID = 222222222222222222
GUILD_ID = 333333333333333333
GENERAL = 444444444444444441
REMINDERS = 444444444444444442
ADMIN = 555555555555555551
STUDENT = 555555555555555552


class DoneView(discord.ui.View):
    """Persistent: no timeout and a fixed custom_id, so it is re-registered after a restart."""

    def __init__(self, tag: str) -> None:
        super().__init__(timeout=None)
        self.tag = tag

    @discord.ui.button(label="Done", custom_id="study:done", style=discord.ButtonStyle.green)
    async def done(self, interaction: discord.Interaction, button: discord.ui.Button[DoneView]) -> None:
        await interaction.response.edit_message(content=f"done by {interaction.user.id} via {self.tag}", view=self)


class Bot(discord.Client):
    def __init__(self, tag: str = "first") -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.tag = tag
        self.tree = app_commands.CommandTree(self)
        self.seen: list[discord.Interaction] = []
        self._register()

    async def setup_hook(self) -> None:
        self.add_view(DoneView(self.tag))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; a test has no rate limit to respect."""

    def _register(self) -> None:
        tree = self.tree

        @tree.command(description="Replies pong")
        async def ping(interaction: discord.Interaction) -> None:
            self.seen.append(interaction)
            await interaction.response.send_message("pong")

        @tree.command(description="Ephemeral reply and a followup")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("shh", ephemeral=True)
            await interaction.followup.send("more", ephemeral=True)

        @tree.command(description="Shows what discord.py sees")
        async def whoami(interaction: discord.Interaction) -> None:
            perms, app = interaction.permissions, interaction.app_permissions
            await interaction.response.send_message(
                f"{interaction.locale.value} guild={interaction.guild_id} manage_guild={perms.manage_guild} "
                f"manage_channels={perms.manage_channels} app_send={app.send_messages}"
            )

        @tree.command(description="Deferred reply")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="done thinking")

        async def subjects(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            names = ["maths", "music", "physics"]
            return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

        @tree.command(description="Set a goal")
        @app_commands.autocomplete(subject=subjects)
        async def goal(interaction: discord.Interaction, subject: str, minutes: int) -> None:
            await interaction.response.send_message(f"{subject}:{minutes}")

        @tree.command(description="Admins only")
        @app_commands.guild_only()
        @app_commands.default_permissions(manage_guild=True)
        async def config(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("configured")


@pytest_asyncio.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(application_id=APP_ID, bot_user_id=BOT_ID) as server:
        server.add_guild(
            GUILD_ID,
            "Study Hall",
            channels=[(GENERAL, "general"), (REMINDERS, "reminders")],
            members=[(ADMIN, "alice", MANAGE_GUILD | MANAGE_CHANNELS), (STUDENT, "bob", 0)],
        )
        with server.patch_client():
            yield server
    assert server.server_errors == []


def text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


@pytest.mark.asyncio
async def test_login_reaches_ready_with_the_guild(dc: FakeDiscord) -> None:
    bot = Bot()
    async with dc.running(bot):
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None and guild.name == "Study Hall"
        assert {c.name for c in guild.text_channels} == {"general", "reminders"}
        assert guild.member_count == 3 and guild.me is not None
        assert bot.user is not None and bot.user.id == BOT_ID and bot.application_id == APP_ID
        assert dc.identify_intents == bot.intents.value
    paths = [(r.method, r.path) for r in dc.requests]
    assert paths[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert bot.is_closed()


@pytest.mark.asyncio
async def test_patch_client_restores_urls() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    async with FakeDiscord() as server:
        with server.patch_client():
            assert server.api_base == discord.http.Route.BASE
            assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == server.gateway_url
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


@pytest.mark.asyncio
async def test_responses_are_exactly_application_json(dc: FakeDiscord) -> None:
    dc.fail_next("GET", r"^/channels/", 429, retry_after=0.5)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{dc.api_base}/channels/{GENERAL}") as limited:
            assert limited.status == 429 and limited.headers["Via"] == "1.1 google"
            assert (await limited.json())["retry_after"] == 0.5
        async with session.get(f"{dc.api_base}/channels/{GENERAL}") as ok:
            assert ok.headers["Content-Type"] == "application/json"
            assert (await ok.json())["name"] == "general"
        async with session.get(f"{dc.api_base}/no/such/route") as missing:
            assert missing.status == 404 and missing.headers["Content-Type"] == "application/json"
            assert await missing.json() == {"message": "404: Not Found", "code": 0}
    assert dc.unknown_routes == [("GET", "/no/such/route")]


@pytest.mark.asyncio
async def test_sync_stores_commands_and_slash_commands_get_answers(dc: FakeDiscord) -> None:
    bot = Bot()
    async with dc.running(bot):
        synced = await bot.tree.sync()
        assert {c.name for c in synced} == {"ping", "secret", "whoami", "slow", "goal", "config"}
        assert {c["name"] for c in dc.commands} == {c.name for c in synced}
        config = next(c for c in dc.commands if c["name"] == "config")
        assert config["default_member_permissions"] == str(MANAGE_GUILD) and config["contexts"] == [0]

        ping = await dc.slash_command("ping", user_id=STUDENT, channel_id=GENERAL)
        body = await ping.response()
        assert body["type"] == 4 and body["data"]["content"] == "pong"
        assert bot.seen[0].command is not None and bot.seen[0].command.name == "ping"
        assert (await dc.wait_for_message(GENERAL)).content == "pong"

        secret = await dc.slash_command("secret", user_id=STUDENT, guild_id=GUILD_ID)
        assert (await secret.response())["data"]["flags"] & 64
        followup = await secret.followup()
        assert followup.content == "more" and followup.ephemeral

        slow = await dc.slash_command("slow", user_id=STUDENT, guild_id=GUILD_ID)
        assert (await slow.response())["type"] == 5
        assert (await slow.original_message()).content == "done thinking"

        goal = await dc.slash_command("goal", {"subject": "maths", "minutes": 25}, user_id=STUDENT, guild_id=GUILD_ID)
        assert (await goal.response())["data"]["content"] == "maths:25"
        options = goal.payload["data"]["options"]
        assert [o["type"] for o in options] == [3, 4]

        complete = await dc.autocomplete("goal", "subject", "m", user_id=STUDENT, guild_id=GUILD_ID)
        body = await complete.response()
        assert body["type"] == 8 and [c["name"] for c in body["data"]["choices"]] == ["maths", "music"]


@pytest.mark.asyncio
async def test_permissions_and_locale_reach_discord_py(dc: FakeDiscord) -> None:
    bot = Bot()
    async with dc.running(bot):
        await bot.tree.sync()
        admin = await dc.slash_command("whoami", user_id=ADMIN, guild_id=GUILD_ID, locale="zh-CN")
        text = (await admin.response())["data"]["content"]
        assert text == f"zh-CN guild={GUILD_ID} manage_guild=True manage_channels=True app_send=True"
        student = await dc.slash_command("whoami", user_id=STUDENT, guild_id=GUILD_ID)
        assert "manage_guild=False manage_channels=False" in (await student.response())["data"]["content"]
        dm = await dc.slash_command("whoami", user_id=STUDENT)
        assert (await dm.response())["data"]["content"].startswith("en-US guild=None")
        assert (await dc.slash_command("config", user_id=ADMIN, guild_id=GUILD_ID)).payload["member"]
        with pytest.raises(PermissionError):
            await dc.slash_command("config", user_id=STUDENT, guild_id=GUILD_ID)
        with pytest.raises(PermissionError):
            await dc.slash_command("config", user_id=ADMIN)
        dc.guilds[GUILD_ID].grant(STUDENT, MANAGE_CHANNELS)
        promoted = await dc.slash_command("whoami", user_id=STUDENT, guild_id=GUILD_ID)
        assert "manage_guild=False manage_channels=True" in (await promoted.response())["data"]["content"]


@pytest.mark.asyncio
async def test_a_server_admin_may_show_a_command_to_those_its_default_permissions_hide(dc: FakeDiscord) -> None:
    bot = Bot()
    async with dc.running(bot):
        await bot.tree.sync()
        with pytest.raises(PermissionError):
            await dc.slash_command("config", user_id=STUDENT, guild_id=GUILD_ID)
        dc.allow_command(GUILD_ID, "config", STUDENT)
        assert (await dc.slash_command("config", user_id=STUDENT, guild_id=GUILD_ID)).payload["member"]
        dc.allow_command(GUILD_ID, "config", ADMIN, allowed=False)  # a user's own setting beats @everyone's
        dc.allow_command(GUILD_ID, "config")
        with pytest.raises(PermissionError):
            await dc.slash_command("config", user_id=ADMIN, guild_id=GUILD_ID)


@pytest.mark.asyncio
async def test_a_kicked_bot_loses_the_guild_and_its_channels_until_invited_back(dc: FakeDiscord) -> None:
    bot = Bot()
    removed, joined, ready = asyncio.Event(), asyncio.Event(), asyncio.Event()

    @bot.event
    async def on_guild_remove(guild: discord.Guild) -> None:
        removed.set()

    @bot.event
    async def on_guild_join(guild: discord.Guild) -> None:
        joined.set()

    @bot.event
    async def on_ready() -> None:
        ready.set()

    async with dc.running(bot):
        channel = text_channel(bot, GENERAL)
        await dc.remove_bot(GUILD_ID)
        await asyncio.wait_for(removed.wait(), 5)
        assert bot.get_guild(GUILD_ID) is None
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send("still here?")
        assert forbidden.value.code == 50001
        await dc.add_bot_back(GUILD_ID)
        await asyncio.wait_for(joined.wait(), 5)
        await text_channel(bot, GENERAL).send("back")
        assert dc.messages_in(GENERAL)[-1].content == "back"
        # A kick the client missed: the next IDENTIFY no longer brings the guild.
        await dc.remove_bot(GUILD_ID, tell_client=False)
        ready.clear()
        await dc.disconnect_clients(resumable=False)
        await asyncio.wait_for(ready.wait(), 5)
        assert len(dc.identify_payloads) == 2 and bot.get_guild(GUILD_ID) is None


@pytest.mark.asyncio
async def test_persistent_view_button_works_after_restart(dc: FakeDiscord) -> None:
    first = Bot("first")
    async with dc.running(first):
        embed = discord.Embed(title="Today's plan", description="25 minutes of maths")
        sent = await text_channel(first, REMINDERS).send("Study time!", embed=embed, view=DoneView("first"))
        stored = await dc.wait_for_message(REMINDERS)
        assert stored.id == sent.id and stored.embeds[0]["title"] == "Today's plan"
        assert stored.custom_ids == ["study:done"]
        press = await dc.press_button("study:done", sent.id, REMINDERS, user_id=STUDENT)
        assert (await press.response())["type"] == 7
        assert stored.content == f"done by {STUDENT} via first"

    second = Bot("second")
    async with dc.running(second):
        press = await dc.press_button("study:done", sent.id, user_id=ADMIN)
        assert (await press.response())["type"] == 7
        assert dc.messages[sent.id].content == f"done by {ADMIN} via second"
    assert len(dc.identify_payloads) == 2


@pytest.mark.asyncio
async def test_dm_attachments_and_edits(dc: FakeDiscord) -> None:
    bot = Bot()
    async with dc.running(bot):
        user = await bot.fetch_user(STUDENT)
        dm = await user.send("Time to study", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "plan.csv"))
        assert ("POST", "/users/@me/channels") in [(r.method, r.path) for r in dc.requests]
        stored = await dc.wait_for_message(dc.dm_channel_id(STUDENT))
        assert stored.content == "Time to study"
        assert [f.data for f in stored.files.values()] == [b"a,b\n1,2\n"]
        assert await dm.attachments[0].read() == b"a,b\n1,2\n"
        await dm.edit(content="Time to study (edited)")
        assert stored.content == "Time to study (edited)" and stored.edits == 1
        await dm.delete()
        assert dc.messages_in(stored.channel_id) == []


@pytest.mark.asyncio
async def test_a_file_over_the_upload_limit_is_refused(dc: FakeDiscord) -> None:
    dc.attachment_limit = 1024
    bot = Bot()
    async with dc.running(bot):
        user = await bot.fetch_user(STUDENT)
        await user.send("fits", file=discord.File(io.BytesIO(b"x" * 1024), "a.json"))
        with pytest.raises(discord.HTTPException) as too_big:
            await user.send("too big", file=discord.File(io.BytesIO(b"x" * 1025), "b.json"))
        assert too_big.value.status == 413 and too_big.value.code == 40005
        assert [m.content for m in dc.messages_in(dc.dm_channel_id(STUDENT))] == ["fits"]


@pytest.mark.asyncio
async def test_faults_map_to_discord_py_exceptions(dc: FakeDiscord) -> None:
    bot = Bot()
    async with dc.running(bot):
        channel = text_channel(bot, GENERAL)
        dc.fail_next("POST", r"^/channels/\d+/messages$", 403, 50001, "Missing Access")
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send("hello")
        assert forbidden.value.code == 50001
        dc.fail_next("POST", rf"^/channels/{GENERAL}/messages$", 404, 10003, "Unknown Channel")
        with pytest.raises(discord.NotFound) as not_found:
            await channel.send("hello")
        assert not_found.value.code == 10003
        dc.fail_next("POST", r"/messages$", 429, retry_after=0.01)
        await channel.send("after a rate limit")
        assert [r.status for r in dc.requests[-2:]] == [429, 200]
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035
        with pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/nowhere"))
        assert dc.unknown_routes == [("GET", "/nowhere")]
        assert dc.messages_in(GENERAL)[0].content == "after a rate limit"


@pytest.mark.asyncio
async def test_gateway_resume_and_reidentify(dc: FakeDiscord) -> None:
    bot = Bot()
    resumed = asyncio.Event()

    @bot.event
    async def on_resumed() -> None:
        resumed.set()

    async with dc.running(bot):
        await dc.disconnect_clients()
        await asyncio.wait_for(resumed.wait(), 5)
        assert dc.resumes == 1 and len(dc.identify_payloads) == 1
        ping = await dc.slash_command("ping", user_id=STUDENT, guild_id=GUILD_ID)
        assert (await ping.response())["data"]["content"] == "pong"

        await dc.disconnect_clients(resumable=False)
        # Dispatch waits for the client to come back, which needs IDENTIFY after an invalid session.
        again = await dc.slash_command("ping", user_id=STUDENT, guild_id=GUILD_ID)
        assert (await again.response())["data"]["content"] == "pong"
        assert len(dc.identify_payloads) == 2


async def test_everyone_in_a_message_pings_the_server_unless_allowed_mentions_leave_it_out(dc: FakeDiscord) -> None:
    headers = {"Authorization": "Bot fake-token"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for body in ({"content": "hi @everyone"}, {"content": "hi @here", "allowed_mentions": {"parse": ["everyone"]}},
                     {"content": "hi @everyone", "allowed_mentions": {"parse": []}}, {"content": "no mention"}):
            async with session.post(f"{dc.api_base}/channels/{GENERAL}/messages", json=body) as sent:
                assert sent.status == 200
    assert [m.payload["mention_everyone"] for m in dc.messages_in(GENERAL)] == [True, True, False, False]
