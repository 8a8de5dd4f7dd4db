"""/plan: the whole curriculum for anyone, in Chinese and English, a week at a time with stage and week navigation;
the front page, the stylesheet, and what an unknown address answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.core.clock import ManualClock
from curriculum.loader import Curriculum
from tests.conftest import START
from tests.web.dashboard_support import Dashboard, dashboard


@pytest.fixture
async def site(database_url: str, clock: ManualClock, curriculum: Curriculum) -> AsyncIterator[Dashboard]:
    async with dashboard(database_url, clock, curriculum, ManualClock(START)) as built:
        yield built


async def test_the_plan_is_public_a_week_at_a_time(site: Dashboard, curriculum: Curriculum) -> None:
    response = await site.client.get("/plan?week=5")
    assert response.status_code == 200 and "no-store" not in response.headers.get("cache-control", "")
    page = response.text
    for topic in curriculum.week_topics(5, "en"):
        assert topic.day.title.replace("'", "&#39;") in page or topic.day.title in page
        assert f'id="day-{topic.plan_day}"' in page
    assert '<strong aria-current="page">5</strong>' in page
    assert 'href="/plan?week=4" rel="prev"' in page and 'href="/plan?week=6" rel="next"' in page


async def test_stage_navigation_leads_to_each_stages_first_week(site: Dashboard, curriculum: Curriculum) -> None:
    page = await site.page("/plan")
    plan = curriculum.plan("en")
    firsts = re.findall(r'<li(?: class="current")?><a href="/plan\?week=(\d+)">Stage (\d+):', page)
    assert [int(stage) for _, stage in firsts] == [s.stage for s in plan.stages]
    for week, stage in firsts:
        # Each link leads to the stage's first week: that week is in the stage, the week before is not.
        assert plan.weeks[int(week) - 1].stage == int(stage)
        assert int(week) == 1 or plan.weeks[int(week) - 2].stage < int(stage)
    last = await site.page(f"/plan?week={curriculum.total_weeks}")
    assert 'rel="next"' not in last and f"Week {curriculum.total_weeks}/{curriculum.total_weeks}" in last


async def test_the_plan_in_chinese(site: Dashboard, curriculum: Curriculum) -> None:
    page = await site.page("/plan?week=2&lang=zh")
    assert curriculum.topic(8, "zh").day.title in page and "学习计划" in page
    assert 'href="/plan?week=2&amp;lang=en"' in page  # switching language keeps the week


async def test_a_week_outside_the_plan_shows_the_first(site: Dashboard, curriculum: Curriculum) -> None:
    for week in ("0", "999", "x", "²"):
        assert curriculum.topic(1, "en").day.title in await site.page(f"/plan?week={week}")


async def test_the_front_page_says_how_to_sign_in_and_signed_in_goes_to_my_page(site: Dashboard) -> None:
    front = await site.page("/")
    assert "Send /dashboard to the bot" in front and 'href="/plan"' in front
    await site.dm("100", "Ada").say("/subscribe")
    await site.sign_in("100", "Ada")
    response = await site.client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/me"


async def test_the_stylesheet_and_unknown_addresses(site: Dashboard) -> None:
    css = await site.client.get("/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "@media" in css.text
    missing = await site.client.get("/no/such/page?lang=zh")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    assert (await site.client.post("/plan")).status_code == 405


async def test_the_healthz_and_metrics_still_answer_beside_the_dashboard(site: Dashboard) -> None:
    assert (await site.client.get("/healthz")).status_code == 200
    assert "studybot_commands_total" in (await site.client.get("/metrics")).text
