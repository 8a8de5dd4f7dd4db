"""Nothing the bot writes on Discord notifies anyone: a member who names themselves "@everyone" shows on the
leaderboard and in pushes as text, and the server is not pinged (allowed mentions: none, on every client)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import App
from bot.core.replies import TextReply
from tests.adapters.discord_support import ask, content, serving
from tests.fakes.discord_payloads import MANAGE_CHANNELS, MANAGE_GUILD
from tests.fakes.discord_server import FakeDiscord

ADMIN, PRANKSTER = 700000000000000031, 700000000000000032
GUILD, GENERAL = 800000000000000031, 810000000000000031


def _guild(server: FakeDiscord) -> None:
    server.add_guild(GUILD, "Study Hall", channels=[(GENERAL, "general")],
                     members=[(ADMIN, "Mei", MANAGE_GUILD | MANAGE_CHANNELS), (PRANKSTER, "@everyone", 0)])  # fmt: skip


@pytest.fixture
async def dc() -> AsyncIterator[FakeDiscord]:
    async with serving(_guild) as server:
        yield server


async def test_a_member_named_everyone_pings_nobody(app: App, discord_bot: DiscordAdapter, dc: FakeDiscord) -> None:
    await ask(dc, "subscribe", {"time": "08:00", "zone": "UTC"}, user_id=ADMIN, channel_id=GENERAL)
    await app.delivery.run_pass()
    await ask(dc, "done", user_id=PRANKSTER, channel_id=GENERAL)
    board = await ask(dc, "leaderboard", user_id=ADMIN, channel_id=GENERAL)
    assert "@everyone" in await content(board)
    assert board.original is not None and board.original.payload["mention_everyone"] is False
    # Pushes, wrap-ups and announcements go out over REST, from any process.
    await discord_bot.gateway.send(str(GENERAL), TextReply("Well done, @everyone and @here!"))
    sent = dc.messages_in(GENERAL)[-1]
    assert "@everyone" in sent.content and sent.payload["mention_everyone"] is False
