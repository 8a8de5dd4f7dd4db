"""Many chats at once: their lookups and /done writes are batched (bot.core.batching), and each chat still gets
exactly its own answer, on a real store."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.groups import Groups
from bot.core.learner import Done, DoneOutcome
from bot.core.model import ChatKind
from tests.support import Chat, RecordingGateway

DAY = timedelta(days=1)


async def subscribed(app: App, count: int) -> list[Chat]:
    chats = [Chat(app, chat_id=str(500 + n), user_id=str(500 + n), user_name=f"P{n}") for n in range(count)]
    for each in chats:
        await each.say("/subscribe 08:00 UTC")
    return chats


async def test_concurrent_done_in_many_chats_each_get_their_own_answer(app: App, clock: ManualClock) -> None:
    chats = await subscribed(app, 12)
    clock.advance(DAY)
    await asyncio.gather(*(each.say("/done") for each in chats[:4]))  # a third had day 2 done already
    answers = await asyncio.gather(*(each.say("/done") for each in chats))
    for n, answer in enumerate(answers):
        if n < 4:
            assert "Day 2 is already marked done" in answer
        else:
            assert "Day 2 done" in answer and "Streak: 1 day" in answer and "1/140" in answer


async def test_one_person_in_a_dm_and_a_group_at_once(app: App, clock: ManualClock) -> None:
    dm = Chat(app, chat_id="77", user_id="77")
    group = Chat(app, chat_id="-77", user_id="77", kind=ChatKind.GROUP)
    app.gateways.connected(_admin_gateway(group))
    await dm.say("/subscribe 08:00 UTC")
    clock.advance(DAY)
    await group.say("/subscribe 08:00 UTC")
    in_dm, in_group = await asyncio.gather(dm.say("/done"), group.say("/done"))
    # Each chat records its own day; the person's streak counts the date once.
    assert "Day 2 done" in in_dm and "Day 1 done" in in_group
    assert "Streak: 1 day" in in_dm and "Streak: 1 day" in in_group
    assert "1/140" in in_dm and "1/140" in in_group


async def test_a_done_for_a_forgotten_chat_fails_alone(app: App, clock: ManualClock) -> None:
    chats = await subscribed(app, 3)
    gone = await app.learners.chat(chats[0].address)
    await Groups(app.learners).forget(chats[0].address)  # between the lookup and the write
    others = [await app.learners.chat(c.address) for c in chats[1:]]
    results = await asyncio.gather(
        app.learners.done(gone, chats[0].user_id, "P0", None),
        *(app.learners.done(sub, c.user_id, c.user_name, None) for sub, c in zip(others, chats[1:], strict=True)),
        return_exceptions=True,
    )
    assert isinstance(results[0], Exception)  # the completion's chat no longer exists
    assert all(isinstance(r, Done) and r.outcome is DoneOutcome.RECORDED for r in results[1:])


def _admin_gateway(group: Chat) -> RecordingGateway:
    return RecordingGateway(admins={(group.chat_id, group.user_id)})
