"""Every core command as a Discord slash command with typed, described options; descriptions are shown in the
user's client language, from the same catalogs as the replies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate

import discord
from discord import app_commands
from discord.app_commands import AppCommandContext, TranslationContextLocation, TranslationContextTypes, locale_str

from bot.adapters.discord.format import clip
from bot.adapters.discord.inbound import DiscordInbound
from bot.core.i18n import DEFAULT_LANGUAGE, language_from_hint, messages
from bot.core.menu import ADMIN_ONLY, COMMANDS, DM_ONLY, MAX_NOTE, N_

DESCRIPTION_LIMIT = 100
Callback = Callable[Concatenate[discord.Interaction, ...], Coroutine[Any, Any, None]]

# Telegram's wording for these asks to reply to a member's message; on Discord the member is an option.
DISCORD_DESCRIPTIONS = {
    "mark": N_("Admins: mark a member's day done"),
    "unmark": N_("Admins: undo a day marked for a member"),
}
# Who sees the admins' commands in a server: those with Manage Channels (and Administrator, who has every right).
# Discord requires every bit it is given, so it cannot also say "or Manage Server"; a server's admins can show the
# commands to other roles in Server Settings > Integrations, and the bot still accepts Manage Server.
CHANNEL_ADMINS = discord.Permissions(manage_channels=True)
# About a server's members; a DM has nobody else in it.
SERVER_ONLY = frozenset({"leaderboard", "members", "mark", "unmark"})
# Explicit False: an unset context would be filled in from the tree's defaults, which include DMs.
SERVER = AppCommandContext(guild=True, dm_channel=False, private_channel=False)
# A person's own settings and data: in a DM with the bot only.
DM = AppCommandContext(guild=False, dm_channel=True, private_channel=False)
TIME = N_("Time of day, 24-hour HH:MM, e.g. 08:30")
ZONE = N_("Time zone: an IANA name such as Asia/Shanghai, or an offset like UTC+8")
LANGUAGE = N_("The language of the bot's messages here")
NOTE = N_("What you studied (optional)")
MEMBER = N_("The member whose record to correct")
DAY = N_("Plan day (default: the current day)")
DONE_DAY = N_("The plan day to mark (default: today's)")
PAUSE_DAYS = N_("For how many days (default: until /resume)")
STUDY_DAYS = N_("Weekdays to study on: mon-fri, mon,wed,fri, every day")
PACE = N_("calendar: a day per study day; self: the next day not done")
NUDGE = N_("off, on, or a time such as 19:30 (before 22:00)")
GOTO_DAY = N_("The plan day to jump to")
GOTO_WEEK = N_("Or the week to jump to (its first day)")
NOTES_WEEK = N_("Only this week's notes")
PACES = [app_commands.Choice(name=N_("calendar"), value="calendar"), app_commands.Choice(name=N_("self"), value="self")]
LANGUAGES = [app_commands.Choice(name="English", value="en"), app_commands.Choice(name="中文", value="zh")]
WHAT = N_("In a server channel: the whole channel (admins) or only your own record")
FORGET_CHOICES = [app_commands.Choice(name=N_("this chat"), value="chat"),
                  app_commands.Choice(name=N_("only me"), value="me")]  # fmt: skip
TRANSLATED = (TranslationContextLocation.command_description, TranslationContextLocation.parameter_description,
              TranslationContextLocation.choice_name)  # fmt: skip


class CatalogTranslator(app_commands.Translator):
    """Command and option descriptions, and choices the catalogs translate, from the gettext catalogs; names stay."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: TranslationContextTypes
    ) -> str | None:
        language = language_from_hint(locale.value)
        if context.location not in TRANSLATED or language == DEFAULT_LANGUAGE:
            return None
        text = messages(language)._(string.message)
        return clip(text, DESCRIPTION_LIMIT) if text != string.message else None


def install(tree: app_commands.CommandTree[Any], inbound: DiscordInbound) -> None:
    """Add one slash command per core command, in /help's order."""
    descriptions = {**dict(COMMANDS), **DISCORD_DESCRIPTIONS}
    with_options = _with_options(inbound)
    for name, _ in COMMANDS:
        callback = with_options.get(name) or _plain(inbound, name)
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=name,
            description=clip(descriptions[name], DESCRIPTION_LIMIT),
            callback=callback,
            allowed_contexts=SERVER if name in SERVER_ONLY else DM if name in DM_ONLY else None,
        )
        if name in ADMIN_ONLY:
            # In a server, shown only to those who may use it (Discord ignores this in DMs, where everyone may).
            command.default_permissions = CHANNEL_ADMINS
        tree.add_command(command)


