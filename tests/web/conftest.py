"""Web server tests run the process's parts against the fake servers; the store behind them is SQLite unless a test
brings its own PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import sqlite_copy
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    return sqlite_copy(tmp_path, sqlite_template)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    assert [(call.method, call.error) for call in server.malformed] == []
