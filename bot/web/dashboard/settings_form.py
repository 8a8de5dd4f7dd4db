"""The settings forms (a learner's own, and a group's for its admins): each changed field is typed as its chat command,
by that person, in that chat, so the web changes exactly what the chat changes, through the same validation, the
same core calls and admin checks, and answers in the same words.

Issue 14's habits join by adding a field each: pace (`/pace calendar|self`), study days (`/days ...`), nudges
(`/nudge off|HH:MM`), and the pause's length (`/pause N`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.commands import Commands
from bot.core.events import Origin
from bot.core.i18n import Messages
from bot.core.model import Subscription
from bot.core.ports import CannotPost, ChatMoved, ChatUnreachable, SendUncertain, TemporaryFailure
from bot.core.replies import PictureReply, TextReply, TopicCard
from bot.core.zones import zone_label

ON, PAUSED, OFF = "on", "paused", "off"
# What a field may hold at most: longer is no time, zone or language, and the command says so.
MAX_VALUE = 64


@dataclass(frozen=True)
class Field:
    """A form field and the chat command that changes it."""

    name: str
    command: str
    value: Callable[[Subscription], str]  # what the form shows now (a change is a value that differs)


FIELDS: tuple[Field, ...] = (
    Field("zone", "timezone", lambda sub: zone_label(sub.timezone)),
    Field("time", "time", lambda sub: sub.local_time.strftime("%H:%M")),
    Field("language", "lang", lambda sub: sub.language),
)


def status(sub: Subscription | None) -> str:
    if sub is not None and sub.active:
        return ON
    return PAUSED if sub is not None and sub.paused else OFF


# A new status is this command: /resume subscribes a chat that was not (as in the chat).
STATUS_COMMANDS = {ON: "/resume", PAUSED: "/pause"}

Note = tuple[str, str]  # ("ok" | "problem" | "sent", text)


def commands_for(shown: Subscription, status_now: str, form: Mapping[str, str]) -> list[str]:
    """The commands a submitted form stands for, against the settings it showed (the chat's, or what a new chat
    gets), in order: a pause first (a new time then announces no topic), the settings, a resume last (the topic
    then comes at the new time)."""
    typed = []
    for field in FIELDS:
        wanted = form.get(field.name, "").strip()[:MAX_VALUE]
        if wanted and wanted != field.value(shown):
            typed.append(f"/{field.command} {wanted}")
    wanted_status = form.get("status", "")
    if wanted_status in STATUS_COMMANDS and wanted_status != status_now:
        command = STATUS_COMMANDS[wanted_status]
        typed = [command, *typed] if wanted_status == PAUSED else [*typed, command]
    return typed


async def apply(commands: Commands, origin: Origin, typed: list[str], m: Messages) -> list[Note]:
    """Type each command as `origin`, and say what the bot answered. A day's topic the chat would get as a reply (a
    DM resumed before today's push) is sent to the chat, as it would have been there."""
    notes: list[Note] = []
    for text in typed:
        for reply in await commands.handle(origin.typing(text)):
            if isinstance(reply, TextReply):
                # A refusal or a usage line is about the asker alone: the chat commands mark them private.
                notes.append(("problem" if reply.private else "ok", reply.text))
            elif isinstance(reply, TopicCard | PictureReply):
                notes.append(await _to_chat(commands, origin, reply, m))
    return notes


async def _to_chat(commands: Commands, origin: Origin, reply: TopicCard | PictureReply, m: Messages) -> Note:
    gateway = commands.gateways.get(origin.address.platform)
    if gateway is None:
        return ("problem", m._("Today's topic could not be sent to your chat: the bot is not connected there. /today "
                               "shows it."))  # fmt: skip
    try:
        await gateway.send(origin.address.chat_id, reply)
    except (ChatUnreachable, ChatMoved, CannotPost, TemporaryFailure, SendUncertain):
        return ("problem", m._("Today's topic could not be sent to your chat just now. /today there shows it."))
    return ("sent", m._("Today's topic was sent to your chat."))
