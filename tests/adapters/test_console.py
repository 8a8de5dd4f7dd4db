"""The terminal demo, driven line by line as a newcomer would type it."""

from __future__ import annotations

import pytest

from bot.adapters.console import ConsoleChat
from bot.bootstrap import Role, build
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum


@pytest.fixture
def demo(settings: Settings, clock: ManualClock, curriculum: Curriculum) -> Demo:
    return Demo(settings, clock, curriculum)


class Demo:
    """`studybot demo` as its builder makes it, fed lines as a newcomer would type them."""

    def __init__(self, settings: Settings, clock: ManualClock, curriculum: Curriculum) -> None:
        self.settings, self.clock, self.curriculum = settings, clock, curriculum

    async def run(self, lines: list[str]) -> str:
        feed = iter(lines)
        out: list[str] = []

        async def read() -> str | None:
            return next(feed, None)

        process = await build(
            self.settings, Role.DEMO, clock=self.clock, curriculum=self.curriculum, migrate=False,
            console=(read, out.append),
        )  # fmt: skip
        try:
            [console] = process.platforms
            assert isinstance(console, ConsoleChat)
            await console.run()
        finally:
            await process.close()
        return "\n".join(out)


async def test_newcomer_journey(demo: Demo) -> None:
    out = await demo.run(
        [
            "/start",
            "/subscribe 08:30 Asia/Shanghai",
            "1",  # press ✅ Done under day 1
            "/nextday",  # the clock jumps to tomorrow's 08:30 and the push arrives
            "/done",
            "/streak",
            "/progress",
            "/quit",
            "/help",  # never read: /quit ended the chat
        ],
    )
    assert "I'm studybot" in out and "[1] 🚀 Subscribe now" in out
    assert "Day 1/140" in out and "[1] ✅ Done" in out
    assert "» ✅ Day 1 done! 🔥 Streak: 1 day" in out
    assert "⏩ Demo clock: Tue 2026-03-03 08:30 CST" in out
    push = out.index("📬 ─── daily push ───")
    assert "Day 2/140" in out[push:]
    assert "✅ Day 2 done" in out and "Streak: 2 days" in out
    assert "📈 Done 2/140 days (1%)" in out and "W01 ✅✅⬜⬜⬜⬜⬜" in out
    assert "Every command" not in out


async def test_start_button_subscribes(demo: Demo) -> None:
    out = await demo.run(["/start", "1", "/settings"])
    assert "» Subscribed ✅" in out and "Day 1/140" in out and "Status: subscribed" in out


async def test_nextday_without_a_subscription_moves_one_day(demo: Demo, clock: ManualClock) -> None:
    before = clock.now()
    out = await demo.run(["/nextday"])
    assert (clock.now() - before).days == 1 and "Demo clock" in out
