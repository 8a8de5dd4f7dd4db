"""Discord end to end for a learner's own features: the data export as an attachment, a member's private catch-up
list with buttons whose custom_ids carry the core's actions, /done and /pause with typed options."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import App
from bot.core.clock import ManualClock
from tests.adapters.discord_support import ask, content, ephemeral, serving
from tests.adapters.test_discord import ADA, ALICE, BO, GENERAL, _guilds
from tests.core.test_habits import at
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with serving(_guilds) as server:
        yield server


async def test_export_is_an_attachment_in_the_dm(app: App, discord_bot: DiscordAdapter, dc: FakeDiscord) -> None:
    await ask(dc, "subscribe", {"time": "08:00", "zone": "UTC"}, user_id=ADA)
    await ask(dc, "done", {"note": "loops and lists"}, user_id=ADA)
    exported = await ask(dc, "export", user_id=ADA)
    assert "1 days done, 1 notes" in await content(exported)
    [upload] = exported.original.files.values() if exported.original is not None else []
    assert upload.filename == "studybot-export-2026-03-02.json"
    data = json.loads(upload.data)
    assert data["platform"] == "discord" and data["settings"]["chat"] == f"dm:{ADA}"
    assert [(c["plan_day"], c["note"]) for c in data["completions"]] == [(1, "loops and lists")]
    assert next(c for c in dc.commands if c["name"] == "export")["contexts"] == [1]  # offered in DMs only


async def test_a_members_catch_up_list_is_theirs_alone(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord, clock: ManualClock
) -> None:
    await ask(dc, "subscribe", {"time": "08:00", "zone": "UTC"}, user_id=ALICE, channel_id=GENERAL)
    await app.delivery.run_pass(clock.now())
    clock.set(at(5, 9))  # day 4 in the channel
    done = await ask(dc, "done", {"day": 2, "note": "catching up"}, user_id=BO, channel_id=GENERAL)
    assert "Day 2 done" in await content(done)
    listing = await ask(dc, "catchup", user_id=BO, channel_id=GENERAL)
    assert "2 days to catch up" in await content(listing) and await ephemeral(listing)
    assert listing.original is not None
    ids = listing.original.custom_ids
    assert ids == ["studybot:open:1", f"studybot:catchup:1:{BO}", "studybot:open:3", f"studybot:catchup:3:{BO}"]
    assert all(len(i) <= 100 for i in ids)
    pressed = await dc.press_button(f"studybot:catchup:3:{BO}", listing.original.id, user_id=BO)
    assert (await pressed.response())["type"] == 7  # the list is edited in place
    assert listing.original.custom_ids == ["studybot:open:1", f"studybot:catchup:1:{BO}"]
    assert "Day 3 done" in (await pressed.followup()).content


async def test_pause_for_some_days_from_the_command_option(
    app: App, discord_bot: DiscordAdapter, dc: FakeDiscord
) -> None:
    await ask(dc, "subscribe", {"time": "08:00", "zone": "UTC"}, user_id=ADA)
    paused = await ask(dc, "pause", {"days": 2}, user_id=ADA)
    assert "Paused for 2 days" in await content(paused)
    # Today's topic came with the subscription, so the pause starts tomorrow.
    settings = await content(await ask(dc, "settings", user_id=ADA))
    assert "Pause planned: from Tue 2026-03-03 to Thu 2026-03-05" in settings
