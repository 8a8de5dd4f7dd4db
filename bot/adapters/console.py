"""A terminal chat with the bot, like a DM: the same core and delivery pass as the real platforms.

The demo clock only moves with /nextday, so a newcomer can watch pushes, nudges, streaks and progress change.
Pictures and files the bot sends are written to a folder, and their paths printed.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

from bot.core.clock import ManualClock
from bot.core.commands import Commands
from bot.core.events import Incoming, Press
from bot.core.i18n import messages
from bot.core.model import Address, ChatKind
from bot.core.parsing import parse_number
from bot.core.ports import OnWire
from bot.core.replies import Button, FileReply, PictureReply, Reply, TextReply, TopicCard

PLATFORM = "console"
CHAT_ID = "you"
INTRO = (
    "studybot demo: you are chatting with the bot in the terminal. Try /start.",
    "Demo extras: /nextday moves the clock to the next thing the bot sends (a push, a nudge), a number presses a "
    "button, /quit (or Ctrl-C) leaves.",
    "A tour in a few minutes: /subscribe, then /done and /nextday a few times; /nextday without /done brings a "
    "nudge, and a missed day after 7 in a row spends a streak freeze. Then /catchup, /pause 2, /days mon-fri, "
    "/goto 140 and /done to graduate, /export, and /help for the rest.",
)

Read = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]
T = TypeVar("T")


class ConsoleGateway:
    """Prints what the bot sends; remembers the last buttons so the user can press one by number, and writes
    pictures and files to `files` (their paths are printed)."""

    platform = PLATFORM

    def __init__(self, write: Write, files: Path | None = None) -> None:
        self.write = write
        self.files = files
        self.buttons: list[Button] = []
        self._ids = count(1)
        self._saved = count(1)

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
            self.write("📬 ─── daily push ───" if isinstance(reply, TopicCard) else "📬 ───")
        if isinstance(reply, TopicCard):
            self.write(reply.plain_text())
        elif isinstance(reply, PictureReply):
            self.write(reply.text_fallback or reply.caption)
            if (path := self.save(_slug(reply.caption) + ".png", reply.png)) is not None:
                self.write(f"🖼  {path}")
        elif isinstance(reply, FileReply):
            self.write(reply.caption)
            if (path := self.save(reply.filename, reply.data)) is not None:
                self.write(f"📎 {path}")
        else:
            self.write(reply.text)
        buttons = reply.buttons if isinstance(reply, TextReply | TopicCard) else ()
        if buttons:
            self.buttons = list(buttons)
            self.write("   ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1)))
        self.write("")

    def save(self, name: str, data: bytes) -> Path | None:
        """Write a picture or file the bot sent; numbered, so nothing is overwritten."""
        if self.files is None:
            return None
        self.files.mkdir(parents=True, exist_ok=True)
        path = self.files / f"{next(self._saved):03d}-{name}"
        path.write_bytes(data)
        return path


def _slug(text: str) -> str:
    words = re.sub(r"[^0-9A-Za-z]+", "-", text.split("\n")[0]).strip("-").lower()
    return words[:40] or "picture"


class ConsoleChat:
    """The read-eval-print loop of `studybot demo`: a platform whose one chat is the terminal. After each line it
    runs a delivery pass (`deliver`), so pushes that came due show at once."""

    def __init__(
        self,
        commands: Commands,
        deliver: Callable[[], Awaitable[object]],
        clock: ManualClock,
        read: Read,
        write: Write,
        files: Path | None = None,
    ) -> None:
        self.commands = commands
        self.deliver = deliver
        self.clock = clock
        self.read = read
        self.write = write
        self.gateway = ConsoleGateway(write, files)
        self.address = Address(PLATFORM, CHAT_ID)
        self.user_id = CHAT_ID  # the terminal's one person, whose chat it is
        self.user_name = os.environ.get("USER", "you")
        self.hint = os.environ.get("LANG")

    def _incoming(self, text: str) -> Incoming:
        return Incoming(self.address, ChatKind.PRIVATE, CHAT_ID, self.user_name, self.hint, text=text)

    async def start(self) -> None:
        """Nothing to connect: the terminal is always there."""

    async def stop(self) -> None:
        """Nothing to disconnect."""

    def greet(self) -> None:
        self.write("\n".join(INTRO))
        if self.gateway.files is not None:
            self.write(f"Pictures and files the bot sends are saved in {self.gateway.files}")
        self.write("")

    async def run(self) -> None:
        """Read lines until the input ends or /quit."""
        self.greet()
        while (line := await self.read()) is not None:
            if not await self.feed(line):
                break

    async def feed(self, line: str) -> bool:
        """Handle one typed line; False once the person asked to leave."""
        text = line.strip()
        if text in ("/quit", "/exit"):
            return False
        if text:
            await self.on_line(text)
        return True

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
        # A chat app edits the card in place; in a terminal the toast says the same without reprinting it. A list
        # whose buttons changed (catching up) is shown again, so its numbers are the ones to press.
        if answer.toast:
            self.write(f"» {answer.toast}")
        if isinstance(answer.card, TextReply):
            self.gateway.show(answer.card)
        for reply in answer.replies:
            self.gateway.show(reply)

    async def next_day(self) -> None:
        """Jump to the next thing due (a push or a nudge) if subscribed, so it arrives on time; else a day later."""
        sub = await self.commands.learners.chat(self.address)
        if sub is not None and sub.active and sub.next_due_at is not None and sub.next_due_at > self.clock.now():
            self.clock.set(sub.next_due_at)
        else:
            self.clock.advance(timedelta(days=1))
        zone = sub.zone if sub is not None else None
        local = self.clock.now().astimezone(zone)
        m = messages(self.commands.language(sub, self.hint))
        self.write(m._("⏩ Demo clock: {when}", when=local.strftime("%a %Y-%m-%d %H:%M %Z")) + "\n")


class Terminal:
    """The demo's terminal. The bot's event loop runs in a thread of its own while this one reads lines with
    input(), so readline (where Python has it) gives line editing and history, and Ctrl-C leaves at once instead of
    waiting for a line to end."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="studybot-demo", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # Ctrl-C must reach the thread waiting in input(): a SIGINT the kernel handed to this thread (or to one it
        # starts, such as the database's) would leave input() waiting for Enter.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        self.loop.run_forever()

    def run(self, work: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `work` on the bot's loop and wait for it (Ctrl-C interrupts the wait)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


def line_editing(words: list[str]) -> None:
    """Arrow keys, history and Tab completion of command names for input(), where Python has readline."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input still works
        return

    def complete(text: str, state: int) -> str | None:
        found = [w for w in words if w.startswith(text)]
        return found[state] if state < len(found) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" ")
    readline.parse_and_bind("tab: complete")
