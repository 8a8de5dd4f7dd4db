"""The ASGI app: /healthz, /metrics, each platform's webhook path and, where it is set up, the dashboard's pages,
built from what the composition root hands in (`WebParts`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.health import Health
from bot.web.metrics import CONTENT_TYPE_LATEST, Metrics

if TYPE_CHECKING:  # the dashboard's modules load only where it is served (Jinja2, its templates)
    from bot.web.dashboard.site import Site


# Telegram's updates are a few kilobytes; a webhook request over this is not one of them.
WEBHOOK_MAX_BYTES = 1 << 20


class Webhook(Protocol):
    """A platform's webhook: the path it is served on, and what answers a request (status and a JSON body)."""

    @property
    def path(self) -> str: ...

    async def receive(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]: ...


@dataclass
class WebParts:
    health: Health
    metrics: Metrics
    count_active: Callable[[], Awaitable[int]]  # the active subscriptions, for the metric
    webhooks: Sequence[Webhook] = field(default_factory=list)
    dashboard: Site | None = None


def make_app(parts: WebParts) -> ASGIApp:
    app = FastAPI(title="studybot", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        ok, body = await parts.health.check()
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        # With the database away the other figures still count (and /healthz says what is wrong).
        with contextlib.suppress(Exception):
            await parts.metrics.refresh(parts.count_active)
        return Response(parts.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    if parts.dashboard is not None:
        from bot.web.dashboard.routes import install

        install(app, parts.dashboard)
    return WebhooksFirst(app, parts.webhooks) if parts.webhooks else app


class WebhooksFirst:
    """A webhook's path is answered here, ahead of the app's middleware and router: a POST is one JSON body in, one
    out, and those layers cost ~5% of the webhook's throughput (paired runs, benchmarks/README.md); any other method
    gets 405. Every other path is the app's."""

    def __init__(self, app: ASGIApp, hooks: Sequence[Webhook]) -> None:
        self.app = app
        self.hooks = {hook.path: hook for hook in hooks}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hook = self.hooks.get(scope["path"]) if scope["type"] == "http" else None
        if hook is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":  # as FastAPI answers a method a route does not take
            refused = JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": "POST"})
            await refused(scope, receive, send)
            return
        try:
            body = await _body(receive, WEBHOOK_MAX_BYTES)
        except _Disconnected:
            return  # nobody is left to answer
        if body is None:
            status, answer = 413, {"ok": False, "error": f"over {WEBHOOK_MAX_BYTES} bytes: not a Telegram update"}
        else:
            status, answer = await hook.receive(Headers(scope=scope), body)
        payload = json.dumps(answer).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class _Disconnected(Exception):
    pass


async def _body(receive: Receive, limit: int) -> bytes | None:
    """The request's body, or None once it is over `limit` bytes; _Disconnected if the client left before its end."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
