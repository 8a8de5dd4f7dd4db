"""uvicorn serving an ASGI app inside the process's own event loop: the process, not uvicorn, owns SIGTERM and
SIGINT, and stops the server (after it has answered the requests in flight) when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)

# Requests still in flight when the process stops get this long to be answered.
GRACEFUL_SECONDS = 5


class WebUnavailable(Exception):
    """The web server could not listen where its settings say; the message names them."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The process handles its signals (bot.runtime) and stops this server itself.
        yield


class WebServer:
    """`await server.start()` listens (raising WebUnavailable if it cannot); `await server.stop()`."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Bound here rather than by uvicorn, which would log the error and call sys.exit().
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self.port), family=family)
        except OSError as exc:
            raise WebUnavailable(
                f"the web server cannot listen on {self.host}:{self.port} (STUDYBOT_WEB_HOST, STUDYBOT_WEB_PORT):"
                f" {exc.strerror or exc}"
            ) from None
        self.port = sock.getsockname()[1]
        # socket.create_server leaves the protocol number 0, so asyncio does not recognise the connections as TCP and
        # leaves Nagle's algorithm on: on a kept-alive connection each answer then waited ~40 ms for the client's
        # delayed ACK. Linux hands the option to every accepted connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        config = uvicorn.Config(
            self.app,
            # The C parser, a dependency: uvicorn would otherwise fall back to h11, which took a fifth of a webhook
            # update's CPU (benchmarks/README.md).
            http="httptools",
            log_config=None,  # the process's logging (and its masking of secrets) stays as it is
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
        server = self._server = _Server(config)
        self._task = asyncio.create_task(server.serve(sockets=[sock]), name="web-server")
        # uvicorn sets a flag, not an event, once it listens.
        while not server.started and not self._task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()  # raises why it ended
            raise WebUnavailable("the web server stopped as it started")
        log.info("web server on http://%s:%d (/healthz, /metrics)", self.host, self.port)

    def local_url(self) -> str | None:
        """The address this server answers on, once it listens (a browser on this machine can open it)."""
        if self._server is None:
            return None
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(self._task, GRACEFUL_SECONDS + 5)
        except TimeoutError:
            log.warning("the web server did not stop in time")
        finally:
            self._server = self._task = None
