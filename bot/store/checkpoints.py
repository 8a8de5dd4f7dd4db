"""SQLite's WAL checkpoints on a thread of their own, so that no commit of ours waits for one.

By default the connection whose commit takes the WAL past 1,000 pages copies the WAL into the database file
(and syncs it) before that commit returns. A delivery claim rewrites ~1,000 rows scattered over as many pages,
so nearly every claim's commit paid a ~4 MB checkpoint: 17-27 ms of its ~60 ms (benchmarks/README.md,
benchmark 3). Here our connections leave checkpoints to a task that runs a PASSIVE one on its own connection
whenever the WAL was written since the last: it never waits for readers or writers, and they never wait for it.
Small and often (every quarter second) measured better than every second: each one's sync of the database file
is shorter, and so is the commit that has to share the disk with it. The connections' own automatic checkpoint
stays as a backstop, at a WAL of `BACKSTOP_PAGES`, for a process that runs no such task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 16_000  # 64 MB of 4 KiB pages: only reached if the checkpoint task stopped or fell behind
EVERY_SECONDS = 0.25


class Checkpoints:
    """`start()` in a running event loop; `await close()` before the process ends."""

    def __init__(self, path: str, every: float = EVERY_SECONDS) -> None:
        self.path = path
        self.every = every
        self._connection: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._turn: asyncio.Future[tuple[int, int, int]] | None = None  # the checkpoint on its thread, if any
        self._written: int | None = None  # the WAL's modification time at the last checkpoint

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sqlite-checkpoints")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            written = self._wal_written()
            if written is None or written == self._written:
                continue  # nothing new: an idle process does not wake a thread
            self._written = written
            self._turn = asyncio.get_running_loop().run_in_executor(None, self.checkpoint)
            try:
                await asyncio.shield(self._turn)
            except sqlite3.Error as exc:  # a locked or missing file: the next turn tries again
                log.debug("WAL checkpoint skipped: %s", exc)

    def _wal_written(self) -> int | None:
        try:
            return os.stat(f"{self.path}-wal").st_mtime_ns
        except OSError:  # no WAL yet (or any more): nothing to copy
            return None

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (1 if it could not run, frames in the WAL, frames now in the database file)."""
        if self._connection is None:
            # Never opened on the event loop's thread; used by one thread at a time (the task awaits each turn).
            self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        busy, frames, done = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(done)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._turn is not None:  # its thread still holds the connection: let it finish first
            with contextlib.suppress(Exception):
                await self._turn
            self._turn = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
