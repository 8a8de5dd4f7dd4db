"""Rendering: the Jinja2 templates (autoescaped: a name or a note is text, never markup) in the visitor's language,
from the bot's gettext catalog, and the headers every page carries (a CSP that allows no script at all)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse, Response

from bot.core.i18n import LANGUAGES, messages
from bot.core.menu import N_
from bot.core.parsing import zone_names

HERE = Path(__file__).parent
# No script may run, inline or loaded; styles only from our own stylesheet; forms post only to us; no framing.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")  # fmt: skip
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The sign-in token must not leak to the sites a day's resources link to.
    "Referrer-Policy": "no-referrer",
}
PRIVATE = {"Cache-Control": "no-store"}  # a person's page is theirs: no shared cache keeps it
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
# The words for each state of a plan day or a date.
STATE_NAMES = {
    "done": N_("done"), "today_done": N_("done"), "missed": N_("missed"), "today": N_("today"),
    "upcoming": N_("upcoming"), "before": N_("before you began"), "frozen": N_("frozen"),
    "paused": N_("paused"), "rest": N_("rest day"),
}  # fmt: skip

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html", "svg"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["LANGUAGES"] = LANGUAGES
_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
# The zone search's choices, the same on every settings form: built once.
_env.globals["zone_options"] = Markup("".join(f'<option value="{escape(zone)}">' for zone in zone_names()))


@cache
def state_names(language: str) -> dict[str, str]:
    m = messages(language)
    return {state: m._(name) for state, name in STATE_NAMES.items()}


def secure(response: Response, *, private: bool = True) -> Response:
    """The headers every dashboard answer carries (redirects included)."""
    response.headers.update(SECURITY_HEADERS)
    if private:
        response.headers.update(PRIVATE)
    return response


def render(template: str, language: str, status: int = 200, *, private: bool = True, **context: Any) -> Response:
    m = messages(language)
    html = _env.get_template(template).render(
        _=m._, ngettext=m.ngettext, language=m.language, state_names=state_names(m.language), **context
    )
    return secure(HTMLResponse(html, status_code=status), private=private)


STYLESHEET = (HERE / "static" / "dashboard.css").read_bytes()
