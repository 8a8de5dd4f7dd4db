"""Each platform update handled once, however many processes receive it: Telegram sends an update again when its
webhook got no 2xx in time, and replicas behind a load balancer may each get a copy. The ids go to the store
(`UpdateLog`), shared by every process on the database; concurrent updates share one statement
(`bot.core.batching`), and records older than Telegram's retention are pruned as the log is used.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.batching import Batcher
from bot.core.ports import Clock, UpdateLog

log = logging.getLogger(__name__)
# Telegram keeps an update it could not deliver for up to a day: remember ids a little longer than that.
KEEP = timedelta(hours=25)
PRUNE_EVERY = timedelta(minutes=10)


class HandledUpdates:
    """`await updates.first(update_id)`: True for the one caller, in any process, that handles the update."""

    def __init__(
        self,
        log: UpdateLog,
        clock: Clock,
        platform: str,
        *,
        keep: timedelta = KEEP,
        prune_every: timedelta = PRUNE_EVERY,
    ) -> None:
        self.log = log
        self.clock = clock
        self.platform = platform
        self.keep = keep
        self.prune_every = prune_every
        self._pruned: datetime | None = None
        self._batcher: Batcher[int, bool] = Batcher(self._record)

    async def first(self, update_id: int) -> bool:
        """Record the update as handled; False if some process (this one included) already had."""
        return await self._batcher.get(update_id)

    async def _record(self, update_ids: list[int]) -> list[bool]:
        now = self.clock.now()
        new = await self.log.first(self.platform, update_ids, now)
        if self._pruned is None or now - self._pruned >= self.prune_every:
            self._pruned = now
            try:
                await self.log.forget(now - self.keep)
            except Exception as exc:  # recorded already: failing now would drop these updates as repeats
                log.warning("could not prune old update ids: %s", exc)
        answers = []
        for update_id in update_ids:
            # The same id twice in one batch: only its first caller handles it.
            answers.append(update_id in new)
            new.discard(update_id)
        return answers
