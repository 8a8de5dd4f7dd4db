"""On PostgreSQL a pass's commits find their ledger rows as the table is when they run, not as it was when the
connection first ran them: a pass starts on a near-empty day of the ledger and fills it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from pydantic import SecretStr

from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.settings import Settings
from curriculum.loader import Curriculum
from tests.conftest import migrated_pg_database
from tests.support import RecordingGateway

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = 3000
DAY = timedelta(days=1)


@pytest.fixture
def own_url() -> Iterator[str]:
    with migrated_pg_database("studybot_plans") as url:
        yield url


def ledger_rows_scanned(url: str) -> int:
    """Rows of the ledger read by whole-table scans, once every other session of the database has ended (a session
    reports its statistics as it ends): a closed app leaves none open."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(100):
            others = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            if others is not None and others[0] == 0:
                break
            conn.execute("SELECT pg_sleep(0.05)")
        else:
            raise AssertionError(f"{others[0] if others else '?'} sessions still open 5 s after the app closed")
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'deliveries'").fetchone()
    assert row is not None
    return int(row[0])


async def test_a_pass_finds_its_ledger_rows_by_key_as_the_ledger_grows(own_url: str, curriculum: Curriculum) -> None:
    with psycopg.connect(own_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO subscriptions (platform, chat_id, kind, language, timezone, local_time, active, unreachable,"
            " start_date, next_due_at, last_pushed_day, created_at, updated_at)"
            " SELECT 'test', i::text, 'group', 'en', 'UTC', '09:00', true, false, %s, %s, 0, %s, %s"
            " FROM generate_series(1, %s) AS i",
            (NOW.date(), NOW, NOW, NOW, DUE),
        )
        # As autovacuum last saw the ledger: empty, before today's pass (it is off on the test machine, and the
        # pass is quicker than its next round).
        conn.execute("VACUUM ANALYZE")
        conn.execute("ALTER TABLE deliveries SET (autovacuum_enabled = false)")
    before = ledger_rows_scanned(own_url)
    settings = Settings(database_url=SecretStr(own_url), _env_file=None)
    app = await bootstrap(settings, clock=ManualClock(NOW), curriculum=curriculum, migrate=False)
    try:
        gateway = RecordingGateway()
        app.gateways.connected(gateway)
        # Two days' passes through the same connections.
        sent = [(await app.delivery.run_pass(NOW + day * DAY)).sent for day in range(2)]
    finally:
        await app.close()
    assert sent == [DUE, DUE] and len(gateway.sent) == 2 * DUE
    scanned = ledger_rows_scanned(own_url) - before
    # Each commit marks and settles a few sends, found by primary key once the table is a few thousand rows. A plan
    # kept from the first day's first commits, made for a near-empty table, reads all of it every time instead
    # (7 million rows here: the second day's commits each read the first day's rows).
    assert scanned < 500 * DUE, f"two passes of {DUE:,} pushes read {scanned:,} ledger rows by whole-table scans"
