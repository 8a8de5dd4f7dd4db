"""Telegram's webhook: the updates Telegram POSTs to the web server go to the PTB application, as polled ones do.

A request is answered as soon as its update is recorded as handled (in the database, shared by every replica)
and queued: the handling and the replies follow after the answer, in each chat's order, so that Telegram never
waits for a rate-limited reply. Hence the answers:
- 403: the request lacks the secret every replica shares (X-Telegram-Bot-Api-Secret-Token); nothing is handled.
- 503: the update could not be recorded (the database is away) or the process is starting or stopping: Telegram
  sends it again later, perhaps to another replica, and nothing was handled.
- 200: queued, or already handled by some process (a retry, or a copy another replica took).
Between the 200 and the handling a crash loses the update, as a poller that confirmed its offset would.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application

from bot.core.metering import NO_METER, Meter

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PLATFORM = "telegram"
Answer = tuple[int, dict[str, Any]]


class Seen(Protocol):
    async def first(self, update_id: int) -> bool:
        """True for the one caller, in any process, that handles this update."""
        ...


@dataclass(frozen=True)
class WebhookSettings:
    url: str  # public, https, one of Telegram's ports; its path is the one served
    secret: str  # shared by every replica
    seen: Seen  # which updates some process already took


class TelegramWebhook:
    """What the web server calls for each request on the webhook's path."""

    def __init__(self, application: Application, settings: WebhookSettings, meter: Meter = NO_METER) -> None:  # type: ignore[type-arg]
        self.application = application
        self.url = settings.url
        self.path = urlsplit(settings.url).path
        self._secret = settings.secret.encode()
        self.seen = settings.seen
        self.meter = meter
        self.accepting = False  # from the application's start until its stop

    async def register(self, allowed_updates: list[str]) -> None:
        """Point Telegram at the webhook (every replica does; it is the same URL and secret)."""
        await self.application.bot.set_webhook(
            self.url, secret_token=self._secret.decode(), allowed_updates=allowed_updates
        )

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Answer:
        given = headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self._secret):
            return 403, {"ok": False, "error": f"missing or wrong {SECRET_HEADER}"}
        if not self.accepting:
            return 503, {"ok": False, "error": "starting or stopping; send it again"}
        try:
            update = Update.de_json(json.loads(body), self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return 400, {"ok": False, "error": "not a Telegram update"}
        try:
            first = await self.seen.first(update.update_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("update %s not recorded, so not taken (Telegram sends it again): %s", update.update_id, exc)
            return 503, {"ok": False, "error": "cannot record the update now; send it again"}
        if not first:
            self.meter.duplicate_update(PLATFORM)
            log.info("update %s came again; already handled", update.update_id)
            return 200, {"ok": True, "duplicate": True}
        await self.application.update_queue.put(update)
        return 200, {"ok": True}
