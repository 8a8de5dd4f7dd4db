"""The outbound side of Telegram: sends core replies, paces per chat, and maps Bot API errors to the core's."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiolimiter import AsyncLimiter
from telegram import Bot, ChatMember, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.adapters.telegram.format import CAPTION_LIMIT, card_html, clip, keyboard, text_html
from bot.core.ports import ChatMoved, ChatUnreachable, SendUncertain, TemporaryFailure
from bot.core.replies import PictureReply, Reply, TextReply, TopicCard

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ADMIN_CACHE_SECONDS = 60.0
# Bad requests that mean the chat itself is gone, not that our message was wrong.
GONE = ("chat not found", "user is deactivated", "bot was kicked", "not enough rights", "have no rights")


class ChatPacer:
    """Telegram's one-message-a-second-per-chat limit, which PTB's AIORateLimiter does not enforce."""

    def __init__(self, per_second: float = 1.0, remember: int = 10_000) -> None:
        self.per_second = per_second
        self.remember = remember
        self._limiters: OrderedDict[str, AsyncLimiter] = OrderedDict()

    async def wait(self, chat_id: str) -> None:
        limiter = self._limiters.pop(chat_id, None) or AsyncLimiter(1, 1 / self.per_second)
        self._limiters[chat_id] = limiter
        if len(self._limiters) > self.remember:
            self._limiters.popitem(last=False)
        await limiter.acquire()


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramGateway:
    """Implements the core's ChatGateway port over a PTB Bot."""

    platform = PLATFORM

    def __init__(self, bot: Bot, *, pacer: ChatPacer | None = None, attempts: int = 4, backoff: float = 0.5) -> None:
        self.bot = bot
        self.pacer = pacer
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

    async def send(self, chat_id: str, reply: Reply) -> str:
        message = await self._deliver(chat_id, lambda: self._send(int(chat_id), reply))
        assert isinstance(message, Message)
        return str(message.message_id)

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
                raise ChatUnreachable(exc.message) from None
            except ChatMigrated as exc:
                raise ChatMoved(str(exc.new_chat_id)) from None
            except RetryAfter as exc:
                # The rate limiter already waited and retried; if Telegram still says wait, wait once more.
                wait = retry_seconds(exc)
                log.warning("Telegram asked to wait %.0f s before sending to %s", wait, chat_id)
                await asyncio.sleep(wait)
            except BadRequest as exc:
                if any(marker in exc.message.lower() for marker in GONE):
                    raise ChatUnreachable(exc.message) from None
                raise TemporaryFailure(f"Telegram refused the message: {exc.message}") from None
            except TimedOut as exc:
                raise SendUncertain(f"timed out: {exc.message}") from None
            except NetworkError as exc:
                if attempt == self.attempts:
                    raise TemporaryFailure(f"network error: {exc.message}") from None
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise TemporaryFailure(f"gave up after {self.attempts} attempts")

    async def _send(self, chat_id: int, reply: Reply) -> Message:
        if isinstance(reply, PictureReply):
            return await self.bot.send_photo(chat_id, photo=reply.png, caption=clip(reply.caption, CAPTION_LIMIT))
        if isinstance(reply, TopicCard):
            text, markup = card_html(reply), keyboard(reply.buttons)
        else:
            assert isinstance(reply, TextReply)
            text, markup = text_html(reply.text), keyboard(reply.buttons)
        return await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
