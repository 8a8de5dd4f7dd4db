"""Catching up: /catchup lists the missed days with buttons to open each or mark it done, for the person who asked
(in a DM, and for each member of a group); /notes shows what they wrote."""

from __future__ import annotations

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.model import ChatKind
from bot.core.replies import TextReply, TopicCard
from tests.core.test_groups import group_with_admin, member
from tests.core.test_habits import at, learner
from tests.support import Chat, text_of


async def test_catchup_lists_missed_days_with_buttons_to_open_and_mark(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    clock.set(at(14, 9))  # day 13; only day 5 done
    await chat.say("/done 5")
    [listing] = await chat.send("/catchup")
    assert isinstance(listing, TextReply) and "11 days to catch up" in listing.text
    assert "Day 1:" in listing.text and "Day 11:" in listing.text and "Day 12:" not in listing.text
    assert "and 1 more after these" in listing.text
    actions = [b.action for b in listing.buttons]
    assert actions[:4] == ["open:1", "catchup:1:100", "open:2", "catchup:2:100"]
    assert len(listing.buttons) == 20 and max(b.row for b in listing.buttons) == 4  # two days to a row, 5 rows
    assert all(len(a.encode()) <= 64 for a in actions)  # Telegram's callback data limit
    opened = await chat.press("open:2")
    assert isinstance(opened.replies[0], TopicCard) and opened.replies[0].plan_day == 2
    assert opened.replies[0].buttons[0].action == "done:2"
    marked = await chat.press("catchup:2:100")
    assert "Day 2 done" in marked.toast
    assert isinstance(marked.card, TextReply) and "10 days to catch up" in marked.card.text
    assert "catchup:2:100" not in [b.action for b in marked.card.buttons] and "Day 12:" in marked.card.text
    assert "Already done" in (await chat.press("catchup:2:100")).toast
    assert "Done 2/140" in await chat.say("/progress")


async def test_only_the_asker_can_mark_from_their_list(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    clock.set(at(4, 9))
    assert "Only the person who asked" in (await chat.press_as("7", "catchup:1:100")).toast
    assert "has not started yet" in (await chat.press("catchup:9:100")).toast
    assert "no longer in use" in (await chat.press("catchup:x")).toast


async def test_each_member_of_a_group_catches_up_on_their_own_days(app: App, clock: ManualClock) -> None:
    await group_with_admin(app)
    await app.delivery.run_pass(clock.now())
    ada, bo = member(app, "-1", "2", "Ada"), member(app, "-1", "3", "Bo")
    clock.set(at(4, 9))  # day 3 in the group
    await ada.say("/done 1")
    [for_ada] = await ada.send("/catchup")
    assert isinstance(for_ada, TextReply) and for_ada.private and "1 day to catch up" in for_ada.text
    assert "2 days to catch up" in await bo.say("/catchup")
    assert "Only the person who asked" in (await bo.press("catchup:2:2")).toast
    assert "Day 2 done" in (await bo.press("catchup:2:3")).toast
    assert "1 day to catch up" in await bo.say("/catchup")


async def test_notes_show_what_was_written_by_week(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    await chat.say("/done generators finally click")
    clock.set(at(10, 9))  # day 9, in week 2
    await chat.say("/done 9 a long day")
    everything = await chat.say("/notes")
    assert "Day 1 · 2026-03-02: generators finally click" in everything and "Day 9" in everything
    week_2 = await chat.say("/notes week 2")
    assert "week 2" in week_2 and "Day 9" in week_2 and "Day 1 " not in week_2
    assert "Usage: /notes" in await chat.say("/notes soon")
    group = Chat(app, chat_id="-9", user_id="100", kind=ChatKind.GROUP)
    assert "No notes yet" in await group.say("/notes")


async def test_a_week_card_shows_the_days_note(app: App, clock: ManualClock) -> None:
    chat, _ = await learner(app)
    await chat.say("/done")
    await chat.say("/done and a note after the button")
    week = await chat.say("/week")
    assert "✅ Day 1:" in week and "📝 and a note after the button" in week
    assert any(isinstance(r, TextReply) for r in await chat.send("/week"))
    assert text_of((await chat.send("/today"))[0]).startswith("📅 Day 1/140")
