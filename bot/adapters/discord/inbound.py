"""The inbound side of Discord: slash commands and button presses become core calls, and the core's replies
become the interaction's response (ephemeral where only the asker should see it) and followups."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
import discord
from discord import app_commands

from bot.adapters.discord.format import outgoing
from bot.adapters.discord.gateway import PLATFORM, dm_chat_id
from bot.core.commands import Commands
from bot.core.events import Incoming, Press
from bot.core.i18n import messages
from bot.core.menu import N_
from bot.core.model import Address, ChatKind
from bot.core.parsing import zone_choices
from bot.core.replies import ButtonAnswer, Reply, TextReply
from bot.core.turns import PerChatOrder

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Commands whose answers the core marks private: known before it answers, so that a slow one's "thinking..." is
# shown to the asker only as well (a deferred response cannot change who sees it).
ASKER_ONLY = frozenset({"streak", "progress", "week", "members", "catchup", "notes", "restart"})
# Commands that start pushes to the channel they are typed in.
POSTING = frozenset({"subscribe", "resume", "goto"})
# Discord drops an interaction not answered within 3 s; a slower core answer is deferred first.
DEFER_AFTER = 2.0

CANNOT_POST = N_(
    "I can't post in this channel, so the daily topic could not reach it. Give me the View Channel, "
    "Send Messages and Embed Links permissions here, then try again."
)


def hidden(interaction: discord.Interaction, reply: Reply) -> bool:
    """Whether only the asker should see `reply`: a private answer in a server channel. A DM is private anyway,
    and an ephemeral message there would vanish when the app reloads."""
    return reply.private and interaction.guild_id is not None


@dataclass(frozen=True)
class Place:
    """Where an interaction happened, in the core's terms."""

    address: Address
    kind: ChatKind
    is_admin: bool | None
    title: str


def place_of(interaction: discord.Interaction) -> Place:
    if interaction.guild_id is None:
        # The DM is addressed by its user: pushes reopen it through the API, whatever its channel id.
        return Place(Address(PLATFORM, dm_chat_id(interaction.user.id)), ChatKind.PRIVATE, None, "")
    # Discord computes these for this channel (roles, overwrites, ownership) and sends them with the event.
    perms = interaction.permissions
    admin = perms.administrator or perms.manage_guild or perms.manage_channels
    title = str(getattr(interaction.channel, "name", "") or "")
    return Place(Address(PLATFORM, str(interaction.channel_id)), ChatKind.GROUP, admin, title)


def can_post(interaction: discord.Interaction) -> bool:
    """Whether pushes (embeds with buttons) can reach the channel the interaction came from."""
    mine = interaction.app_permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    sends = mine.send_messages_in_threads if in_thread else mine.send_messages
    return mine.view_channel and sends and mine.embed_links


