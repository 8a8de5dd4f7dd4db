"""The fake Telegram's webhook side (telegram_server.py): setWebhook's rules, and the deliveries Telegram makes to a
webhook, each update POSTed as JSON with the secret header and sent again, same update_id, until a 2xx answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from .telegram_objects import ApiError, Params

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PORTS = (443, 80, 88, 8443)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}", re.ASCII)


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def webhook_from(params: Params) -> Webhook | None:
    """setWebhook's parameters as Telegram checks them; None for an empty URL (which removes the webhook)."""
    url = str(params.get("url") or "")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parts.port or 443
    except ValueError:
        raise ApiError(400, "Bad Request: bad webhook: Failed to resolve host: Invalid port") from None
    if port not in PORTS:
        raise ApiError(400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET.fullmatch(str(secret)):
        raise ApiError(400, "Bad Request: bad webhook: secret token contains unallowed characters")
    connections = int(params.get("max_connections") or 40)
    if not 1 <= connections <= 100:
        raise ApiError(400, "Bad Request: bad webhook: max_connections must be between 1 and 100")
    return Webhook(url, None if secret is None else str(secret), connections)


@dataclass
class Delivery:
    """Telegram's side of a webhook: POSTs each pending update to `target` (the proxy in front of the bot, which
    forwards the webhook URL's path), in order, `concurrency` at a time, again and again until a 2xx."""

    webhook: Webhook
    target: str
    next_update: Callable[[set[int]], Params | None]  # the oldest pending update not in flight
    delivered: Callable[[int], None]
    wake: asyncio.Event
    concurrency: int = 1
    retry_delay: float = 0.05
    posts: list[tuple[int, int]] = field(default_factory=list)  # (update_id, HTTP status or 0 if unreachable)
    _in_flight: set[int] = field(default_factory=set)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(self.concurrency)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()

    async def post(self, update: Params) -> int:
        """One POST of one update, as Telegram makes it; the HTTP status (0: nobody answered)."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if self.webhook.secret_token is not None:
            headers[SECRET_HEADER] = self.webhook.secret_token
        try:
            async with self._session.post(
                self.target.rstrip("/") + self.webhook.path, data=json.dumps(update), headers=headers
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, OSError, TimeoutError):
            status = 0
        self.posts.append((int(update["update_id"]), status))
        return status

    async def _worker(self) -> None:
        while True:
            update = self.next_update(self._in_flight)
            if update is None:
                self.wake.clear()
                await self.wake.wait()
                continue
            update_id = int(update["update_id"])
            self._in_flight.add(update_id)
            try:
                status = await self.post(update)
            finally:
                self._in_flight.discard(update_id)
            if 200 <= status < 300:
                self.delivered(update_id)
            else:
                await asyncio.sleep(self.retry_delay)  # then the same update again
