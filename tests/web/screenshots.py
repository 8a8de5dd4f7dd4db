"""The README's dashboard screenshots: `python -m tests.web.screenshots docs/` fills a fresh SQLite database through
the chat commands (a learner three weeks in, a study group of eight with an admin's corrections), serves the
dashboard as `studybot web` does, and photographs its pages in headless Chromium (see test_browser.py)."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.bootstrap import Role, build
from bot.core.clock import ManualClock
from bot.core.events import Incoming
from bot.core.model import Address, ChatKind
from bot.settings import Settings
from bot.store.migrate import upgrade
from bot.web.dashboard.auth import Group, Person
from tests.support import Chat, RecordingGateway
from tests.web.test_browser import ARGS, CHROMIUM

START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # a Monday, 08:30 in Shanghai
GROUP, ADMIN = "-1001234", "7"
MEMBERS = [("7", "Mei"), ("101", "Ada"), ("102", "Bo"), ("103", "Chen Jing"), ("104", "Dara"), ("105", "Eli"),
           ("106", "Fang"), ("107", "Gus")]  # fmt: skip
NOTES = {3: "Generators finally clicked: a pipeline of three, 40 MB instead of 2 GB.",
         9: "FastAPI dependency injection: wrote a tiny version of Depends myself.",
         15: "Six timings: threads win at sleeping, processes at counting primes. The GIL, in one table."}  # fmt: skip


async def main(out: Path) -> None:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'shots.db'}"
        upgrade(url)
        clock = ManualClock(START)
        settings = Settings(_env_file=None, database_url=SecretStr(url), web_port=0, default_timezone="Asia/Shanghai")
        process = await build(settings, Role.WEB, clock=clock, migrate=False)
        gateway = RecordingGateway(platform="test")
        gateway.admins.add((GROUP, ADMIN))
        app = process.app
        app.gateways.connected(gateway)
        ada = Chat(app, chat_id="101", user_id="101", user_name="Ada", platform="test")
        await ada.say("/subscribe 08:30 Asia/Shanghai")
        await Chat(app, chat_id=GROUP, user_id=ADMIN, user_name="Mei", kind=ChatKind.GROUP,
                   platform="test").say("/subscribe 20:00 Asia/Shanghai")  # fmt: skip
        for day in range(1, 18):
            if day not in (6, 11, 12):
                await ada.say(f"/done {NOTES.get(day, '')}".strip())
            for n, (user, name) in enumerate(MEMBERS):
                if (day * 7 + n * 3) % 10 < 7 - n % 3:
                    await Chat(app, chat_id=GROUP, user_id=user, user_name=name, kind=ChatKind.GROUP,
                               platform="test").say("/done")  # fmt: skip
            await app.delivery.run_pass()
            clock.advance(timedelta(days=1))
        correction = Incoming(Address("test", GROUP), ChatKind.GROUP, ADMIN, "Mei", "en", text="/mark 15",
                              target_user_id="104", target_user_name="Dara")  # fmt: skip
        await app.commands.handle(correction)
        assert process.web is not None and process.links is not None
        await process.web.start()
        root = process.web.local_url()
        learner = process.links.link_token(Person("test", "101", "Ada"), Group(GROUP, "Python 全栈学习小组"))
        admin = process.links.link_token(Person("test", ADMIN, "Mei"), Group(GROUP, "Python 全栈学习小组"))
        try:
            async with async_playwright() as driver:
                browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                wide = await browser.new_page(viewport={"width": 1100, "height": 1300}, device_scale_factor=1)
                await wide.goto(f"{root}/sign-in/{learner}")
                await wide.goto(f"{root}/me?day=15")
                await wide.screenshot(path=str(out / "dashboard-learner.png"))
                await wide.goto(f"{root}/sign-in/{admin}")
                await wide.goto(f"{root}/groups/{GROUP}?lang=zh")
                await wide.screenshot(path=str(out / "dashboard-group.png"), full_page=True)
                phone = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
                await phone.goto(f"{root}/sign-in/{learner}")
                await phone.goto(f"{root}/me?lang=en")
                await phone.screenshot(path=str(out / "dashboard-phone.png"))
                await browser.close()
        finally:
            await process.web.stop()
            await process.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
