"""The outbound side of Telegram: sends core replies, paces per chat, and maps Bot API errors to the core's."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import ChatMember, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot

from bot.adapters.telegram.format import CAPTION_LIMIT, card_html, clip, keyboard, text_html
from bot.adapters.telegram.lean import send_html
from bot.adapters.telegram.pacing import ChatPacer
from bot.core.ports import (
    MUTED,
    SLOW_MODE,
    CannotPost,
    ChatMoved,
    ChatUnreachable,
    OnWire,
    SendUncertain,
    TemporaryFailure,
)
from bot.core.replies import FileReply, PictureReply, Reply, TextReply, TopicCard

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ADMIN_CACHE_SECONDS = 60.0
# Refusals that mean the bot may not post in a chat that is still there (muted, restricted, not an admin of a
# channel, slow mode): keep the chat, skip the message, tell an admin.
CANNOT_POST_ERRORS = (
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_restricted",
    "slow mode",
    "slowmode",
)
# Refusals that mean the chat is gone for the bot (blocked, kicked, deleted): stop sending there.
CHAT_GONE_ERRORS = ("chat not found", "user is deactivated", "bot was kicked", "bot was blocked", "group chat was")
Bot = ExtBot[Any]


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramGateway:
    """Implements the core's ChatGateway port over a PTB Bot."""

    platform = PLATFORM

    def __init__(
        self,
        bot: Bot,
        *,
        pacer: ChatPacer | None = None,
        attempts: int = 4,
        backoff: float = 0.5,
        paid_broadcast: bool = False,
    ) -> None:
        self.bot = bot
        self.pacer = pacer
        # Every message goes as a paid broadcast (`allow_paid_broadcast`): the bot's budget is above the free limit.
        self.paid = True if paid_broadcast else None
        self.attempts = attempts
        self.backoff = backoff
        # chat -> user -> (is admin, valid until): admin lists change rarely, and commands come in bursts. A chat's
        # entries go as soon as Telegram reports a change of its members' rights (`forget_admins`).
        self._admins: dict[str, dict[str, tuple[bool, float]]] = {}

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        cached = self._admins.get(chat_id, {}).get(user_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        try:
            member = await self.bot.get_chat_member(int(chat_id), int(user_id))
        except TelegramError as exc:
            log.warning("could not check admin rights in %s: %s", chat_id, exc)
            return False
        answer = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
        if len(self._admins) > 10_000:
            self._admins.clear()
        self._admins.setdefault(chat_id, {})[user_id] = (answer, time.monotonic() + ADMIN_CACHE_SECONDS)
        return answer

    def forget_admins(self, chat_id: str) -> None:
        """Someone's rights in the chat changed (a chat_member or my_chat_member update): ask Telegram again."""
        self._admins.pop(chat_id, None)

    async def send(self, chat_id: str, reply: Reply, *, on_wire: OnWire | None = None) -> str:
        message_id = await self._deliver(chat_id, lambda: self._send(int(chat_id), reply, on_wire))
        assert isinstance(message_id, str)
        return message_id

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        text = card_html(reply) if isinstance(reply, TopicCard) else text_html(getattr(reply, "text", ""))
        markup = keyboard(reply.buttons) if isinstance(reply, TopicCard | TextReply) else None

        async def edit() -> object:
            try:
                return await self.bot.edit_message_text(
                    text,
                    chat_id=int(chat_id),
                    message_id=int(message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return None  # two edits raced to the same state; the chat already shows it
                raise

        await self._deliver(chat_id, edit)

    async def _deliver(self, chat_id: str, call: Callable[[], Awaitable[object]]) -> object:
        """Run one Bot API call with pacing, retries and the mapping of Telegram's errors to the core's."""
        for attempt in range(1, self.attempts + 1):
            try:
                if self.pacer is not None:
                    await self.pacer.wait(chat_id)
                return await call()
            except Forbidden as exc:
                raise _cannot_post(exc) or ChatUnreachable(exc.message) from None
            except ChatMigrated as exc:
                raise ChatMoved(str(exc.new_chat_id)) from None
            except RetryAfter as exc:
                # The rate limiter already waited and retried; if Telegram still says wait, wait once more.
                wait = retry_seconds(exc)
                log.warning("Telegram asked to wait %.0f s before sending to %s", wait, chat_id)
                await asyncio.sleep(wait)
            except BadRequest as exc:
                if (refusal := _cannot_post(exc)) is not None:
                    raise refusal from None
                if any(marker in exc.message.lower() for marker in CHAT_GONE_ERRORS):
                    raise ChatUnreachable(exc.message) from None
                raise TemporaryFailure(f"Telegram refused the message: {exc.message}") from None
            except TimedOut as exc:
                raise SendUncertain(f"timed out: {exc.message}") from None
            except NetworkError as exc:
                if attempt == self.attempts:
                    raise TemporaryFailure(f"network error: {exc.message}") from None
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise TemporaryFailure(f"gave up after {self.attempts} attempts")

    async def _send(self, chat_id: int, reply: Reply, on_wire: OnWire | None) -> str:
        """The sent message's id. The bot's WireLimiter awaits `on_wire` after every rate-limit wait, just before
        the request leaves."""
        message: Message
        if isinstance(reply, PictureReply):
            caption = clip(reply.caption, CAPTION_LIMIT)
            message = await self.bot.send_photo(
                chat_id, photo=reply.png, caption=caption, allow_paid_broadcast=self.paid, rate_limit_args=on_wire
            )
            return str(message.message_id)
        if isinstance(reply, FileReply):
            document = InputFile(reply.data, filename=reply.filename)
            caption = clip(reply.caption, CAPTION_LIMIT)
            message = await self.bot.send_document(
                chat_id, document=document, caption=caption, allow_paid_broadcast=self.paid, rate_limit_args=on_wire
            )
            return str(message.message_id)
        if isinstance(reply, TopicCard):
            text = card_html(reply)
        else:
            assert isinstance(reply, TextReply)
            text = text_html(reply.text)
        # Without parsing the sent Message back (bot.adapters.telegram.lean): a push needs only its id.
        return await send_html(self.bot, chat_id, text, reply.buttons, paid=bool(self.paid), on_wire=on_wire)


def _cannot_post(error: TelegramError) -> CannotPost | None:
    text = error.message.lower()
    if not any(marker in text for marker in CANNOT_POST_ERRORS):
        return None
    return CannotPost(SLOW_MODE if "slow" in text else MUTED, error.message)
