"""A terminal chat with the bot, like a DM: the same core and delivery pass as the real platforms.

The demo clock only moves with /nextday, so a newcomer can watch pushes, streaks and progress change.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import count

from bot.core.clock import ManualClock
from bot.core.commands import Commands
from bot.core.events import Incoming, Press
from bot.core.i18n import messages
from bot.core.model import Address, ChatKind
from bot.core.parsing import parse_number
from bot.core.ports import OnWire
from bot.core.replies import Button, PictureReply, Reply, TextReply, TopicCard

PLATFORM = "console"
CHAT_ID = "you"

Read = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]


class ConsoleGateway:
    """Prints what the bot sends; remembers the last buttons so the user can press one by number."""

    platform = PLATFORM

    def __init__(self, write: Write) -> None:
        self.write = write
        self.buttons: list[Button] = []
        self._ids = count(1)

    async def send(self, chat_id: str, reply: Reply, *, on_wire: OnWire | None = None) -> str:
        if on_wire is not None:
            await on_wire()
        self.show(reply, pushed=True)
        return str(next(self._ids))

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        pass  # a terminal cannot change what it printed; the demo is a DM, which has no live counts

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        return True  # the terminal is a DM with yourself

    def show(self, reply: Reply, *, pushed: bool = False) -> None:
        if pushed:
            self.write("📬 ─── daily push ───")
        if isinstance(reply, TopicCard):
            self.write(reply.plain_text())
        elif isinstance(reply, PictureReply):
            self.write(reply.text_fallback or reply.caption)
        else:
            self.write(reply.text)
        buttons = reply.buttons if isinstance(reply, TextReply | TopicCard) else ()
        if buttons:
            self.buttons = list(buttons)
            self.write("   ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1)))
        self.write("")


class ConsoleChat:
    """The read-eval-print loop of `studybot demo`: a platform whose one chat is the terminal. After each line it
    runs a delivery pass (`deliver`), so pushes that came due show at once."""

    def __init__(
        self, commands: Commands, deliver: Callable[[], Awaitable[object]], clock: ManualClock, read: Read, write: Write
    ) -> None:
        self.commands = commands
        self.deliver = deliver
        self.clock = clock
        self.read = read
        self.write = write
        self.gateway = ConsoleGateway(write)
        self.address = Address(PLATFORM, CHAT_ID)
        self.user_name = os.environ.get("USER", "you")
        self.hint = os.environ.get("LANG")

    def _incoming(self, text: str) -> Incoming:
        return Incoming(self.address, ChatKind.PRIVATE, CHAT_ID, self.user_name, self.hint, text=text)

    async def start(self) -> None:
        """Nothing to connect: the terminal is always there."""

    async def stop(self) -> None:
        """Nothing to disconnect."""

    async def run(self) -> None:
        self.write("studybot demo: you are chatting with the bot in the terminal. Try /start.")
        self.write("Demo extras: /nextday moves the clock to the next day, a number presses a button, /quit leaves.\n")
        while (line := await self.read()) is not None:
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            await self.on_line(text)

    async def on_line(self, text: str) -> None:
        if text == "/nextday":
            await self.next_day()
        elif (number := parse_number(text, digits=2)) is not None and 1 <= number <= len(self.gateway.buttons):
            await self.press(self.gateway.buttons[number - 1])
        else:
            for reply in await self.commands.handle(self._incoming(text)):
                self.gateway.show(reply)
        await self.deliver()

    async def press(self, button: Button) -> None:
        press = Press(self.address, ChatKind.PRIVATE, CHAT_ID, self.user_name, self.hint, action=button.action)
        answer = await self.commands.press(press)
        # A chat app edits the card in place; in a terminal the toast says the same without reprinting it.
        if answer.toast:
            self.write(f"» {answer.toast}")
        for reply in answer.replies:
            self.gateway.show(reply)

    async def next_day(self) -> None:
        """Jump to the next push if subscribed (so it arrives on time), else a day later."""
        sub = await self.commands.learners.chat(self.address)
        if sub is not None and sub.active and sub.next_due_at is not None and sub.next_due_at > self.clock.now():
            self.clock.set(sub.next_due_at)
        else:
            self.clock.advance(timedelta(days=1))
        zone = sub.zone if sub is not None else None
        local = self.clock.now().astimezone(zone)
        m = messages(self.commands.language(sub, self.hint))
        self.write(m._("⏩ Demo clock: {when}", when=local.strftime("%a %Y-%m-%d %H:%M %Z")) + "\n")
