"""Telegram through python-telegram-bot: long polling or a webhook in, the gateway out, commands in the client's
menu."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.adapters.telegram.dedupe import SeenUpdates
from bot.adapters.telegram.gateway import PLATFORM, TelegramGateway
from bot.adapters.telegram.inbound import TelegramInbound
from bot.adapters.telegram.ordering import PerChatUpdates
from bot.adapters.telegram.outbound import TelegramOutbound, start_error
from bot.adapters.telegram.pacing import OVERALL_PER_SECOND
from bot.adapters.telegram.webhook import TelegramWebhook, WebhookSettings
from bot.core.commands import Commands
from bot.core.i18n import LANGUAGES, messages
from bot.core.menu import admin_menu, dm_menu, member_menu

__all__ = ["PLATFORM", "TelegramAdapter", "TelegramOutbound", "TelegramWebhook", "WebhookSettings"]

log = logging.getLogger(__name__)

# chat_member (someone else's rights changed) comes only when asked for; it drops the chat's cached admins.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER, Update.CHAT_MEMBER]
# Updates handled at once. Their lookups and /done writes share one database trip per batch
# (bot.core.batching), so this bounds the batches and the replies in flight, not database connections;
# 64 measured as fast as 256 under a 10,000-update backlog.
CONCURRENT_UPDATES = 64


class TelegramAdapter:
    """One bot on Telegram, receiving by long polling (or, given `webhook`, through the web server's webhook) and
    sending through TelegramOutbound's bot."""

    def __init__(
        self,
        commands: Commands,
        token: str,
        api_url: str,
        *,
        rate_limit: bool = True,
        poll_timeout: int = 10,
        messages_per_second: float = OVERALL_PER_SECOND,
        webhook: WebhookSettings | None = None,
    ) -> None:
        self.poll_timeout = poll_timeout
        meter = commands.meter
        self.outbound = TelegramOutbound(
            token, api_url, rate_limit=rate_limit, messages_per_second=messages_per_second, meter=meter
        )
        # PTB's builder types each step's generics; None (no JobQueue: we schedule ourselves) is documented.
        builder: Any = ApplicationBuilder().bot(self.outbound.bot).job_queue(None)
        builder = builder.concurrent_updates(PerChatUpdates(CONCURRENT_UPDATES, meter=meter))
        if webhook is not None:
            builder = builder.updater(None)  # updates come from the web server, not from polling
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.webhook = TelegramWebhook(self.application, webhook, meter) if webhook is not None else None
        # A webhook's updates are deduplicated (in the database) before they are queued; polled ones here.
        seen = SeenUpdates() if webhook is None else None
        TelegramInbound(commands, self.gateway, seen).install(self.application)

    @property
    def gateway(self) -> TelegramGateway:
        return self.outbound.gateway

    async def start(self) -> None:
        try:
            await self.application.initialize()
            await self.register_commands()
            await self.application.start()
            if self.webhook is not None:
                self.webhook.accepting = True
                # Also ends polling by any process still at it: Telegram refuses getUpdates from now on.
                await self.webhook.register(ALLOWED_UPDATES)
            else:
                assert self.application.updater is not None
                # PTB deletes a webhook first, should one be set: the bot goes back to polling.
                await self.application.updater.start_polling(
                    poll_interval=0, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
        except TelegramError as exc:
            await self.stop()
            raise start_error(exc) from None
        if self.webhook is not None:
            log.info("Telegram: webhook set for @%s, served on %s", self.application.bot.username, self.webhook.path)
        else:
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
        # The webhook stays set: other replicas serve it, and Telegram keeps updates for a restarted one.
        if self.webhook is not None:
            self.webhook.accepting = False
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self.outbound.stop()  # also when initialize failed half way, which shutdown() skips
