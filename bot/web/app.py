"""The ASGI app: /healthz, /metrics, each platform's webhook path and, where it is set up, the dashboard's pages,
built from what the composition root hands in (`WebParts`)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.web.health import Health
from bot.web.metrics import CONTENT_TYPE_LATEST, Metrics

if TYPE_CHECKING:  # the dashboard's modules load only where it is served (Jinja2, its templates)
    from bot.web.dashboard.site import Site


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


def make_app(parts: WebParts) -> FastAPI:
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

    for hook in parts.webhooks:
        # A plain Starlette route: a webhook is one POST of JSON, and FastAPI's request parsing would only cost.
        app.add_route(hook.path, _endpoint(hook), methods=["POST"])
    if parts.dashboard is not None:
        from bot.web.dashboard.routes import install

        install(app, parts.dashboard)
    return app


def _endpoint(hook: Webhook) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        status, body = await hook.receive(request.headers, await request.body())
        return JSONResponse(body, status_code=status)

    return endpoint
