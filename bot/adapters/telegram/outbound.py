"""Telegram's sending side on its own: the bot that `studybot deliver` and the inbound adapter both send with."""

from __future__ import annotations

from typing import Any

from telegram.error import InvalidToken, TelegramError
from telegram.ext import ExtBot

from bot.adapters.lifecycle import PlatformUnreachable, TokenRejected
from bot.adapters.telegram.gateway import TelegramGateway
from bot.adapters.telegram.pacing import FREE_PER_SECOND, OVERALL_PER_SECOND, ChatPacer, WireLimiter
from bot.adapters.telegram.request import AiohttpRequest
from bot.core.metering import NO_METER, Meter

TOKEN_SETTING = "STUDYBOT_TELEGRAM_TOKEN"


def make_bot(
    token: str, api_url: str, *, rate_limit: bool, per_second: float = OVERALL_PER_SECOND, meter: Meter = NO_METER
) -> ExtBot[Any]:
    """A bot over our aiohttp transport whose every send is paced (when `rate_limit`, at `per_second`) and marked
    on the wire."""
    root = api_url.rstrip("/")
    return ExtBot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        # Long polling holds its own connection, so that a burst of replies never waits behind it.
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(1),
        rate_limiter=WireLimiter(pace=rate_limit, per_second=per_second, meter=meter),
    )


def start_error(error: TelegramError) -> Exception:
    """Why starting failed, in words that never hold the token (PTB's InvalidToken message quotes it)."""
    if isinstance(error, InvalidToken):
        return TokenRejected(f"Telegram rejected the bot token: check {TOKEN_SETTING} (from @BotFather)")
    return PlatformUnreachable(f"Telegram is unreachable: {type(error).__name__}: {error.message}")


class TelegramOutbound:
    """Sends through Telegram without receiving anything."""

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        rate_limit: bool = True,
        messages_per_second: float = OVERALL_PER_SECOND,
        meter: Meter = NO_METER,
    ) -> None:
        self.bot = make_bot(token, api_url, rate_limit=rate_limit, per_second=messages_per_second, meter=meter)
        # Beyond Telegram's ordinary limit, every message must be a paid broadcast or be refused.
        paid = messages_per_second > FREE_PER_SECOND
        pacer = ChatPacer(meter=meter) if rate_limit else None
        self.gateway = TelegramGateway(self.bot, pacer=pacer, paid_broadcast=paid)

    async def start(self) -> None:
        try:
            await self.bot.initialize()  # getMe: checks the token
        except TelegramError as exc:
            await self.stop()
            raise start_error(exc) from None

    async def stop(self) -> None:
        await self.bot.shutdown()
