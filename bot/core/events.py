"""What adapters report to the core: a typed message or a pressed button, in platform-neutral terms."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.i18n import Messages
from bot.core.model import Address, ChatKind, Subscription
from bot.core.replies import Button, Reply, TextReply


@dataclass(frozen=True)
class Incoming:
    """A message typed in a chat."""

    address: Address
    kind: ChatKind
    user_id: str
    user_name: str
    text: str
    language_hint: str | None = None


@dataclass(frozen=True)
class Press:
    """A button pressed under one of our messages; `action` is the button's action string."""

    address: Address
    kind: ChatKind
    user_id: str
    user_name: str
    action: str
    language_hint: str | None = None


@dataclass
class Context:
    """One command being handled: who asked, the chat's settings, its language, and the replies so far."""

    incoming: Incoming
    sub: Subscription | None
    m: Messages
    args: str = ""
    replies: list[Reply] = field(default_factory=list)

    def say(self, text: str, *buttons: Button) -> None:
        self.replies.append(TextReply(text, tuple(buttons)))
