"""A learner's own data: /export sends all of it as a JSON file, and /forget in their DM deletes all of it, leaving
no row about them in any table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.bootstrap import App
from bot.core.clock import ManualClock
from bot.core.replies import FileReply, TextReply
from bot.store.tables import Base
from tests.core.test_groups import group_with_admin, member
from tests.core.test_habits import at, day_at, learner
from tests.support import Chat


async def ada_everywhere(app: App, clock: ManualClock) -> Chat:
    """Ada (user 100) in her DM and in a group with Bo, with notes, a correction about her, one she made, and
    pushes and a nudge in the ledger."""
    chat, _ = await learner(app)
    await chat.say("/nudge on")
    await chat.say("/days mon-fri")
    await chat.say("/done my first note")
    await group_with_admin(app, admin="100")  # Ada runs the group too
    await app.delivery.run_pass(clock.now())
    bo = member(app, "-1", "2", "Bo")
    await bo.say("/done")
    ada_there = Chat(app, chat_id="-1", user_id="100", user_name="Ada", kind=bo.kind)
    await ada_there.say("/done in the group")
    await day_at(app, clock, at(3))
    await day_at(app, clock, at(3, 11))  # Ada's nudge about day 2
    admin = member(app, "-1", "7", "Cy")
    app.gateways.get("test").admins.add(("-1", "7"))  # type: ignore[union-attr]
    await app.commands.handle(admin.incoming("/mark 2", target=("100", "Ada")))
    await app.commands.handle(ada_there.incoming("/mark 2", target=("2", "Bo")))
    return chat


async def test_export_sends_the_learners_data_as_a_json_file(app: App, clock: ManualClock) -> None:
    chat = await ada_everywhere(app, clock)
    [reply] = await chat.send("/export")
    assert isinstance(reply, FileReply) and reply.filename == "studybot-export-2026-03-03.json"
    assert "3 days done, 2 notes, 2 corrections" in reply.caption
    data: dict[str, Any] = json.loads(reply.data)
    assert data["platform"] == "test" and data["user_id"] == "100"
    settings = data["settings"]
    assert settings["timezone"] == "UTC" and settings["daily_time"] == "08:00" and settings["pace"] == "calendar"
    assert settings["study_days_now"] == ["mon", "tue", "wed", "thu", "fri"] and settings["nudge"] == "11:00"
    assert settings["paused"] is False and settings["schedule"] == [
        {"from": "2026-03-03", "study_days": ["mon", "tue", "wed", "thu", "fri"], "paused": False}
    ]
    done = [(c["chat_kind"], c["plan_day"], c["note"]) for c in data["completions"]]
    assert done == [("dm", 1, "my first note"), ("group", 1, "in the group"), ("group", 2, "")]
    assert data["completions"][0]["title"] and data["completions"][0]["date"] == "2026-03-02"
    about = [(c["about_you"], c["member"], c["admin"], c["plan_day"]) for c in data["corrections"]]
    assert about == [(True, "Ada", "Cy", 2), (False, "Bo", "Ada", 2)]
    assert data["streak"]["current"] >= 1
    group = Chat(app, chat_id="-1", user_id="100", kind=chat.kind.GROUP)
    assert "in a DM" in await group.say("/export")


async def test_forget_in_a_dm_leaves_no_row_about_the_learner(app: App, clock: ManualClock) -> None:
    chat = await ada_everywhere(app, clock)
    before = await rows_by_table(app)
    assert any("100" in str(row) for rows in before.values() for row in rows)
    [question] = await chat.send("/forget")
    assert isinstance(question, TextReply) and "in every group" in question.text
    [button] = question.buttons
    assert "Only the person who asked" in (await chat.press_as("2", button.action)).toast
    answer = await chat.press(button.action)
    assert "Everything about you is deleted" in answer.replies[0].text  # type: ignore[union-attr]
    after = await rows_by_table(app)
    about_her = {table: [r for r in rows if "100" in r or "Ada" in r] for table, rows in after.items()}
    assert about_her == {table: [] for table in after}
    # Everyone else's rows stay: the group, Bo's two days (one of them marked by Ada), the group's pushes.
    assert len(after["subscriptions"]) == 1 and len(after["completions"]) == 2 and after["deliveries"]
    assert "nothing to export" in await chat.say("/export")


async def rows_by_table(app: App) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, each value as text."""
    found: dict[str, list[tuple[str, ...]]] = {}
    async with app.store.unit() as uow:
        for table in Base.metadata.sorted_tables:
            rows = await uow.session.execute(select(table))
            found[table.name] = [tuple(str(v) for v in row) for row in rows]
    return found