def _plain(inbound: DiscordInbound, name: str) -> Callback:
    async def command(interaction: discord.Interaction) -> None:
        await inbound.on_command(interaction, name)

    return command


def _with_options(inbound: DiscordInbound) -> dict[str, Callback]:
    @app_commands.describe(time=TIME, zone=ZONE)
    @app_commands.autocomplete(zone=inbound.zones)
    async def subscribe(interaction: discord.Interaction, time: str | None = None, zone: str | None = None) -> None:
        await inbound.on_command(interaction, "subscribe", time, zone)

    @app_commands.describe(time=TIME)
    async def set_time(interaction: discord.Interaction, time: str) -> None:
        await inbound.on_command(interaction, "time", time)

    @app_commands.describe(zone=ZONE)
    @app_commands.autocomplete(zone=inbound.zones)
    async def set_zone(interaction: discord.Interaction, zone: str) -> None:
        await inbound.on_command(interaction, "timezone", zone)

    @app_commands.describe(language=LANGUAGE)
    @app_commands.choices(language=LANGUAGES)
    async def lang(interaction: discord.Interaction, language: str) -> None:
        await inbound.on_command(interaction, "lang", language)

    @app_commands.describe(note=NOTE, day=DONE_DAY)
    async def done(
        interaction: discord.Interaction,
        note: app_commands.Range[str, 1, MAX_NOTE] | None = None,
        day: app_commands.Range[int, 1, 999] | None = None,
    ) -> None:
        await inbound.on_command(interaction, "done", _day(day), note)

    @app_commands.describe(days=PAUSE_DAYS)
    async def pause(interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] | None = None) -> None:
        await inbound.on_command(interaction, "pause", _day(days))

    @app_commands.describe(days=STUDY_DAYS)
    async def study_days(interaction: discord.Interaction, days: str | None = None) -> None:
        await inbound.on_command(interaction, "days", days)

    @app_commands.describe(pace=PACE)
    @app_commands.choices(pace=PACES)
    async def set_pace(interaction: discord.Interaction, pace: str | None = None) -> None:
        await inbound.on_command(interaction, "pace", pace)

    @app_commands.describe(when=NUDGE)
    async def nudge(interaction: discord.Interaction, when: str | None = None) -> None:
        await inbound.on_command(interaction, "nudge", when)

    @app_commands.describe(day=GOTO_DAY, week=GOTO_WEEK)
    async def goto(
        interaction: discord.Interaction,
        day: app_commands.Range[int, 1, 999] | None = None,
        week: app_commands.Range[int, 1, 99] | None = None,
    ) -> None:
        await inbound.on_command(interaction, "goto", f"week {week}" if week is not None and day is None else _day(day))

    @app_commands.describe(week=NOTES_WEEK)
    async def notes(interaction: discord.Interaction, week: app_commands.Range[int, 1, 99] | None = None) -> None:
        await inbound.on_command(interaction, "notes", None if week is None else f"week {week}")

    @app_commands.describe(member=MEMBER, day=DAY)
    async def mark(
        interaction: discord.Interaction, member: discord.User, day: app_commands.Range[int, 1, None] | None = None
    ) -> None:
        await inbound.on_command(interaction, "mark", _day(day), target=member)

    @app_commands.describe(member=MEMBER, day=DAY)
    async def unmark(
        interaction: discord.Interaction, member: discord.User, day: app_commands.Range[int, 1, None] | None = None
    ) -> None:
        await inbound.on_command(interaction, "unmark", _day(day), target=member)

    @app_commands.describe(what=WHAT)
    @app_commands.choices(what=FORGET_CHOICES)
    async def forget(interaction: discord.Interaction, what: str = "chat") -> None:
        await inbound.on_command(interaction, "forget", "me" if what == "me" else None)

    callbacks: dict[str, Callback] = {"subscribe": subscribe, "time": set_time, "timezone": set_zone, "lang": lang,
                                      "done": done, "mark": mark, "unmark": unmark, "forget": forget, "pause": pause,
                                      "days": study_days, "pace": set_pace, "nudge": nudge, "goto": goto,
                                      "notes": notes}  # fmt: skip
    return callbacks


def _day(day: int | None) -> str | None:
    return None if day is None else str(day)
