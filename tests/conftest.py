"""Shared fixtures: every store-backed test runs on SQLite and on the PostgreSQL server when it is up."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr

from bot.bootstrap import App, bootstrap
from bot.core.clock import ManualClock
from bot.settings import Settings
from bot.store.migrate import upgrade
from curriculum.loader import Curriculum, load_curriculum

# What `studybot`'s entry point sets for its process (bot.process); the tests only need PTB's quiet retry_after.
os.environ.setdefault("PTB_TIMEDELTA", "1")
# Property tests run the same examples every time here, so a failure is never a fluke of the seed; run with
# HYPOTHESIS_PROFILE=explore for fresh random examples (and a database of the failures found).
hypothesis_settings.register_profile("studybot", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "studybot"))

PG_ADMIN = os.environ.get("STUDYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# A Monday, well away from any DST change in the zones the tests use.
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_ADMIN.rsplit('@', 1)[-1]} is not reachable: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def curriculum() -> Curriculum:
    return load_curriculum()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with migrated_pg_database("studybot_test") as url:
        yield url


@contextmanager
def migrated_pg_database(prefix: str) -> Iterator[str]:
    """A migrated database of its own on the PostgreSQL server (see own_pg_database); where the server is not
    reachable, the test is skipped, saying why."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    with own_pg_database(prefix) as url:
        upgrade(url)
        yield url


@contextmanager
def own_pg_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server, named `prefix`_<random>, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_copy(tmp_path: Path, template: Path) -> str:
    """A migrated SQLite database of the test's own, copied from the session's template."""
    path = tmp_path / "studybot.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        return sqlite_copy(tmp_path, sqlite_template)
    url: str = request.getfixturevalue("pg_url")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE deliveries, completions, subscriptions, handled_updates, shared_secrets RESTART IDENTITY CASCADE"
        )
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=SecretStr(database_url), default_timezone="UTC", _env_file=None)


@pytest.fixture
async def app(settings: Settings, clock: ManualClock, curriculum: Curriculum) -> AsyncIterator[App]:
    built = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=False)
    yield built
    await built.close()
