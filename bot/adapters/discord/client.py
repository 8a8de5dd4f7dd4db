"""The discord.py client: the one intent we need, the slash commands synced on start, the persistent buttons,
and the server events that stop or resume pushes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import AppCommandContext, AppInstallationType

from bot.adapters.discord.format import ActionButton
from bot.adapters.discord.inbound import DiscordInbound
from bot.adapters.discord.outbound import MAX_RATE_LIMIT_WAIT, NO_PINGS, rate_limit_trace
from bot.adapters.discord.patches import quiet_voice
from bot.adapters.discord.slash import CatalogTranslator, install
from bot.core.i18n import language_from_hint, messages
from bot.core.replies import TextReply

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Guilds only: channels, permissions and server membership. Slash commands and buttons arrive as
    interactions, so neither message content (privileged) nor messages at all are needed."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class StudyClient(discord.Client):
    """Hands every interaction and server event to DiscordInbound."""

    def __init__(
        self,
        inbound: DiscordInbound,
        *,
        guild_ready_timeout: float = 2.0,
        identify_delay: float | None = None,
        **options: Any,
    ) -> None:
        quiet_voice()
        super().__init__(
            intents=intents(),
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT,
            http_trace=rate_limit_trace(inbound.commands.meter),
            allowed_mentions=NO_PINGS,
            **options,
        )
        self.inbound = inbound
        self.identify_delay = identify_delay
        # Server channels and the bot's DMs; not group DMs, whose chat the bot cannot push to.
        self.tree: app_commands.CommandTree[StudyClient] = app_commands.CommandTree(
            self,
            allowed_contexts=AppCommandContext(guild=True, dm_channel=True),
            allowed_installs=AppInstallationType(guild=True),
        )
        self.tree.on_error = self.on_command_error  # type: ignore[method-assign]
        install(self.tree, inbound)

    async def setup_hook(self) -> None:
        # One registration matches every studybot button, on messages sent before this process started too.
        self.add_dynamic_items(ActionButton)
        await self.tree.set_translator(CatalogTranslator())
        synced = await self.tree.sync()
        log.info("Discord: %d slash commands synced", len(synced))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if self.identify_delay is None:
            await super().before_identify_hook(shard_id, initial=initial)
        elif not initial and self.identify_delay > 0:
            await asyncio.sleep(self.identify_delay)

    async def on_button(self, interaction: discord.Interaction, action: str) -> None:
        try:
            await self.inbound.on_press(interaction, action)
        except Exception:
            log.exception("button %r failed in %s", action, interaction.channel_id)
            await self._apologise(interaction)

    async def on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.error("slash command failed in %s", interaction.channel_id, exc_info=error)
        await self._apologise(interaction)

    async def _apologise(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.autocomplete:
            return
        m = messages(language_from_hint(interaction.locale.value))
        sorry = m._("Sorry, something went wrong on my side. Please try again in a minute.")
        try:
            await self.inbound.answer(interaction, [TextReply(sorry)], ephemeral=True)
        except Exception as exc:  # the client may be closing; the failure itself is already logged
            log.debug("could not apologise in %s: %r", interaction.channel_id, exc)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.inbound.channel_gone([channel.id])

    async def on_thread_delete(self, thread: discord.Thread) -> None:
        await self.inbound.channel_gone([thread.id])

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        log.info("removed from Discord server %s; stopping its pushes", guild.id)
        await self.inbound.channel_gone([c.id for c in guild.channels] + [t.id for t in guild.threads])

    async def on_guild_join(self, guild: discord.Guild) -> None:
        # Threads too: removing the bot stopped the subscribed threads along with the channels.
        await self.inbound.channels_back([c.id for c in guild.channels] + [t.id for t in guild.threads])

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("error in Discord event %s", event_method)


class ShardedStudyClient(StudyClient, discord.AutoShardedClient):
    """The same client over some of the bot's shards (`shard_ids` of `shard_count`): one gateway connection per shard,
    each bringing the events and interactions of its servers (a DM's come to shard 0)."""

    def __init__(
        self,
        inbound: DiscordInbound,
        *,
        shard_ids: list[int],
        shard_count: int,
        guild_ready_timeout: float = 2.0,
        identify_delay: float | None = None,
    ) -> None:
        super().__init__(
            inbound,
            guild_ready_timeout=guild_ready_timeout,
            identify_delay=identify_delay,
            shard_ids=shard_ids,
            shard_count=shard_count,
        )
