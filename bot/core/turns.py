"""Commands from different chats at once, but each chat's in the order they came.

Both platforms' clients run events concurrently (PTB's update processor, discord.py's task per interaction), so a
quick "/subscribe" then "/done" in one chat could otherwise race each other; one slow reply must not hold up
every other chat either.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class PerChatOrder:
    def __init__(self) -> None:
        # chat -> (lock, how many tasks hold or wait for it); dropped when nobody does.
        self._chats: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, address: Hashable) -> AsyncIterator[None]:
        """Wait for the chat's earlier events to be handled, then hold its turn."""
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
