"""Telegram through python-telegram-bot: long polling in, the gateway out, commands in the client's menu."""

from __future__ import annotations

import logging
import os
from typing import Any

# PTB 22 gives RetryAfter.retry_after as a timedelta when asked to (and warns otherwise); we read both.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    Update,
)
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.adapters.telegram.gateway import PLATFORM, ChatPacer, TelegramGateway
from bot.adapters.telegram.inbound import TelegramInbound
from bot.adapters.telegram.ordering import PerChatOrder
from bot.adapters.telegram.request import AiohttpRequest
from bot.bootstrap import App
from bot.core.i18n import LANGUAGES, messages
from bot.core.menu import admin_menu, dm_menu, member_menu

log = logging.getLogger(__name__)

# Just under Telegram's limits, so that no window ever holds one message too many.
OVERALL_PER_SECOND = 29.5
GROUP_PER_MINUTE = 19.5
# chat_member (someone else's rights changed) comes only when asked for; it drops the chat's cached admins.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER, Update.CHAT_MEMBER]
# Updates handled at once. Their lookups and /done writes share one database trip per batch
# (bot.core.batching), so this bounds the batches and the replies in flight, not database connections;
# 64 measured as fast as 256 under a 10,000-update backlog.
CONCURRENT_UPDATES = 64


class TelegramAdapter:
    """One bot on Telegram, started and stopped with the process."""

    def __init__(self, app: App, token: str, api_url: str, *, rate_limit: bool = True, poll_timeout: int = 10) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        root = api_url.rstrip("/")
        builder: Any = ApplicationBuilder().token(token).base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
        # PTB's builder types each step's generics; None (no JobQueue: we schedule ourselves) is documented.
        builder = builder.job_queue(None).concurrent_updates(PerChatOrder(CONCURRENT_UPDATES))
        # Long polling holds its own connection, so that a burst of replies never waits behind it.
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(1))
        if rate_limit:
            # Telegram counts 30 msg/s and 20/min per group over sliding windows, so space messages evenly
            # (a bucket that allows a 30-message burst earns 429s). ChatPacer adds 1/s per chat.
            limiter = AIORateLimiter(
                overall_max_rate=1,
                overall_time_period=1 / OVERALL_PER_SECOND,
                group_max_rate=1,
                group_time_period=60 / GROUP_PER_MINUTE,
                max_retries=3,
            )
            builder = builder.rate_limiter(limiter)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.gateway = TelegramGateway(self.application.bot, pacer=ChatPacer() if rate_limit else None)
        TelegramInbound(app.commands, self.gateway).install(self.application)

    async def start(self) -> None:
        await self.application.initialize()
        await self.register_commands()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            poll_interval=0, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        self.app.gateways[PLATFORM] = self.gateway
        log.info("Telegram: polling as @%s", self.application.bot.username)

    async def register_commands(self) -> None:
        """Each chat's command menu in each language: a DM's, a group member's and a group admin's. Telegram
        shows the one matching the chat, the person's rights and their app language."""
        menus = ((BotCommandScopeDefault(), dm_menu()), (BotCommandScopeAllGroupChats(), member_menu()),
                 (BotCommandScopeAllChatAdministrators(), admin_menu()))  # fmt: skip
        for language in LANGUAGES:
            m = messages(language)
            code = None if language == "en" else language
            for scope, menu in menus:
                commands = [BotCommand(name, m._(text)[:256]) for name, text in menu]
                await self.application.bot.set_my_commands(commands, scope=scope, language_code=code)

    async def stop(self) -> None:
        self.app.gateways.pop(PLATFORM, None)
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
