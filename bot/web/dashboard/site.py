"""What every dashboard route shares: who is signed in (the session cookie), the language a page is shown in, the
CSRF check of every form, and answers (pages, redirects with a note to show once, refusals)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.core.commands import Commands
from bot.core.events import Origin
from bot.core.i18n import LANGUAGES, language_from_hint, messages
from bot.core.learner import Learners
from bot.core.model import Address, ChatKind
from bot.web.dashboard.auth import SESSION_SECONDS, Session, Signing
from bot.web.dashboard.pages import render, secure

SESSION_COOKIE = "studybot_session"
LANGUAGE_COOKIE = "studybot_lang"
FLASH_COOKIE = "studybot_flash"
YEAR = 365 * 24 * 3600


@dataclass
class Site:
    commands: Commands
    signing: Signing
    secure_cookies: bool  # the public address is https: cookies go over https only

    @property
    def learners(self) -> Learners:
        return self.commands.learners

    # -- who and in which language ----------------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        return self.signing.read_session(request.cookies.get(SESSION_COOKIE))

    def language(self, request: Request, preferred: str | None = None) -> str:
        """The page's language: chosen with ?lang= (remembered), else remembered, else the person's chat's, else the
        browser's."""
        for chosen in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE), preferred):
            if chosen in LANGUAGES:
                return str(chosen)
        accept = request.headers.get("accept-language", "")
        return language_from_hint(accept.split(",")[0].split(";")[0].strip() or None)

    def origin(self, session: Session, address: Address, kind: ChatKind) -> Origin:
        """The signed-in person acting in a chat, as if they typed there; admin rights are asked of the platform."""
        person = session.person
        title = group.title if (group := session.group(address.chat_id)) else ""
        return Origin(address, kind, person.user_id, person.name or person.user_id, chat_title=title)

    # -- answers ----------------------------------------------------------------------------------------------------

    def page(
        self, request: Request, template: str, language: str, status: int = 200, *, private: bool = True, **context: Any
    ) -> Response:
        session = context.pop("session", None)
        notes = self.signing.read_flash(request.cookies.get(FLASH_COOKIE))
        links = {code: _with_query(request, lang=code) for code in LANGUAGES}
        response = render(template, language, status, private=private, session=session, notes=notes,
                          language_links=links, path=request.url.path, **context)  # fmt: skip
        if notes:
            response.delete_cookie(FLASH_COOKIE, path="/")
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, path="/", samesite="lax",
                                secure=self.secure_cookies)  # fmt: skip
        return response

    def refusal(self, request: Request, status: int, title: str, text: str, session: Session | None = None) -> Response:
        language = self.language(request)
        return self.page(request, "message.html", language, status, title=title, text=text, session=session)

    def stale_form(self, request: Request, session: Session) -> Response:
        """A form without this session's CSRF token (an old page, or another site's)."""
        m = messages(self.language(request))
        return self.refusal(request, 403, m._("This form has expired"), m._("Reload the page and try again."), session)

    def redirect(self, url: str, notes: list[tuple[str, str]] | None = None) -> Response:
        """After a form: back to a page (POST, redirect, GET), which shows `notes` once."""
        response = secure(RedirectResponse(url, status_code=303))
        if notes:
            response.set_cookie(FLASH_COOKIE, self.signing.flash_value(notes), max_age=120, path="/", httponly=True,
                                samesite="lax", secure=self.secure_cookies)  # fmt: skip
        return response

    def signed_in(self, response: Response, session: Session) -> Response:
        response.set_cookie(SESSION_COOKIE, self.signing.session_value(session), max_age=SESSION_SECONDS, path="/",
                            httponly=True, samesite="lax", secure=self.secure_cookies)  # fmt: skip
        return response

    def signed_out(self, response: Response) -> Response:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure_cookies)
        return response

    # -- forms ------------------------------------------------------------------------------------------------------

    async def form(self, request: Request, session: Session) -> Mapping[str, str] | None:
        """The submitted form's text fields, or None if it does not carry this session's CSRF token."""
        data: FormData = await request.form()
        token = data.get("csrf")
        if not isinstance(token, str) or not hmac.compare_digest(token.encode(), session.csrf.encode()):
            return None
        # A field sent more than once (the study days' checkboxes) is its values joined with commas.
        return {key: ",".join(v for v in data.getlist(key) if isinstance(v, str)) for key in data}


def _with_query(request: Request, **changes: str) -> str:
    query = {**request.query_params, **changes}
    return f"{request.url.path}?{urlencode(query)}"
