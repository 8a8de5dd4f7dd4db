"""A group's page: only its members see it (a link asked in that group, or a day marked there); the leaderboard this
week and all time, the week's members x days, the corrections trail; the group's settings shown to its admins only,
and their rights asked of the platform again on every request."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import time, timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.events import Incoming
from bot.core.model import Address, ChatKind
from curriculum.loader import Curriculum
from tests.conftest import START
from tests.support import text_of
from tests.web.dashboard_support import Dashboard, dashboard, notes

GROUP, OTHER = "-100", "-200"
EVIL = "<b>Eve</b><script>x()</script>"


@pytest.fixture
async def site(database_url: str, clock: ManualClock, curriculum: Curriculum) -> AsyncIterator[Dashboard]:
    async with dashboard(database_url, clock, curriculum, ManualClock(START)) as built:
        clock.set(START + timedelta(hours=9))
        built.gateway.admins.update({(GROUP, "1"), (OTHER, "9")})
        await built.member(GROUP, "1", "Admin").say("/subscribe 08:00 UTC")
        await built.member(OTHER, "9", "Other admin").say("/subscribe 08:00 UTC")
        await built.member(GROUP, "100", "Ada").say("/done")
        await built.member(GROUP, "300", EVIL).say("/done")
        clock.advance(timedelta(days=1))
        await built.member(GROUP, "100", "Ada").say("/done")
        await built.member(OTHER, "400", "Dee").say("/done")
        yield built


async def test_a_link_asked_in_the_group_opens_its_page(site: Dashboard) -> None:
    response = await site.sign_in("500", "Newcomer", GROUP, "Python <Study> Club")
    assert response.status_code == 303 and response.headers["location"] == f"/groups/{GROUP}"
    page = await site.page(f"/groups/{GROUP}")
    assert "<h1>Python &lt;Study&gt; Club</h1>" in page
    board = page[page.index('id="leaderboard"') : page.index('id="week"')]
    this_week = re.findall(r'<span class="name">(.*?)</span>', board)
    assert this_week[:2] == ["Ada", "&lt;b&gt;Eve&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;"]
    assert "2/7 · 🔥 2" in board and "2 days" in board
    assert "<script" not in page


async def test_the_weeks_members_by_days(site: Dashboard) -> None:
    await site.sign_in("500", "Newcomer", GROUP)
    page = await site.page(f"/groups/{GROUP}")
    table = page[page.index('class="members"') :]
    rows = re.findall(r'<th class="name">(.*?)</th>(.*?)</tr>', table, re.S)
    states = {name: re.findall(r'class="cell ([a-z_]+)"', cells) for name, cells in rows}
    assert states["Ada"] == ["done", "today_done", "upcoming", "upcoming", "upcoming", "upcoming", "upcoming"]
    evil = "&lt;b&gt;Eve&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;"
    assert states[evil] == ["done", "today", "upcoming", "upcoming", "upcoming", "upcoming", "upcoming"]


async def test_the_corrections_trail(site: Dashboard) -> None:
    # The admin replies to one of Ada's messages with /unmark 1.
    unmark = Incoming(Address("test", GROUP), ChatKind.GROUP, "1", "Admin", "en", text="/unmark 1",
                      target_user_id="100", target_user_name="Ada")  # fmt: skip
    assert "Unmarked day 1 for Ada" in text_of((await site.process.app.commands.handle(unmark))[0])
    await site.sign_in("100", "Ada", GROUP)
    page = await site.page(f"/groups/{GROUP}")
    assert "2026-03-03 Admin unmarked day 1 for Ada" in page


async def test_a_member_of_another_group_is_refused_as_if_there_were_none(site: Dashboard) -> None:
    await site.sign_in("400", "Dee", OTHER)
    assert (await site.client.get(f"/groups/{OTHER}")).status_code == 200
    for chat in (GROUP, "-999", "%2E%2E"):
        response = await site.client.get(f"/groups/{chat}")
        assert response.status_code == 404 and "No such group page" in response.text
        assert "Ada" not in response.text


async def test_a_member_who_marked_a_day_sees_it_without_a_group_link(site: Dashboard) -> None:
    await site.sign_in("100", "Ada")  # a link from her DM
    page = await site.page("/me")
    assert f'href="/groups/{GROUP}"' in page and f'href="/groups/{OTHER}"' not in page
    assert (await site.client.get(f"/groups/{GROUP}")).status_code == 200
    assert (await site.client.get(f"/groups/{OTHER}")).status_code == 404


async def test_signed_out_a_group_page_says_how_to_sign_in(site: Dashboard) -> None:
    response = await site.client.get(f"/groups/{GROUP}")
    assert response.status_code == 401 and "/dashboard" in response.text and "Ada" not in response.text


async def test_settings_are_for_admins_only(site: Dashboard) -> None:
    await site.sign_in("100", "Ada", GROUP)
    assert 'id="settings"' not in await site.page(f"/groups/{GROUP}")
    response = await site.post(f"/groups/{GROUP}/settings", time="19:00", zone="UTC", language="en", status="on")
    assert response.status_code == 303
    assert notes(await site.page(f"/groups/{GROUP}")) == ["Only this group's admins can change its settings."]
    sub = await site.process.app.learners.chat(Address("test", GROUP))
    assert sub is not None and sub.local_time == time(8, 0)


async def test_an_admin_changes_the_groups_time(site: Dashboard) -> None:
    await site.sign_in("1", "Admin", GROUP)
    page = await site.page(f"/groups/{GROUP}")
    assert 'id="settings"' in page and f'action="/groups/{GROUP}/settings"' in page
    await site.post(f"/groups/{GROUP}/settings", time="19:00", zone="UTC", language="en", status="on")
    assert notes(await site.page(f"/groups/{GROUP}")) == ["⏰ Daily time set to 19:00 (UTC)."]
    sub = await site.process.app.learners.chat(Address("test", GROUP))
    assert sub is not None and sub.local_time == time(19, 0)


async def test_an_admin_sets_the_groups_study_days_and_pauses_it_for_a_week(site: Dashboard) -> None:
    await site.sign_in("1", "Admin", GROUP)
    page = await site.page(f"/groups/{GROUP}")
    assert 'name="pace"' not in page and 'name="nudge"' not in page  # a DM's own settings
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    await site.post(f"/groups/{GROUP}/settings", time="08:00", zone="UTC", language="en", status="on", days=weekdays)
    [days] = notes(await site.page(f"/groups/{GROUP}"))
    assert "Study days" in days
    sub = await site.process.app.learners.chat(Address("test", GROUP))
    assert sub is not None and sub.schedule[-1].days == 0b0011111
    assert 'name="days" value="sat" >' in await site.page(f"/groups/{GROUP}")


async def test_an_admin_demoted_after_the_page_loaded_is_refused(site: Dashboard) -> None:
    await site.sign_in("1", "Admin", GROUP)
    assert 'id="settings"' in await site.page(f"/groups/{GROUP}")
    site.gateway.admins.discard((GROUP, "1"))  # demoted on the platform meanwhile
    await site.post(f"/groups/{GROUP}/settings", time="19:00", zone="UTC", language="en", status="paused")
    assert notes(await site.page(f"/groups/{GROUP}")) == ["Only this group's admins can change its settings."]
    sub = await site.process.app.learners.chat(Address("test", GROUP))
    assert sub is not None and sub.active and sub.local_time == time(8, 0)


async def test_a_group_form_without_its_token_is_refused(site: Dashboard) -> None:
    await site.sign_in("1", "Admin", GROUP)
    response = await site.post(f"/groups/{GROUP}/settings", csrf=False, time="19:00", status="paused")
    assert response.status_code == 403
    sub = await site.process.app.learners.chat(Address("test", GROUP))
    assert sub is not None and sub.active
