"""Platform tests talk to fake servers over the wire; the store behind them is SQLite (the store contract
itself is covered on both databases elsewhere)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import App
from tests.adapters.discord_support import adapter_for
from tests.conftest import sqlite_copy
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    return sqlite_copy(tmp_path, sqlite_template)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    # Every adapter test checks that the bot sent nothing Telegram would refuse (broken HTML, too long, bad buttons).
    assert [(call.method, call.error) for call in server.malformed] == []


@pytest.fixture
async def telegram(app: App, tg: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(app.commands, tg.token, tg.root, rate_limit=False, poll_timeout=1)
    await adapter.start()
    app.gateways.connected(adapter.gateway)
    yield adapter
    app.gateways.disconnected(adapter.gateway)
    await adapter.stop()


@pytest.fixture
async def discord_bot(app: App, dc: FakeDiscord, caplog: pytest.LogCaptureFixture) -> AsyncIterator[DiscordAdapter]:
    """The Discord adapter, started against the `dc` fake server that each Discord test module sets up."""
    adapter = adapter_for(app, dc)
    await adapter.start()
    app.gateways.connected(adapter.gateway)
    yield adapter
    app.gateways.disconnected(adapter.gateway)
    await adapter.stop()
    # A failing handler still answers (with an apology), so a passing test must also have logged no error.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("bot.adapters.discord")]
    assert errors == []
