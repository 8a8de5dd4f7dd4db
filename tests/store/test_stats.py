"""`studybot stats`' numbers over eight days of real use through the core and the delivery pass: subscribers by
platform and kind, today's active chats and days done (each chat's own local today), the 7-day completion rate,
and the sends that failed or may not have arrived, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.model import ChatKind
from bot.core.ports import OnWire, SendUncertain, TemporaryFailure
from bot.core.replies import Reply
from bot.store.stats import Completion, Failures, Stats, Subscribers, read_stats
from tests.conftest import START
from tests.support import Chat, RecordingGateway

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
DAYS = 8


class Gateway(RecordingGateway):
    """Also answers as a timeout after sending would, for the chats in `uncertain`, and with a 500 once for each
    chat in `fail_once`."""

    def __init__(self) -> None:
        super().__init__()
        self.uncertain: set[str] = set()
        self.fail_once: set[str] = set()

    async def send(self, chat_id: str, reply: Reply, *, on_wire: OnWire | None = None) -> str:
        if chat_id in self.fail_once:
            self.fail_once.discard(chat_id)
            raise TemporaryFailure("server error 500")
        if chat_id in self.uncertain:
            if on_wire is not None:
                await on_wire()
            raise SendUncertain("timed out after sending")
        return await super().send(chat_id, reply, on_wire=on_wire)


async def eight_days(app: App, clock: ManualClock) -> Gateway:
    """Ada (UTC) marks every day; Bo (Shanghai, pushed at 00:00 UTC) every second day; a group whose member marks
    its first three days; one chat paused, one unsubscribed, one that blocks the bot on day 3, one whose sends
    time out from day 7; and Ada's last push fails for now (a 500)."""
    gateway = Gateway()
    app.gateways.connected(gateway)
    ada, bo = Chat(app, "100", "100", "Ada"), Chat(app, "200", "200", "Bo")
    await ada.say("/subscribe 08:00 UTC")
    await bo.say("/subscribe 08:00 Asia/Shanghai")  # 08:00 there is 00:00 UTC: START is its 08:00
    gateway.admins.add(("-300", "7"))
    await Chat(app, "-300", "7", "Admin", kind=ChatKind.GROUP).say("/subscribe 08:00 UTC")
    member = Chat(app, "-300", "8", "Cy", kind=ChatKind.GROUP)
    for chat_id, then in (("400", "/pause"), ("500", "/unsubscribe"), ("600", None), ("700", None)):
        chat = Chat(app, chat_id, chat_id, "X")
        await chat.say("/subscribe 08:00 UTC")
        if then:
            await chat.say(then)
    await app.delivery.run_pass(clock.now() + timedelta(seconds=1))  # the group's day 1
    for day in range(1, DAYS + 1):
        if day == 2:
            gateway.unreachable.add("600")  # its day-3 push finds it gone
        if day == 7:
            gateway.uncertain.add("700")
        clock.set(START + day * DAY)
        await app.delivery.run_pass()
        if day == DAYS:
            gateway.fail_once.add("100")
        clock.set(START + day * DAY + 9 * HOUR)  # 09:00 UTC, 17:00 in Shanghai
        await app.delivery.run_pass()
        await ada.say("/done")
        if day % 2 == 0:
            await bo.say("/done")
        if day <= 3:
            await member.say("/done")
    return gateway


def expected(now_hour: int = 9) -> Stats:
    return Stats(
        at=START + DAYS * DAY + now_hour * HOUR,
        subscribers=[Subscribers("test", "group", 1, 0, 0), Subscribers("test", "private", 3, 1, 2)],
        # Bo and the group were pushed to today; Ada's push failed, but Ada marked a day done today.
        active_today=3,
        done_today=2,  # Ada's and Bo's
        completion=[
            # The 7 local days before today: Ada 7 of 7, Bo 3 of 7 (days 2, 4, 6); 600 got one push (then blocked
            # the bot) and 700 six (then timed out), none of them marked.
            Completion("private", 7 + 7 + 1 + 6, 7 + 3),
            Completion("group", 7, 3),
            Completion("channel", 0, 0),
        ],
        # 700's week-1 summary (a DM's own, sent just before its day-8 push) timed out too.
        failures=[Failures("test", "push", retrying=1, gave_up=1, unknown=2),
                  Failures("test", "weekly", retrying=0, gave_up=0, unknown=1)],
    )


async def test_stats_count_what_eight_days_of_use_left(app: App, clock: ManualClock) -> None:
    await eight_days(app, clock)
    stats = await read_stats(app.store.engine, clock.now())
    assert stats == expected()
    overall = stats.completion_overall()
    assert (overall.pushed, overall.done) == (28, 13) and overall.rate == 13 / 28


async def test_today_is_each_chats_own_date(app: App, clock: ManualClock) -> None:
    await eight_days(app, clock)
    # 20:00 UTC is 04:00 the next day in Shanghai: Bo's today has begun, and nothing is in it yet; in UTC it is still
    # the same day, so Ada (who marked it) and the group (pushed to) still count.
    late = START + DAYS * DAY + 20 * HOUR
    stats = await read_stats(app.store.engine, late)
    assert (stats.active_today, stats.done_today) == (2, 1)
    # And Bo's 7 days before today now run from day 2 to day 8, four of them marked (2, 4, 6, 8).
    private = next(c for c in stats.completion if c.kind == "private")
    assert (private.pushed, private.done) == (7 + 7 + 1 + 6, 7 + 4)


async def test_stats_on_an_empty_database(app: App, clock: ManualClock) -> None:
    stats = await read_stats(app.store.engine, clock.now())
    assert stats.subscribers == [] and stats.failures == []
    assert (stats.active_today, stats.done_today) == (0, 0)
    assert stats.completion_overall().rate is None
