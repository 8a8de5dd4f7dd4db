"""SQLite's WAL checkpoints run beside the commits, not inside them: a commit of many pages returns without copying
the WAL into the database file, and the store's checkpoint task copies it soon after."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from bot.store.checkpoints import Checkpoints
from bot.store.engine import make_engine


def rows_in_database_file(path: Path) -> int | None:
    """What the main file holds, ignoring the WAL: only what a checkpoint has copied there. None if the read caught
    the file while a checkpoint was writing it (an immutable read takes no lock: "database disk image is
    malformed", seen once in a full run)."""
    try:
        with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as connection:
            tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'pages'").fetchone()[0]
            return int(connection.execute("SELECT count(*) FROM pages").fetchone()[0]) if tables else 0
    except sqlite3.DatabaseError:
        return None


async def test_a_big_commit_leaves_the_checkpoint_to_the_task(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    checkpoints = Checkpoints(str(path), every=0.05)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE pages (body BLOB)"))
            # ~2,000 pages of 4 KiB: twice SQLite's default automatic checkpoint, which this commit would have run.
            await connection.execute(text("INSERT INTO pages VALUES (:body)"), [{"body": b"x" * 4000}] * 2000)
        assert rows_in_database_file(path) == 0  # all still in the WAL: the commit did not checkpoint
        checkpoints.start()
        copied = None
        for _ in range(100):
            if (copied := rows_in_database_file(path)) == 2000:
                break
            await asyncio.sleep(0.05)
        assert copied == 2000
    finally:
        await checkpoints.close()
        await engine.dispose()
