"""Sign-in links and sessions: each a value signed with the dashboard's key (itsdangerous, HMAC-SHA256), carrying its
own signing time, so that any process holding the key checks it with no database trip.

- A link (`/sign-in/<token>`) names one person (platform and user id, and the group chat they asked in, if any) and
  signs in for `LINK_SECONDS` after it was made; a tampered or foreign one is refused.
- A session (the `studybot_session` cookie) names the person, the groups their links opened, and the token its
  forms carry against CSRF; it lasts `SESSION_SECONDS`, and signing out deletes it.

Links, sessions and flash notes are signed under different salts, so none can stand in for another. Time comes from
the injected clock.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bot.core.ports import Clock

LINK_SECONDS = 30 * 60
SESSION_SECONDS = 7 * 24 * 3600
FLASH_SECONDS = 120
# A session remembers this many groups at most, and their titles this long (a cookie holds about 4 KB); the oldest
# groups go first.
MAX_GROUPS = 20
TITLE_CHARS = 48
KEY_BYTES = 32
_LINK, _SESSION, _FLASH = "studybot.dashboard.link", "studybot.dashboard.session", "studybot.dashboard.flash"


def new_key() -> str:
    """A fresh signing key, for a database that has none (see `bot.store.secrets`)."""
    return secrets.token_urlsafe(KEY_BYTES)


@dataclass(frozen=True)
class Person:
    platform: str
    user_id: str
    name: str = ""


@dataclass(frozen=True)
class Group:
    """A group chat a person's link was asked in, with its title as the platform gave it then."""

    chat_id: str
    title: str = ""


@dataclass(frozen=True)
class Claim:
    """What a valid sign-in link says: who, and the group chat they asked in (None: their DM)."""

    person: Person
    group: Group | None


@dataclass(frozen=True)
class Session:
    person: Person
    groups: tuple[Group, ...] = ()
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def joined(self, group: Group | None) -> Session:
        """The same session, also opening `group`'s page (its title as the latest link gave it)."""
        if group is None:
            return self
        others = tuple(g for g in self.groups if g.chat_id != group.chat_id)
        return replace(self, groups=(*others, group)[-MAX_GROUPS:])

    def group(self, chat_id: str) -> Group | None:
        return next((g for g in self.groups if g.chat_id == chat_id), None)


class LinkExpired(Exception):
    """A genuine link, too old (or dated in the future)."""


class LinkInvalid(Exception):
    """Not a link this key signed: mistyped, cut short, edited, or signed with another key."""


def _signer(clock: Clock) -> type[TimestampSigner]:
    class ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    return ClockSigner


class Signing:
    """Makes and checks links, sessions and flash notes with one key; implements the core's SignInLinks."""

    def __init__(self, key: str, clock: Clock, base_url: Callable[[], str | None] = lambda: None) -> None:
        signer = _signer(clock)
        kwargs: dict[str, Any] = {"digest_method": hashlib.sha256, "key_derivation": "hmac"}
        options: dict[str, Any] = {"separators": (",", ":"), "ensure_ascii": False}
        self._links, self._sessions, self._flashes = (
            URLSafeTimedSerializer(
                key, salt=salt, serializer=json, serializer_kwargs=options, signer=signer, signer_kwargs=kwargs
            )
            for salt in (_LINK, _SESSION, _FLASH)
        )
        # Where browsers reach the web server: known once it listens (the demo's, on a free port).
        self.base_url = base_url

    # -- links: the core's SignInLinks ----------------------------------------------------------------------------

    @property
    def link_minutes(self) -> int:
        return LINK_SECONDS // 60

    def sign_in_url(
        self, platform: str, user_id: str, name: str, group: str | None, group_title: str = ""
    ) -> str | None:
        base = self.base_url()
        if base is None:
            return None
        place = None if group is None else Group(group, group_title)
        return f"{base}/sign-in/{self.link_token(Person(platform, user_id, name), place)}"

    def link_token(self, person: Person, group: Group | None = None) -> str:
        claim: dict[str, str] = {"p": person.platform, "u": person.user_id, "n": person.name[:64]}
        if group is not None:
            claim["g"], claim["t"] = group.chat_id, group.title[:TITLE_CHARS]
        return str(self._links.dumps(claim))

    def read_link(self, token: str) -> Claim:
        try:
            claim = self._links.loads(token, max_age=LINK_SECONDS)
        except SignatureExpired:
            raise LinkExpired from None
        except BadData:
            raise LinkInvalid from None
        if not isinstance(claim, dict) or not all(isinstance(claim.get(k), str) for k in ("p", "u", "n")):
            raise LinkInvalid
        group, title = claim.get("g"), claim.get("t")
        place = Group(group, title if isinstance(title, str) else "") if isinstance(group, str) else None
        return Claim(Person(claim["p"], claim["u"], claim["n"]), place)

    # -- sessions ---------------------------------------------------------------------------------------------------

    def session_value(self, session: Session) -> str:
        person = session.person
        groups = [[g.chat_id, g.title] for g in session.groups]
        return str(self._sessions.dumps({"p": person.platform, "u": person.user_id, "n": person.name, "g": groups,
                                         "c": session.csrf}))  # fmt: skip

    def read_session(self, value: str | None) -> Session | None:
        """The session a cookie holds; None for no cookie, an expired one or one this key did not sign."""
        if not value:
            return None
        try:
            data = self._sessions.loads(value, max_age=SESSION_SECONDS)
        except BadData:
            return None
        try:
            person = Person(str(data["p"]), str(data["u"]), str(data["n"]))
            return Session(person, tuple(Group(str(i), str(t)) for i, t in data["g"]), str(data["c"]))
        except (KeyError, TypeError, ValueError):
            return None

    # -- flash notes: what a form's submission said, shown once on the page it redirects to ------------------------

    def flash_value(self, notes: list[tuple[str, str]]) -> str:
        return str(self._flashes.dumps(notes))

    def read_flash(self, value: str | None) -> list[tuple[str, str]]:
        if not value:
            return []
        try:
            notes = self._flashes.loads(value, max_age=FLASH_SECONDS)
        except BadData:
            return []
        return [(str(kind), str(text)) for kind, text in notes] if isinstance(notes, list) else []
