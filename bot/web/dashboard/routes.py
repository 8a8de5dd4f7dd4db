"""The dashboard's routes, in one router the web server's app includes, and its answers to what no route takes
(an unknown path, a wrong method, an error): pages with the same headers as every other."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.core.i18n import messages
from bot.web.dashboard import group, learner, plan, signin
from bot.web.dashboard.pages import STYLESHEET, secure
from bot.web.dashboard.site import Site

log = logging.getLogger(__name__)


def install(app: FastAPI, site: Site) -> None:
    app.include_router(dashboard_router(site))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        m = messages(site.language(request))
        if status in (404, 405):
            return site.refusal(request, status, m._("Page not found"), m._("There is nothing at this address."))
        return site.refusal(request, status, m._("Something went wrong"), m._("Please try again in a minute."))

    async def crash(request: Request, exc: Exception) -> Response:
        log.error("dashboard page %s failed", request.url.path, exc_info=exc)
        m = messages(site.language(request))
        return site.refusal(request, 500, m._("Something went wrong"), m._("Please try again in a minute."))

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, crash)


def dashboard_router(site: Site) -> APIRouter:
    router = APIRouter()
    for module in (signin, learner, group, plan):
        module.add_routes(router, site)

    @router.get("/static/dashboard.css")
    async def stylesheet() -> Response:
        response = Response(STYLESHEET, media_type="text/css")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return secure(response, private=False)

    return router
