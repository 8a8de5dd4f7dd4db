"""Test seams that are not mocks of our core: a gateway that records what was sent, and a chat driver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.bootstrap import App
from bot.core.events import Incoming, Press
from bot.core.model import Address, ChatKind
from bot.core.ports import MUTED, CannotPost, ChatUnreachable, OnWire, TemporaryFailure
from bot.core.replies import ButtonAnswer, FileReply, PictureReply, Reply, TextReply, TopicCard


def text_of(reply: Reply) -> str:
    if isinstance(reply, TopicCard):
        return reply.plain_text()
    if isinstance(reply, PictureReply | FileReply):
        return reply.caption
    return reply.text


@dataclass
class RecordingGateway:
    """The outbound port of a pretend platform: keeps every send, and can be told to fail."""

    platform: str = "test"
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)
    muted: set[str] = field(default_factory=set)
    failing: int = 0
    admins: set[tuple[str, str]] = field(default_factory=set)  # (chat_id, user_id)

    edits: list[tuple[str, str, Reply]] = field(default_factory=list)
    # Awaited with the chat id before the send reaches the wire (a rate-limit wait), and once it is on the wire.
    waiting: Callable[[str], Awaitable[None]] | None = None
    on_the_wire: Callable[[str], Awaitable[None]] | None = None

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        return (chat_id, user_id) in self.admins

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        self.edits.append((chat_id, message_id, reply))

    async def send(self, chat_id: str, reply: Reply, *, on_wire: OnWire | None = None) -> str:
        if chat_id in self.unreachable:
            raise ChatUnreachable("Forbidden: bot was blocked by the user")
        if self.failing:
            self.failing -= 1
            raise TemporaryFailure("server error 500")
        if chat_id in self.muted:
            raise CannotPost(MUTED, "Bad Request: not enough rights to send text messages to the chat")
        if self.waiting is not None:
            await self.waiting(chat_id)
        if on_wire is not None:
            await on_wire()
        if self.on_the_wire is not None:
            await self.on_the_wire(chat_id)
        self.sent.append((chat_id, reply))
        return str(len(self.sent))

    def cards_to(self, chat_id: str) -> list[TopicCard]:
        return [r for c, r in self.sent if c == chat_id and isinstance(r, TopicCard)]


class Ticking:
    """A clock that moves a little at every reading, as a real one does: nothing may depend on two readings being
    equal."""

    def __init__(self, start: datetime) -> None:
        self.instant = start

    def now(self) -> datetime:
        self.instant += timedelta(microseconds=7)
        return self.instant


@dataclass
class Chat:
    """Someone typing into one chat of the pretend platform."""

    app: App
    chat_id: str = "100"
    user_id: str = "100"
    user_name: str = "Ada"
    kind: ChatKind = ChatKind.PRIVATE
    platform: str = "test"
    hint: str | None = "en"

    @property
    def address(self) -> Address:
        return Address(self.platform, self.chat_id)

    def incoming(self, text: str, *, target: tuple[str, str] | None = None) -> Incoming:
        """What this person typing `text` looks like to the core; `target`: the (id, name) of the member whose
        message it replies to."""
        return Incoming(self.address, self.kind, self.user_id, self.user_name, self.hint, text=text,
                        target_user_id=target[0] if target else None, target_user_name=target[1] if target else "")

    async def send(self, text: str) -> list[Reply]:
        return await self.app.commands.handle(self.incoming(text))

    async def say(self, text: str) -> str:
        """Send a message and return everything the bot answered, as one text."""
        return "\n".join(text_of(r) for r in await self.send(text))

    async def press(self, action: str) -> ButtonAnswer:
        return await self.press_as(self.user_id, action)

    async def press_as(self, user_id: str, action: str) -> ButtonAnswer:
        """Someone (maybe not the one chatting) presses a button in this chat."""
        press = Press(self.address, self.kind, user_id, self.user_name, self.hint, action=action)
        return await self.app.commands.press(press)


def only_text(replies: list[Reply]) -> str:
    assert all(isinstance(r, TextReply) for r in replies), replies
    return "\n".join(text_of(r) for r in replies)


def long_plan() -> dict[str, object]:
    """A valid one-week plan whose day 5 is as long as the schema allows: too long for one message."""
    day = {"title": "T" * 120, "points": ["p" * 300] * 5, "practice": "x" * 600,
           "resources": [{"title": "r" * 200, "url": f"https://example.com/{'u' * 120}"}] * 6}  # fmt: skip
    days = [{"day": n, "title": f"Day {n}", "points": ["one", "two"], "practice": "do it"} for n in range(1, 8)]
    days[4] = {"day": 5, **day}
    return {"language": "en", "title": "Long", "stages": [{"stage": 1, "title": "S", "goal": "G"}],
            "weeks": [{"week": 1, "stage": 1, "title": "W" * 120, "goal": "G", "days": days}]}  # fmt: skip
