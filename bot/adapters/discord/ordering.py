"""Handle interactions from different chats at once, but each chat's in the order they came.

discord.py runs every interaction as its own task, so a quick "/subscribe" then "/done" in one channel could
otherwise race each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.model import Address


class PerChatOrder:
    def __init__(self) -> None:
        # chat -> (lock, how many tasks hold or wait for it); dropped when nobody does.
        self._chats: dict[Address, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, address: Address) -> AsyncIterator[None]:
        lock, users = self._chats.get(address, (asyncio.Lock(), 0))
        self._chats[address] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._chats[address]
            if users == 1:
                del self._chats[address]
            else:
                self._chats[address] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._chats)
