"""Keys every process on one database shares: the first to ask makes the key, everyone (racing or later) gets that
one."""

from __future__ import annotations

import asyncio
from itertools import count

from bot.core.clock import ManualClock
from bot.store.engine import make_engine
from bot.store.store import SqlStore


async def test_racing_processes_all_get_the_one_key_kept(database_url: str, clock: ManualClock) -> None:
    made = count()
    stores = [SqlStore(make_engine(database_url)) for _ in range(4)]
    try:
        keys = await asyncio.gather(*(s.shared_secret("dashboard", lambda: f"key-{next(made)}", clock.now())
                                      for s in stores))  # fmt: skip
        assert len(set(keys)) == 1 and keys[0].startswith("key-")
        again = await stores[0].shared_secret("dashboard", lambda: "never", clock.now())
        assert again == keys[0]
        assert await stores[1].shared_secret("other", lambda: "second", clock.now()) == "second"
    finally:
        for store in stores:
            await store.close()
