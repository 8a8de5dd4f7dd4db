"""Starting a process's platforms: each is tried until it connects, with backoff (one log line per attempt), while
the rest of the process runs; a platform that refuses its token stops the process with exit code 2."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from bot.adapters.lifecycle import PlatformPart, PlatformUnreachable, TokenRejected
from bot.core.gateways import Gateways

log = logging.getLogger(__name__)

TOKEN_REJECTED = 2
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 60.0


class Wakes(Protocol):
    def wake(self) -> None:
        """A platform has just connected: its pushes that waited may go out now."""
        ...


class Startup:
    """Starts platforms until they connect; remembers whether one refused its token."""

    def __init__(self, gateways: Gateways, runner: Wakes, stop: asyncio.Event) -> None:
        self.gateways = gateways
        self.runner = runner
        self.stop = stop
        self.exit_code = 0

    async def keep_starting(self, part: PlatformPart) -> None:
        delay, attempt = FIRST_RETRY_SECONDS, 1
        platform = part.gateway.platform
        while True:
            try:
                await part.start()
            except TokenRejected as exc:
                log.error("%s", exc)
                self.exit_code = TOKEN_REJECTED
                self.stop.set()
                return
            except PlatformUnreachable as exc:
                log.warning("%s (attempt %d); trying again in %.0f s", exc, attempt, delay)
                await asyncio.sleep(delay)
                delay, attempt = min(delay * 2, LONGEST_RETRY_SECONDS), attempt + 1
                continue
            self.gateways.connected(part.gateway)
            self.runner.wake()  # its pushes that waited go out now
            if attempt > 1:
                log.info("%s: connected after %d attempts", platform, attempt)
            return
