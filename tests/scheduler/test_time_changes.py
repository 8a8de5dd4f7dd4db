"""A /time or /timezone change mid-day neither doubles nor skips that day's push; DST days keep the rule too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from tests.support import Chat, RecordingGateway

MINUTE = timedelta(minutes=1)


def gateway_for(app: App) -> RecordingGateway:
    gateway = RecordingGateway()
    app.gateways.connected(gateway)
    return gateway


async def passes_until(app: App, clock: ManualClock, until: datetime, every: timedelta = 10 * MINUTE) -> list[datetime]:
    """Run a pass every `every` until `until`; the instants of the passes that pushed something."""
    pushed = []
    while clock.now() + every <= until:
        clock.advance(every)
        if (await app.delivery.run_pass()).sent:
            pushed.append(clock.now())
    return pushed


async def test_an_earlier_time_already_past_brings_todays_push_at_once(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    await chat.say("/subscribe 20:00 UTC")  # Mon 2 March 00:00; day 1 comes with the confirmation
    clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    answer = await chat.say("/time 09:00")  # Tuesday's 20:00 push has not gone out
    assert "Daily time set to 09:00" in answer and "Today's topic is on its way." in answer
    assert await passes_until(app, clock, datetime(2026, 3, 4, 12, 0, tzinfo=UTC)) == [
        datetime(2026, 3, 3, 10, 10, tzinfo=UTC),  # Tuesday's, at the next pass, and not again at 20:00
        datetime(2026, 3, 4, 9, 0, tzinfo=UTC),  # Wednesday's at the new time
    ]
    assert [c.plan_day for c in gateway.cards_to("100")] == [2, 3]


async def test_a_later_time_moves_todays_push_to_it(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    clock.set(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    assert "on its way" not in await chat.say("/time 12:30")
    assert "Next push: 2026-03-03 12:30" in await chat.say("/settings")
    assert await passes_until(app, clock, datetime(2026, 3, 3, 23, 0, tzinfo=UTC)) == [
        datetime(2026, 3, 3, 12, 30, tzinfo=UTC)
    ]
    assert [c.plan_day for c in gateway.cards_to("100")] == [2]


async def test_a_change_after_todays_push_starts_tomorrow(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    assert (await app.delivery.run_pass()).sent == 1  # Tuesday's
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    await chat.say("/time 18:00")  # still ahead today, but today's push went out
    assert "Next push: 2026-03-04 18:00" in await chat.say("/settings")
    await passes_until(app, clock, datetime(2026, 3, 4, 19, 0, tzinfo=UTC))
    assert [c.plan_day for c in gateway.cards_to("100")] == [2, 3]


async def test_moving_east_past_the_date_line_pushes_the_new_today(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    clock.set(datetime(2026, 3, 2, 20, 0, tzinfo=UTC))  # Mon 10:00 in Honolulu
    await chat.say("/subscribe 08:00 Pacific/Honolulu")  # day 1: Monday
    clock.set(datetime(2026, 3, 3, 6, 0, tzinfo=UTC))  # Mon 20:00 in Honolulu = Tue 15:00 in Tokyo
    assert "Today's topic is on its way." in await chat.say("/timezone Asia/Tokyo")
    # Tuesday has begun in Tokyo and its 08:00 is past: its push comes at once, not skipped for Wednesday's.
    assert await passes_until(app, clock, datetime(2026, 3, 4, 0, 0, tzinfo=UTC)) == [
        datetime(2026, 3, 3, 6, 10, tzinfo=UTC),
        datetime(2026, 3, 3, 23, 0, tzinfo=UTC),  # Wed 08:00 in Tokyo
    ]
    assert [c.plan_day for c in gateway.cards_to("100")] == [2, 3]


async def test_moving_west_past_the_date_line_does_not_repeat_a_day(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Mon 10:00 in Tokyo
    await chat.say("/subscribe 08:00 Asia/Tokyo")  # day 1: Monday
    clock.set(datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
    assert (await app.delivery.run_pass()).sent == 1  # Tuesday's, at Tue 10:00 in Tokyo
    answer = await chat.say("/timezone Pacific/Honolulu")  # Mon 15:00 there: Monday's and Tuesday's went out
    assert "Time zone set to Pacific/Honolulu" in answer and "on its way" not in answer
    assert "Next push: 2026-03-04 08:00" in await chat.say("/settings")
    await passes_until(app, clock, datetime(2026, 3, 4, 19, 0, tzinfo=UTC))
    assert [c.plan_day for c in gateway.cards_to("100")] == [2, 3]


async def test_a_language_change_while_a_push_is_due_keeps_it(app: App, clock: ManualClock) -> None:
    gateway = gateway_for(app)
    chat = Chat(app)
    await chat.say("/subscribe 08:00 UTC")
    clock.set(datetime(2026, 3, 3, 8, 0, 10, tzinfo=UTC))  # due ten seconds ago; the next pass is yet to run
    await chat.say("/lang zh")
    assert (await app.delivery.run_pass()).sent == 1
    assert [c.plan_day for c in gateway.cards_to("100")] == [2]


async def test_a_time_skipped_up_to_midnight_comes_after_it_for_its_own_day(app: App, clock: ManualClock) -> None:
    # Nuuk springs forward at Saturday 23:00 (-02) to Sunday 00:00 (-01): Saturday has no 23:30.
    gateway = gateway_for(app)
    clock.set(datetime(2026, 3, 28, 1, 40, tzinfo=UTC))  # Fri 27 March, 23:40
    await Chat(app).say("/subscribe 23:30 America/Nuuk")  # day 1: Friday
    pushed = await passes_until(app, clock, datetime(2026, 3, 30, 1, 0, tzinfo=UTC))
    assert pushed == [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # Saturday's, moved by the hour's gap to Sunday 00:30 (-01)
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # Sunday's, at 23:30 (-01), not 23 hours early
    ]
    assert [c.plan_day for c in gateway.cards_to("100")] == [2, 3]
