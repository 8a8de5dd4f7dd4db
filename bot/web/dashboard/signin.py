"""Signing in with a link from /dashboard, signing out, and the front page."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.core.i18n import messages
from bot.web.dashboard.auth import LinkExpired, LinkInvalid, Session
from bot.web.dashboard.pages import secure
from bot.web.dashboard.site import Site


def add_routes(router: APIRouter, site: Site) -> None:
    @router.get("/")
    async def front(request: Request) -> Response:
        session = site.session(request)
        if session is not None:
            return secure(RedirectResponse("/me", status_code=303))
        return site.page(request, "front.html", site.language(request), private=False)

    @router.get("/sign-in/{token}")
    async def sign_in(request: Request, token: str) -> Response:
        m = messages(site.language(request))
        try:
            claim = site.signing.read_link(token)
        except LinkExpired:
            why = m._("Sign-in links work for a short while. Send /dashboard to the bot for a new one.")
            return site.refusal(request, 410, m._("This link has expired"), why)
        except LinkInvalid:
            why = m._("It may be cut short or changed. Send /dashboard to the bot for a new one.")
            return site.refusal(request, 400, m._("This link does not work"), why)
        session = site.session(request)
        if session is None or session.person.platform != claim.person.platform or (
            session.person.user_id != claim.person.user_id
        ):
            session = Session(claim.person)  # someone else's session in this browser ends here
        session = session.joined(claim.group)
        target = f"/groups/{claim.group.chat_id}" if claim.group is not None else "/me"
        return site.signed_in(secure(RedirectResponse(target, status_code=303)), session)

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        session = site.session(request)
        if session is not None and await site.form(request, session) is None:
            m = messages(site.language(request))
            return site.refusal(request, 403, m._("This form has expired"), m._("Reload the page and try again."),
                                session)  # fmt: skip
        return site.signed_out(site.redirect("/"))
