"""A person's own records, as /export and the dashboard export them, and as a DM's /forget and the dashboard
forget them: every day done with its note in every chat of the platform, the corrections about them; forgetting
deletes their DM's subscription and their own record in each group, and nobody else's."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.events import Incoming
from bot.core.model import Address, ChatKind
from bot.core.own_data import person_data
from bot.core.people import dm_address
from tests.support import Chat, RecordingGateway


async def studied(app: App, clock: ManualClock) -> None:
    gateway = RecordingGateway()
    gateway.admins.add(("-5", "1"))
    app.gateways.connected(gateway)
    await Chat(app, chat_id="100", user_id="100", user_name="Ada").say("/subscribe 08:00 UTC")
    await Chat(app, chat_id="-5", user_id="1", user_name="Mei", kind=ChatKind.GROUP).say("/subscribe 08:00 UTC")
    await Chat(app, chat_id="100", user_id="100", user_name="Ada").say("/done in my DM")
    clock.advance(timedelta(minutes=1))
    await Chat(app, chat_id="-5", user_id="100", user_name="Ada", kind=ChatKind.GROUP).say("/done in the group")
    await Chat(app, chat_id="-5", user_id="200", user_name="Bo", kind=ChatKind.GROUP).say("/done")
    unmark = Incoming(Address("test", "-5"), ChatKind.GROUP, "1", "Mei", "en", text="/unmark 1",
                      target_user_id="200", target_user_name="Bo")  # fmt: skip
    await app.commands.handle(unmark)
    await Chat(app, chat_id="-5", user_id="200", user_name="Bo", kind=ChatKind.GROUP).say("/done again")
    mark = Incoming(Address("test", "-5"), ChatKind.GROUP, "1", "Mei", "en", text="/mark 1",
                    target_user_id="100", target_user_name="Ada")  # fmt: skip
    await app.commands.handle(mark)  # Ada had it already: unchanged, no correction


async def test_the_export_holds_every_chats_days_and_the_corrections_about_them(app: App, clock: ManualClock) -> None:
    await studied(app, clock)
    data = await person_data(app.learners, "test", "100", "en")
    assert data["settings"]["daily_time"] == "08:00" and data["settings"]["subscribed"]
    assert [(c["chat"], c["chat_kind"], c["note"]) for c in data["completions"]] == [
        ("100", "dm", "in my DM"), ("-5", "group", "in the group")]  # fmt: skip
    assert data["corrections"] == []  # the one correction is about Bo
    bo = await person_data(app.learners, "test", "200", "en")
    assert bo["settings"] is None and [c["about_you"] for c in bo["corrections"]] == [True]
    mei = await person_data(app.learners, "test", "1", "en")
    assert [(c["member"], c["about_you"]) for c in mei["corrections"]] == [("Bo", False)]  # made by her


async def test_forgetting_deletes_the_persons_records_everywhere_and_no_one_elses(app: App, clock: ManualClock) -> None:
    await studied(app, clock)
    await app.commands.groups.forget_person(dm_address("test", "100"), "100")
    assert await app.learners.chat(Address("test", "100")) is None
    found = await app.commands.groups.board(Address("test", "-5"))
    assert found is not None and [row.name for row in found[1]] == ["Bo"]
    again = await person_data(app.learners, "test", "100", "en")
    assert again["settings"] is None and again["completions"] == []
    assert await app.learners.chat(Address("test", "-5")) is not None  # the group stays
