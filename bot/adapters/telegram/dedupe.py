"""Each Telegram update is handled once: Telegram may deliver an update_id again (a webhook retried after a slow
answer, a poller that restarted before confirming its offset), and handling it twice answers twice.

An in-memory record of recent ids serves long polling (one poller per bot: Telegram refuses a second); replicas
sharing a webhook record ids in the database instead (bot.core.updates.HandledUpdates, the same `first` call),
before the update is queued (bot.adapters.telegram.webhook).
"""

from __future__ import annotations

from collections import OrderedDict


class SeenUpdates:
    """The last `remember` update ids handled by this process."""

    def __init__(self, remember: int = 100_000) -> None:
        self.remember = remember
        self._ids: OrderedDict[int, None] = OrderedDict()

    async def first(self, update_id: int) -> bool:
        """True the first time an update id is seen, False on any repeat."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        if len(self._ids) > self.remember:
            self._ids.popitem(last=False)
        return True
