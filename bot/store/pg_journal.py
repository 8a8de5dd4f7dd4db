"""The delivery journal's commits on PostgreSQL, over one connection of their own.

A send waits for its SENDING mark's commit, so each commit's overhead is latency on every send. Through the engine a
commit also took a connection from the pool, switched it to autocommit and back, and went through SQLAlchemy's
layers: 0.23 ms of an idle server's 0.73, and in a 10,000-push pass the commit's median 1.8-2.2 -> 1.5-1.7 ms and
the pass 2,066-2,417 -> 2,287-2,680 msg/s with this connection instead (benchmarks/README.md). One connection, one
commit at a time: a process's passes share it, as its statements take ~0.5 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg
from sqlalchemy.engine import URL

from bot.store.delivery_sql import held_rows


class PgJournalConnection:
    def __init__(self, url: URL) -> None:
        # psycopg takes the same URL without SQLAlchemy's driver name; its password is never printed from here.
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def rows(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Run one statement in its own transaction and return its rows (planned afresh: see `held_rows`)."""
        async with self._lock:
            connection = self._connection
            if connection is None:
                connection = self._connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            try:
                return await held_rows(connection, sql, params)
            except BaseException:
                # The server went away, or the statement was cancelled midway: the next commit starts afresh.
                self._connection = None
                with contextlib.suppress(Exception):
                    await connection.close()
                raise

    async def close(self) -> None:
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                await connection.close()
