"""End to end in headless Chromium (Debian's `chromium`, driven by Playwright): a learner opens the sign-in link the
bot gave them, sees their grid, changes their delivery time in the settings form, and the bot's next push moves to
it. Skipped, saying why, only where the browser is not installed (.ci/run installs it)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.bootstrap import Process, Role, build
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum
from tests.conftest import START
from tests.support import Chat, RecordingGateway

CHROMIUM = Path(os.environ.get("STUDYBOT_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
DAY = timedelta(days=1)


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no browser at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install brings it)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def web(database_url: str, clock: ManualClock, curriculum: Curriculum) -> AsyncIterator[Process]:
    settings = Settings(_env_file=None, database_url=SecretStr(database_url), web_port=0, default_timezone="UTC")
    process = await build(settings, Role.WEB, clock=clock, curriculum=curriculum, migrate=False,
                          link_clock=ManualClock(START))  # fmt: skip
    assert process.web is not None
    await process.web.start()
    try:
        yield process
    finally:
        await process.web.stop()
        await process.close()


async def test_a_learner_moves_their_daily_time_in_the_browser(web: Process, browser: Any, clock: ManualClock) -> None:
    app = web.app
    chat = RecordingGateway(platform="test")
    app.gateways.connected(chat)
    ada = Chat(app, chat_id="100", user_id="100", user_name="Ada", platform="test")
    clock.set(START + timedelta(hours=9))
    await ada.say("/subscribe 08:30 UTC")  # day 1 comes with the reply; day 2 is due tomorrow at 08:30
    before = await app.learners.chat(ada.address)
    assert before is not None and before.next_due_at == START + DAY + timedelta(hours=8, minutes=30)
    [reply] = await ada.send("/dashboard")
    link = reply.text.split("Your dashboard: ")[1].split()[0]  # type: ignore[union-attr]

    page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    try:
        await page.goto(link)
        assert page.url.endswith("/me")
        assert await page.locator("svg.grid rect.cell").count() == 140
        assert await page.locator("svg.grid rect.cell.today_done").count() == 0
        assert await page.locator("svg.grid rect.cell.today").count() == 1
        await page.fill("input[name=time]", "21:45")
        await page.click("form.settings button[type=submit]")
        await page.wait_for_url("**/me#settings")
        assert "Daily time set to 21:45 (UTC)" in await page.locator(".notes").inner_text()
        assert await page.input_value("input[name=time]") == "21:45"
    finally:
        await page.close()

    after = await app.learners.chat(ada.address)
    assert after is not None and after.local_time == time(21, 45)
    # Today's push went out with the reply: the next is tomorrow's, at the new time, not at 08:30.
    assert after.next_due_at == START + DAY + timedelta(hours=21, minutes=45)
    await app.delivery.run_pass(START + DAY + timedelta(hours=8, minutes=31))
    assert chat.cards_to("100") == []
    await app.delivery.run_pass(START + DAY + timedelta(hours=21, minutes=46))
    assert [card.plan_day for card in chat.cards_to("100")] == [2]
