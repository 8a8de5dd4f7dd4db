"""The settings forms (a learner's own, and a group's for its admins): each changed field is typed as its chat command,
by that person, in that chat, so the web changes exactly what the chat changes, through the same validation, the
same core calls and admin checks, and answers in the same words: time, zone, language and study days (`/days`) for
both; pace (`/pace`) and nudges (`/nudge`) for a learner's own; a pause with a length (`/pause N`) or until resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.commands import Commands
from bot.core.events import Origin
from bot.core.i18n import Messages
from bot.core.learner import Learners
from bot.core.model import Subscription
from bot.core.ports import CannotPost, ChatMoved, ChatUnreachable, SendUncertain, TemporaryFailure
from bot.core.replies import PictureReply, TextReply, TopicCard
from bot.core.schedule import nudge_time
from bot.core.studydays import ALL_DAYS, WEEKDAYS, pause_ahead
from bot.core.zones import zone_label

ON, PAUSED, OFF = "on", "paused", "off"
# What a field may hold at most: longer is no time, zone or language, and the command says so.
MAX_VALUE = 64


def _text(form: Mapping[str, str], name: str) -> str:
    return form.get(name, "").strip()[:MAX_VALUE]


@dataclass(frozen=True)
class Field:
    """A form field and the chat command that changes it."""

    name: str
    command: str
    value: Callable[[Subscription], str]  # what the form shows now (a change is a value that differs)
    # What the submitted form asks for, given the value shown; by default the field's text.
    read: Callable[[Mapping[str, str], str], str] | None = None


def study_days(sub: Subscription) -> str:
    """The weekdays the chat studies on from now on (a pause keeps the days it comes back to), as /days takes them."""
    mask = sub.schedule[-1].days if sub.schedule else ALL_DAYS
    return ",".join(name for i, name in enumerate(WEEKDAYS) if mask >> i & 1)


def nudge(sub: Subscription) -> str:
    at = nudge_time(sub)
    return OFF if at is None else at.strftime("%H:%M")


def _nudge_wanted(form: Mapping[str, str], shown: str) -> str:
    """Off, the time typed, or on at the time it had (the default time if it was off)."""
    if form.get("nudge") == OFF:
        return OFF
    if form.get("nudge") != ON:
        return ""
    return _text(form, "nudge_at") or (ON if shown == OFF else shown)


FIELDS: tuple[Field, ...] = (
    Field("zone", "timezone", lambda sub: zone_label(sub.timezone)),
    Field("time", "time", lambda sub: sub.local_time.strftime("%H:%M")),
    Field("language", "lang", lambda sub: sub.language),
    # Checkboxes, one a weekday: the form's values joined with commas, in the week's order.
    Field("days", "days", study_days),
)
# A learner's own form has pace and nudges too (a DM's commands).
PERSONAL_FORM: tuple[Field, ...] = (
    *FIELDS,
    Field("pace", "pace", lambda sub: sub.pace.value),
    Field("nudge", "nudge", nudge, _nudge_wanted),
)


def status(learners: Learners, sub: Subscription | None) -> str:
    """On, paused (until /resume, or for some days; a pause from tomorrow counts, so that choosing "on" cancels it),
    or off (not subscribed)."""
    if sub is None:
        return OFF
    if sub.paused or pause_ahead(sub.schedule, learners.today(sub)) is not None:
        return PAUSED
    return ON if sub.active else OFF


# A new status is this command: /resume subscribes a chat that was not (as in the chat).
STATUS_COMMANDS = {ON: "/resume", PAUSED: "/pause"}

Note = tuple[str, str]  # ("ok" | "problem" | "sent", text)


def commands_for(shown: Subscription, status_now: str, form: Mapping[str, str],
                 fields: tuple[Field, ...] = FIELDS) -> list[str]:  # fmt: skip
    """The commands a submitted form stands for, against the settings it showed (the chat's, or what a new chat
    gets), in order: a pause first (a new time then announces no topic), the settings, a resume last (the topic
    then comes at the new time). A pause's length, where one is given, is typed even on a paused chat: it sets when
    the pause ends."""
    typed = []
    for field in fields:
        now = field.value(shown)
        wanted = field.read(form, now) if field.read is not None else _text(form, field.name)
        if wanted and wanted != now:
            typed.append(f"/{field.command} {wanted}")
    wanted_status = form.get("status", "")
    # /pause checks the length as in the chat, and says so if it is not a number of days it takes.
    length = _text(form, "pause_days")
    if wanted_status == PAUSED and (status_now != PAUSED or length):
        typed = [f"{STATUS_COMMANDS[PAUSED]} {length}".strip(), *typed]
    elif wanted_status == ON and status_now != ON:
        typed = [*typed, STATUS_COMMANDS[ON]]
    return typed


async def apply(commands: Commands, origin: Origin, typed: list[str], m: Messages) -> list[Note]:
    """Type each command as `origin`, and say what the bot answered (or that nothing changed, for none). A day's
    topic the chat would get as a reply (a DM resumed before today's push) is sent to the chat, as it would have been
    there."""
    if not typed:
        return [("ok", m._("Nothing to change."))]
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
