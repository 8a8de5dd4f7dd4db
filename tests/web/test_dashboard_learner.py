"""A learner's page: the plan's 20 x 7 grid with each day's state, a day opened with its topic and the learner's note
(escaped), streak and completion by stage, the last weeks; settings changed as the chat commands change them (the
same refusals, the next push moved); export and forget."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import time, timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.model import Address
from curriculum.loader import Curriculum
from tests.conftest import START
from tests.web.dashboard_support import Dashboard, dashboard, notes

DAY = timedelta(days=1)
NOTE = "<script>alert('x')</script> & learnt generators"


@pytest.fixture
async def site(database_url: str, clock: ManualClock, curriculum: Curriculum) -> AsyncIterator[Dashboard]:
    async with dashboard(database_url, clock, curriculum, ManualClock(START)) as built:
        yield built


async def ada_studies(site: Dashboard, clock: ManualClock) -> None:
    """Ada subscribes on day 1 (08:30 UTC), does days 1 and 2 (a note on day 2), misses day 3; today is day 4, at
    09:00, its push sent."""
    ada, deliver = site.dm("100", "Ada"), site.process.app.delivery.run_pass
    clock.set(START + timedelta(hours=9))
    await ada.say("/subscribe 08:30 UTC")
    await ada.say("/done")
    clock.advance(DAY)
    await deliver()
    await ada.say(f"/done {NOTE}")
    for _ in range(2):
        clock.advance(DAY)
        await deliver()
    assert [card.plan_day for card in site.gateway.cards_to("100")] == [2, 3, 4]


def grid_states(html: str) -> list[str]:
    svg = html[html.index('<svg class="grid"') : html.index("</svg>")]
    return re.findall(r'<rect class="cell ([a-z_]+)', svg)


async def test_the_grid_shows_each_plan_days_state(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    page = await site.page("/me")
    states = grid_states(page)
    assert len(states) == 140
    assert states[:5] == ["done", "done", "missed", "today", "upcoming"] and set(states[4:]) == {"upcoming"}
    assert 'href="/me?day=3#day"' in page
    assert "2/140" in page and "days done (1%)" in page and "Day 4" in page
    assert "streak · longest 2" in page  # days 1-2 in a row; day 3 missed broke it
    assert "Next push: 2026-03-06 08:30" in page


async def test_a_day_opens_its_topic_and_the_note_escaped(
    site: Dashboard, clock: ManualClock, curriculum: Curriculum
) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    page = await site.page("/me?day=2")
    topic = curriculum.topic(2, "en")
    section = page[page.index('id="day"') :]
    assert topic.day.title in section and topic.day.practice in section
    assert all(point.replace("'", "&#39;") in section for point in topic.day.points) or all(
        point in section for point in topic.day.points
    )
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; learnt generators" in section
    assert "<script" not in page  # no script at all, the learner's or ours
    resources = [r for r in topic.day.resources if r.url]
    assert all(f'href="{r.url}"' in section for r in resources)
    # A day with no note says how to keep one; a day out of the plan falls back to today's.
    assert "No note for this day" in await site.page("/me?day=1")
    assert curriculum.topic(4, "en").day.title in await site.page("/me?day=999")


async def test_completion_by_stage_and_the_last_weeks(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    page = await site.page("/me")
    assert '<progress max="21" value="2">' in page  # stage 1: weeks 1-3, two days done
    calendar = page[page.index('class="calendar"') :]
    dated = dict(re.findall(r'title="(\d{4}-\d\d-\d\d) · ([a-z ]+)"', calendar))
    assert dated["2026-03-02"] == "done" and dated["2026-03-03"] == "done" and dated["2026-03-04"] == "missed"
    assert dated["2026-03-05"] == "today" and dated["2026-03-06"] == "upcoming"
    assert dated["2026-03-01"] == "before you began"


async def test_the_page_in_chinese(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    page = await site.page("/me?lang=zh")
    assert "你好，Ada！" in page and "各阶段完成情况" in page and '<html lang="zh-CN">' in page
    assert "你好，Ada！" in await site.page("/me")  # the choice is remembered
    await site.dm("100", "Ada").say("/lang zh")
    assert "Hi, Ada!" in await site.page("/me?lang=en")


async def test_a_person_without_a_dm_plan_sees_their_group_days(site: Dashboard, clock: ManualClock) -> None:
    site.gateway.admins.add(("-5", "1"))
    await site.member("-5", "1", "Admin").say("/subscribe 08:00 UTC")
    await site.member("-5", "300", "Cy").say("/done")
    await site.sign_in("300", "Cy")
    page = await site.page("/me")
    assert "You have not started the plan" in page and '<svg class="grid"' not in page
    assert "🔥 1 day" in page and 'href="/groups/-5"' in page


async def test_changing_the_time_moves_the_next_push(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)  # today's push went out at 08:30: the next is tomorrow's, at the new time
    ada = site.dm("100", "Ada")
    before = await site.process.app.learners.chat(ada.address)
    assert before is not None and before.next_due_at is not None
    await site.sign_in("100", "Ada")
    response = await site.post("/me/settings", time="21:15", zone="UTC", language="en", status="on")
    assert response.status_code == 303 and response.headers["location"] == "/me#settings"
    shown = notes(await site.page("/me"))
    assert shown == ["⏰ Daily time set to 21:15 (UTC)."]
    after = await site.process.app.learners.chat(ada.address)
    assert after is not None and after.local_time == time(21, 15)
    assert after.next_due_at is not None and after.next_due_at != before.next_due_at
    assert after.next_due_at == before.next_due_at.replace(hour=21, minute=15)
    assert notes(await site.page("/me")) == []  # a note shows once


async def test_a_wrong_zone_is_refused_as_the_chat_refuses_it(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    await site.post("/me/settings", time="08:30", zone="Asia/Shanghia", language="en", status="on")
    shown = notes(await site.page("/me"))
    assert len(shown) == 1 and "“Asia/Shanghia” is not a time zone I know" in shown[0]
    assert "Did you mean: Asia/Shanghai" in shown[0]
    sub = await site.process.app.learners.chat(Address("test", "100"))
    assert sub is not None and sub.timezone == "UTC"
    await site.post("/me/settings", time="25:99", zone="UTC", language="en", status="on")
    assert "is not a time of day" in notes(await site.page("/me"))[0]


async def test_zone_language_and_pause_change_together(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    await site.post("/me/settings", time="08:30", zone="asia/shanghai", language="zh", status="paused")
    shown = notes(await site.page("/me"))
    # Paused first, so no topic is announced "on its way"; then the zone, then the language (its answer in Chinese).
    assert shown[0].startswith("⏸ Paused.") and shown[1].startswith("🌍 Time zone set to Asia/Shanghai")
    assert shown[2:] == ["语言已切换为中文。"]
    sub = await site.process.app.learners.chat(Address("test", "100"))
    assert sub is not None and sub.timezone == "Asia/Shanghai" and sub.language == "zh" and sub.paused
    assert not sub.active
    page = await site.page("/me")
    assert 'value="paused" checked' in page and "你好" in page
    await site.post("/me/settings", time="08:30", zone="Asia/Shanghai", language="zh", status="on")
    sub = await site.process.app.learners.chat(Address("test", "100"))
    assert sub is not None and sub.active and not sub.paused


async def test_resuming_before_todays_push_sends_the_topic_to_the_chat(site: Dashboard, clock: ManualClock) -> None:
    ada = site.dm("100", "Ada")
    clock.set(START + timedelta(hours=9))
    await ada.say("/subscribe 08:30 UTC")
    await ada.say("/pause")
    clock.advance(DAY)  # day 2's push never went out: paused
    await site.sign_in("100", "Ada")
    await site.post("/me/settings", time="08:30", zone="UTC", language="en", status="on")
    assert "Today's topic was sent to your chat." in notes(await site.page("/me"))
    assert [card.plan_day for card in site.gateway.cards_to("100")] == [2]


async def test_a_form_without_its_token_changes_nothing(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    response = await site.post("/me/settings", csrf=False, time="06:00", zone="UTC", language="en", status="on")
    assert response.status_code == 403 and "This form has expired" in response.text
    sub = await site.process.app.learners.chat(Address("test", "100"))
    assert sub is not None and sub.local_time == time(8, 30)
    assert (await site.client.post("/me/settings", data={"time": "06:00"})).status_code == 403


async def test_nothing_changed_says_so(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    await site.post("/me/settings", time="08:30", zone="UTC", language="en", status="on")
    assert notes(await site.page("/me")) == ["Nothing to change."]


async def test_export_holds_every_day_and_note(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    await site.sign_in("100", "Ada")
    response = await site.client.get("/me/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    data = json.loads(response.text)
    assert data["user_id"] == "100" and data["settings"]["daily_time"] == "08:30"
    assert [(c["plan_day"], c["note"]) for c in data["completions"]] == [(1, ""), (2, NOTE)]


async def test_forget_needs_the_box_ticked_then_deletes_everything(site: Dashboard, clock: ManualClock) -> None:
    await ada_studies(site, clock)
    site.gateway.admins.add(("-5", "1"))
    await site.member("-5", "1", "Admin").say("/subscribe 08:00 UTC")
    await site.member("-5", "100", "Ada").say("/done in the group")
    await site.member("-5", "200", "Bo").say("/done")
    await site.sign_in("100", "Ada")
    await site.post("/me/forget")
    assert "Tick the box" in notes(await site.page("/me"))[0]
    assert await site.process.app.learners.chat(Address("test", "100")) is not None
    response = await site.post("/me/forget", confirm="yes")
    assert response.status_code == 200 and "Everything about you is deleted" in response.text
    assert (await site.client.get("/me")).status_code == 401  # signed out
    assert await site.process.app.learners.chat(Address("test", "100")) is None
    found = await site.process.app.commands.groups.board(Address("test", "-5"))
    assert found is not None and [row.name for row in found[1]] == ["Bo"]  # the group keeps Bo's record


async def test_signed_out_the_learner_routes_refuse(site: Dashboard) -> None:
    for path in ("/me", "/me/export.json"):
        response = await site.client.get(path)
        assert response.status_code == 401 and "/dashboard" in response.text
    for path in ("/me/settings", "/me/forget"):
        assert (await site.client.post(path, data={"csrf": "x"})).status_code == 401


async def test_a_freeze_and_a_pause_show_on_the_grid_and_in_the_last_weeks(site: Dashboard, clock: ManualClock) -> None:
    ada, deliver = site.dm("100", "Ada"), site.process.app.delivery.run_pass
    clock.set(START + timedelta(hours=9))  # Monday 2 March
    await ada.say("/subscribe 08:30 UTC")
    await ada.say("/done")
    for _ in range(6):  # days 2 to 7, each done: a 7-day streak earns a freeze
        clock.advance(DAY)
        await deliver()
        await ada.say("/done")
    for _ in range(2):  # day 8 (Monday 9 March) goes by undone; the freeze covers it
        clock.advance(DAY)
        await deliver()
    assert "3 days" in await ada.say("/pause 3")  # from tomorrow: today's push came
    clock.advance(DAY)  # Wednesday 11 March: paused
    await site.sign_in("100", "Ada")
    page = await site.page("/me")
    states = grid_states(page)
    # Day 9 came on Tuesday; paused days do not count on the calendar pace, so it is still today's day, waiting.
    assert states[:10] == ["done"] * 7 + ["frozen", "paused", "upcoming"]
    assert "🧊 0 freezes" in page and "⏸ Paused from 2026-03-11 until 2026-03-14" in page
    calendar = page[page.index('class="calendar"') :]
    dated = dict(re.findall(r'title="(\d{4}-\d\d-\d\d) · ([a-z ]+)"', calendar))
    assert dated["2026-03-09"] == "frozen" and dated["2026-03-11"] == "paused" and dated["2026-03-13"] == "paused"
    assert dated["2026-03-14"] == "upcoming"


async def test_pace_study_days_nudges_and_a_pause_change_as_their_commands_do(
    site: Dashboard, clock: ManualClock
) -> None:
    await ada_studies(site, clock)  # Thursday 5 March, today's push sent
    await site.sign_in("100", "Ada")
    page = await site.page("/me")
    assert all(f'name="days" value="{d}" checked' in page for d in ("mon", "sat", "sun"))  # every day, at first
    assert 'name="nudge" value="off" checked' in page and '<option value="calendar" selected>' in page
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    base = {"time": "08:30", "zone": "UTC", "language": "en", "status": "on"}
    await site.post("/me/settings", base, pace="self", days=weekdays, nudge="on", nudge_at="19:30")
    shown = notes(await site.page("/me"))
    assert len(shown) == 3 and "Study days" in shown[0] and "Self pace" in shown[1] and "19:30" in shown[2]
    sub = await site.process.app.learners.chat(Address("test", "100"))
    assert sub is not None and sub.pace.value == "self" and sub.nudge and sub.nudge_time == time(19, 30)
    assert sub.schedule[-1].days == 0b0011111
    page = await site.page("/me")
    assert 'name="days" value="fri" checked' in page and 'name="days" value="sat" >' in page
    assert 'name="nudge_at" value="19:30"' in page and '<option value="self" selected>' in page
    same: dict[str, str | list[str]] = {**base, "pace": "self", "days": weekdays, "nudge": "on", "nudge_at": "19:30"}
    await site.post("/me/settings", same)
    assert notes(await site.page("/me")) == ["Nothing to change."]
    # Nudges after 22:00 are refused as /nudge refuses them; a pause with a length ends by itself.
    await site.post("/me/settings", {**same, "nudge_at": "23:00"})
    assert notes(await site.page("/me")) == ["Nudges never come after 22:00. Pick an earlier time."]
    await site.post("/me/settings", {**same, "status": "paused", "pause_days": "4"})
    [paused] = notes(await site.page("/me"))
    assert "4 days" in paused
    sub = await site.process.app.learners.chat(Address("test", "100"))
    assert sub is not None and sub.active and not sub.paused  # pushes come back by themselves
    page = await site.page("/me")
    assert 'value="paused" checked' in page and "⏸ Paused from 2026-03-06 until 2026-03-10" in page
    await site.post("/me/settings", {**same, "status": "paused", "pause_days": "0"})
    assert "Usage: /pause" in notes(await site.page("/me"))[0]
    await site.post("/me/settings", {**same, "nudge": "off", "status": "paused"})  # only the nudge changes
    assert notes(await site.page("/me")) == ["🔕 Nudges off. /nudge on brings them back."]
    await site.post("/me/settings", {**same, "nudge": "off", "status": "on"})  # the pause ahead is cancelled
    assert "Paused from" not in await site.page("/me")
