"""python-telegram-bot's HTTP layer over aiohttp instead of httpx.

PTB's default HTTPXRequest spends 1.3-2.7 ms of CPU per request here, most of it in httpcore's pool
bookkeeping, and gets slower with concurrency; aiohttp (already installed for discord.py) measured about
a third of that. Errors come out as the same telegram.error types HTTPXRequest raises: any timeout is
TimedOut, any other transport failure NetworkError; HTTP statuses are mapped by PTB itself.
"""

from __future__ import annotations

import json
import logging

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB passes BaseRequest.DEFAULT_NONE for a timeout the caller left to the request object (typed in PTB's private
# `_utils`, which we do not import: any value other than that marker is the caller's).
Timeout = float | None | object

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool; the timeouts default as HTTPXRequest's do."""

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read, self._write, self._connect, self._pool = read_timeout, write_timeout, connect_timeout, pool_timeout
        self._media_write = media_write_timeout
        # Made in initialize(): aiohttp wants its session created inside the running event loop.
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        # PTB adds the long-poll timeout to this for getUpdates.
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            # The Bot API answers JSON; cookies would only cost a jar lookup per request.
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _seconds(read_timeout, self._read)
        connect = _seconds(connect_timeout, self._connect)
        pool = _seconds(pool_timeout, self._pool)
        write = _seconds(write_timeout, self._media_write if files else self._write)
        headers = {"User-Agent": self.USER_AGENT}
        data: aiohttp.FormData | bytes | None = None
        if files:
            assert request_data is not None
            data = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mime_type) in files.items():
                data.add_field(name, content, filename=filename, content_type=mime_type)
        elif request_data is not None and (parameters := request_data.parameters):
            # A JSON body, as the Bot API takes besides forms, encoded in C: percent-encoding a form runs byte by
            # byte in Python (three escapes per byte of a Chinese card), 15-16% of a fan-out's sampled time; the
            # send loop's CPU went 0.39 -> 0.32 ms a push. Objects (a keyboard) travel as JSON objects.
            data = json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        # aiohttp has no write timeout of its own: bound the whole request by the sum of the phases httpx
        # bounds one by one (waiting for a connection, connecting, writing, reading).
        phases = (pool, connect, write, read)
        timeout = aiohttp.ClientTimeout(
            total=None if None in phases else sum(p for p in phases if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                payload = await response.read()
        except TimeoutError as exc:
            # Every aiohttp timeout is a TimeoutError (its ServerTimeoutError a ClientError too, so this comes
            # first); waiting for a pooled connection and connecting share one, as httpx's pool and connect do.
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        # As httpx did: operators debugging see each call (bot.logs masks the token in the URL).
        log.debug('HTTP Request: %s %s "%s %s"', method, url, response.status, response.reason)
        return response.status, payload


def _seconds(given: Timeout, default: float | None) -> float | None:
    if given is BaseRequest.DEFAULT_NONE:
        return default
    assert given is None or isinstance(given, int | float), given
    return given