class DiscordInbound:
    """Called by the client for each slash command, autocomplete and button press."""

    def __init__(self, commands: Commands, *, defer_after: float = DEFER_AFTER) -> None:
        self.commands = commands
        self.defer_after = defer_after
        self.order = PerChatOrder()

    async def on_command(
        self,
        interaction: discord.Interaction,
        name: str,
        *args: str | None,
        target: discord.abc.Snowflake | None = None,
    ) -> None:
        """A slash command, its options turned into the text the core parses ("/subscribe 08:30 Asia/Shanghai")."""
        started = time.perf_counter()
        try:
            await self._command(interaction, name, *args, target=target)
        finally:
            self.commands.meter.reply(PLATFORM, time.perf_counter() - started)

    async def _command(
        self,
        interaction: discord.Interaction,
        name: str,
        *args: str | None,
        target: discord.abc.Snowflake | None = None,
    ) -> None:
        place, user = place_of(interaction), interaction.user
        text = " ".join([f"/{name}", *(arg.strip() for arg in args if arg and arg.strip())])
        incoming = Incoming(
            place.address, place.kind, str(user.id), user.display_name, interaction.locale.value,
            is_admin=place.is_admin, chat_title=place.title, text=text,
            target_user_id=str(target.id) if target is not None else None,
            # Discord sends the chosen member's data with the command; without it only the id is known.
            target_user_name=str(getattr(target, "display_name", "") or getattr(target, "id", "")),
            member_option=True, sent_at=interaction.created_at,
        )  # fmt: skip
        private = place.kind is not ChatKind.PRIVATE and name in ASKER_ONLY
        if name in POSTING and place.is_admin and not can_post(interaction):
            m = messages(await self.commands.chat_language(place.address, interaction.locale.value))
            await self.answer(interaction, [TextReply(m._(CANNOT_POST))], ephemeral=True)
            return
        replies, _ = await self._in_time(interaction, private, self._handle(incoming))
        await self.answer(interaction, replies)

    async def on_press(self, interaction: discord.Interaction, action: str) -> None:
        started = time.perf_counter()
        try:
            await self._pressed(interaction, action)
        finally:
            self.commands.meter.reply(PLATFORM, time.perf_counter() - started)

    async def _pressed(self, interaction: discord.Interaction, action: str) -> None:
        place, user = place_of(interaction), interaction.user
        press = Press(
            place.address, place.kind, str(user.id), user.display_name, interaction.locale.value,
            is_admin=place.is_admin, chat_title=place.title, action=action,
        )  # fmt: skip
        answer, deferred = await self._in_time(interaction, True, self._press(press))
        if answer.card is not None:
            card = outgoing(answer.card).edit_kwargs()
            try:
                if deferred:
                    await interaction.edit_original_response(**card)  # @original is the message pressed on
                else:
                    await interaction.response.edit_message(**card)
            except discord.HTTPException as exc:
                log.warning("card in %s not edited: %s", place.address, exc)
        if answer.replies:
            # On Discord a toast is a message too; the replies say the same thing at greater length.
            await self.answer(interaction, answer.replies)
        elif answer.toast:
            await self.answer(interaction, [TextReply(answer.toast)], ephemeral=True)
        elif not interaction.response.is_done():
            await interaction.response.defer()

    async def zones(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in zone_choices(current)]

    async def channel_gone(self, channel_ids: Sequence[int]) -> None:
        """A deleted channel, or every channel of a server the bot was removed from: stop pushing there."""
        for channel_id in channel_ids:
            await self.commands.chat_gone(Address(PLATFORM, str(channel_id)))

    async def channels_back(self, channel_ids: Sequence[int]) -> None:
        """The bot was added back to a server: channels it had been cut off from get their pushes again."""
        for channel_id in channel_ids:
            if await self.commands.chat_back(Address(PLATFORM, str(channel_id))):
                log.info("pushes to Discord channel %s are back on", channel_id)

    async def answer(
        self, interaction: discord.Interaction, replies: Sequence[Reply], *, ephemeral: bool = False
    ) -> None:
        """The first reply as the interaction's response (or in place of "thinking..."), the rest as followups;
        each shown to the asker only if `ephemeral` or the core made it private."""
        thinking = interaction.type is discord.InteractionType.application_command and interaction.response.is_done()
        for index, reply in enumerate(replies or [TextReply("✅")]):
            out, only_asker = outgoing(reply), ephemeral or hidden(interaction, reply)
            try:
                if not interaction.response.is_done():
                    await interaction.response.send_message(**out.kwargs(), ephemeral=only_asker)
                elif index == 0 and thinking:
                    # Seen by whoever the deferral chose: Discord fixes that when "thinking..." is shown.
                    await interaction.edit_original_response(**out.edit_kwargs())
                else:
                    await interaction.followup.send(**out.kwargs(), ephemeral=only_asker)
            except (discord.HTTPException, aiohttp.ClientError) as exc:
                # Typically the interaction expired (10062); the user can simply ask again.
                log.warning("answer in %s not sent: %r", interaction.channel_id, exc)
                return

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        async with self.order.turn(incoming.address):
            return await self.commands.handle(incoming)

    async def _press(self, press: Press) -> ButtonAnswer:
        async with self.order.turn(press.address):
            return await self.commands.press(press)

    async def _in_time(self, interaction: discord.Interaction, ephemeral: bool, work: Awaitable[_T]) -> tuple[_T, bool]:
        """Run `work`; if it takes long, acknowledge the interaction meanwhile. True if it was deferred."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            command = interaction.type is discord.InteractionType.application_command
            try:
                # A command shows "thinking..."; a button press is acknowledged silently.
                await interaction.response.defer(ephemeral=ephemeral and command, thinking=command)
            except discord.HTTPException as exc:
                log.warning("could not defer an interaction in %s: %s", interaction.channel_id, exc)
        return await task, not done
