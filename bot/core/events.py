"""What adapters report to the core: a typed message or a pressed button, in platform-neutral terms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from bot.core.groups import Groups
from bot.core.i18n import Messages
from bot.core.links import SignInLinks
from bot.core.model import Address, ChatKind, Subscription
from bot.core.replies import Button, Reply, TextReply


@dataclass(frozen=True)
class Origin:
    """Who did something, and where: what a typed command and a pressed button share."""

    address: Address
    kind: ChatKind
    user_id: str
    user_name: str
    language_hint: str | None = None
    # Whether the person administers this group, when the platform says so with the event (Discord);
    # None means "ask the platform's gateway if a command needs to know" (Telegram).
    is_admin: bool | None = None
    chat_title: str = ""

    def typing(
        self,
        text: str,
        *,
        target_user_id: str | None = None,
        target_user_name: str = "",
        sent_at: datetime | None = None,
    ) -> Incoming:
        """This person typing `text` here (a button that stands for a command types it too)."""
        return Incoming(
            **self._fields(), text=text, target_user_id=target_user_id, target_user_name=target_user_name,
            sent_at=sent_at,
        )  # fmt: skip

    def pressing(self, action: str) -> Press:
        """This person pressing a button here."""
        return Press(**self._fields(), action=action)

    def _fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(Origin)}


@dataclass(frozen=True, kw_only=True)
class Incoming(Origin):
    """A message typed in a chat."""

    text: str
    # The member an admin's command is about (Telegram: the author of the message replied to).
    target_user_id: str | None = None
    target_user_name: str = ""
    # True where /mark names its member in an option (Discord) instead of replying to their message (Telegram),
    # so the core's hints describe the way that works here.
    member_option: bool = False
    # When the platform says it was sent (UTC), if it says; /done dates a day by it.
    sent_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Press(Origin):
    """A button pressed under one of our messages; `action` is the button's action string."""

    action: str


@dataclass
class Context:
    """One command being handled: who asked, the chat's settings, its language, and the replies so far."""

    incoming: Incoming
    sub: Subscription | None
    m: Messages
    admin_check: Callable[[], Awaitable[bool]]
    groups: Groups
    args: str = ""
    replies: list[Reply] = field(default_factory=list)
    # What signs the dashboard's sign-in links (/dashboard), where the dashboard is set up.
    links: SignInLinks | None = None

    @property
    def in_group(self) -> bool:
        return self.incoming.kind is not ChatKind.PRIVATE

    async def is_admin(self) -> bool:
        """May this person change the chat's subscription? Always, in their own DM."""
        if not self.in_group:
            return True
        if self.incoming.is_admin is not None:
            return self.incoming.is_admin
        return await self.admin_check()

    def say(self, text: str, *buttons: Button, private: bool = False) -> None:
        self.replies.append(TextReply(text, tuple(buttons), private))

    def refuse(self, text: str) -> None:
        """Bad input, a usage line or a refusal: about the asker alone, so only they see it where that exists."""
        self.say(text, private=True)
