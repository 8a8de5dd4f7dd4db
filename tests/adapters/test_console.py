"""The terminal demo, driven line by line as a newcomer would type it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleChat
from bot.bootstrap import Role, build
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum


@pytest.fixture
def demo(settings: Settings, clock: ManualClock, curriculum: Curriculum, tmp_path: Path) -> Demo:
    return Demo(settings, clock, curriculum, tmp_path / "files")


class Demo:
    """`studybot demo` as its builder makes it, fed lines as a newcomer would type them."""

    def __init__(self, settings: Settings, clock: ManualClock, curriculum: Curriculum, files: Path) -> None:
        self.settings, self.clock, self.curriculum, self.files = settings, clock, curriculum, files

    async def run(self, lines: list[str]) -> str:
        feed = iter(lines)
        out: list[str] = []

        async def read() -> str | None:
            return next(feed, None)

        process = await build(
            self.settings, Role.DEMO, clock=self.clock, curriculum=self.curriculum, migrate=False,
            console=(read, out.append), demo_files=self.files,
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
    [picture] = demo.files.iterdir()  # the progress grid, written to a file whose path is printed
    assert f"🖼  {picture}" in out and picture.read_bytes().startswith(b"\x89PNG")
    assert "Every command" not in out


async def test_start_button_subscribes(demo: Demo) -> None:
    out = await demo.run(["/start", "1", "/settings"])
    assert "» Subscribed ✅" in out and "Day 1/140" in out and "Status: subscribed" in out


async def test_nextday_without_a_subscription_moves_one_day(demo: Demo, clock: ManualClock) -> None:
    before = clock.now()
    out = await demo.run(["/nextday"])
    assert (clock.now() - before).days == 1 and "Demo clock" in out


async def test_a_newcomer_sees_each_habit_feature_in_a_few_minutes(demo: Demo) -> None:
    """A scripted tour: a week of /done earns a freeze, a missed day brings a nudge and spends the freeze, the day
    is caught up with a button, a pause ends by itself, and a jump to the last day graduates, with the pictures and
    the export written to files."""
    week = ["/nextday", "/done"] * 6
    tour = [
        "/subscribe 08:00 UTC", "/nudge on", "1", *week,
        "/nextday",  # Monday: the week's summary and picture, then day 8, which is not done...
        "/nextday",  # ...so at 11:00 the nudge comes
        "/nextday",  # Tuesday: day 9, and the news that a freeze covered Monday
        "/catchup", "2",  # ✅ 8 under the list
        "/pause 2", "/done", "/nextday",  # back by itself on Friday
        "/goto 140", "/done", "/export", "/quit",
    ]  # fmt: skip
    out = await demo.run(tour)
    assert "You earned a streak freeze" in out and "📊 Your week 1" in out
    assert "⏩ Demo clock: Mon 2026-03-09 11:00 UTC" in out and "🔔 A gentle nudge: today's topic, day 8" in out
    assert "🧊 A streak freeze covered Mon 2026-03-09" in out
    assert "[1] 📖 8   [2] ✅ 8" in out and "» ✅ Day 8 done! 🔥 Streak: 8 days" in out
    assert "Paused for 2 days" in out and "⏩ Demo clock: Fri 2026-03-13 08:00 UTC" in out
    assert out.index("Day 10/140") > out.index("Paused for 2 days")
    assert "🎓 Congratulations, you graduated!" in out
    files = sorted(demo.files.iterdir())
    assert [f.suffix for f in files] == [".png", ".png", ".json"]  # the week, the certificate, the export
    assert all(f"{f}" in out for f in files)
    assert json.loads(files[-1].read_text(encoding="utf-8"))["completions"][-1]["plan_day"] == 140
