"""The port through which /dashboard gets a person's sign-in link; the web server's dashboard signs and checks them
(bot.web.dashboard.auth), with one key for every process on the database."""

from __future__ import annotations

from typing import Protocol


class SignInLinks(Protocol):
    @property
    def link_minutes(self) -> int:
        """How long a link signs in after it was made."""
        ...

    def sign_in_url(
        self, platform: str, user_id: str, name: str, group: str | None, group_title: str = ""
    ) -> str | None:
        """A link that signs this person in to their dashboard (and, when `group` is the chat they asked in, to
        that group's page, shown under `group_title`); None while the web server's address is not known yet."""
        ...
