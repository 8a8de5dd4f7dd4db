"""Broadcast channels: their admins manage the channel's subscription from a DM, e.g. `/subscribe @mychannel 08:00`.

A channel has no members who type commands; readers mark days done with the button under each post.
"""

from __future__ import annotations

from telegram import Bot, ChatMember, User
from telegram.error import TelegramError

from bot.adapters.telegram.gateway import PLATFORM
from bot.core.events import Incoming
from bot.core.i18n import language_from_hint, messages
from bot.core.model import Address, ChatKind

# Commands an admin may aim at a channel; anything else stays about the DM itself.
MANAGED = ("subscribe", "unsubscribe", "pause", "resume", "time", "timezone", "lang", "settings", "leaderboard",
           "members", "forget")  # fmt: skip
ADMINS = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


class ChannelProblem(Exception):
    """Why a channel command cannot go ahead, already in the user's language."""


def aimed_at_channel(text: str) -> tuple[str, str, str] | None:
    """'/subscribe @mychannel 08:00' -> ('subscribe', '@mychannel', '08:00'); None for other commands."""
    parts = text.split(maxsplit=2)
    if len(parts) < 2 or not parts[1].startswith("@") or len(parts[1]) < 2:
        return None
    name = parts[0].lstrip("/").split("@", 1)[0].lower()
    if name not in MANAGED:
        return None
    return name, parts[1], parts[2] if len(parts) > 2 else ""


async def channel_incoming(bot: Bot, user: User, command: str, handle: str, rest: str) -> Incoming:
    """Check the channel exists, that the user administers it and that the bot may post there."""
    m = messages(language_from_hint(user.language_code))
    try:
        chat = await bot.get_chat(handle)
    except TelegramError:
        raise ChannelProblem(m._("I cannot find {channel}. Check the name, and add me to it as an admin.",
                                 channel=handle)) from None  # fmt: skip
    try:
        theirs = await bot.get_chat_member(chat.id, user.id)
        mine = await bot.get_chat_member(chat.id, bot.id)
    except TelegramError:
        raise ChannelProblem(m._("I cannot see {channel}'s admins. Add me to it as an admin first.",
                                 channel=handle)) from None  # fmt: skip
    if theirs.status not in ADMINS:
        raise ChannelProblem(m._("Only {channel}'s admins can change its subscription.", channel=handle))
    # Telegram sends can_post_messages for channel admins only; absent elsewhere means no such restriction.
    if mine.status != ChatMember.ADMINISTRATOR or getattr(mine, "can_post_messages", None) is False:
        raise ChannelProblem(m._("Make me an admin of {channel} who can post messages, then try again.",
                                 channel=handle))  # fmt: skip
    kind = ChatKind.CHANNEL if chat.type == chat.CHANNEL else ChatKind.GROUP
    return Incoming(
        Address(PLATFORM, str(chat.id)), kind, str(user.id), user.first_name, user.language_code,
        is_admin=True, chat_title=chat.title or handle, text=f"/{command} {rest}".strip(),
    )  # fmt: skip
