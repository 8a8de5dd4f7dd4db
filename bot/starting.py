"""Starting and stopping a process's platforms: each is tried until it connects, with backoff (one log line per
attempt), while the rest of the process runs; a platform that refuses its token stops the process with exit code 2.
`run`, `worker` and `web` share it; they and `broadcast` stop cleanly on SIGTERM and Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def stopped_by_signals(stopping: Callable[[], object]) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT (Ctrl-C) call `stopping` (an event's `set`, say) rather than kill the
    process mid-write."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping)
    try:
        yield
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


class Startup:
    """Starts platforms until they connect; remembers whether one refused its token."""

    def __init__(self, gateways: Gateways, runner: Wakes, stop: asyncio.Event,
                 parts: Sequence[PlatformPart] = ()) -> None:  # fmt: skip
        self.gateways = gateways
        self.runner = runner
        self.stop = stop
        self.parts = tuple(parts)
        self.exit_code = 0
        self._starting: list[asyncio.Task[None]] = []

    def start_all(self) -> None:
        """Start every platform in the background: the process serves while they connect."""
        self._starting = [asyncio.create_task(self.keep_starting(part)) for part in self.parts]

    async def stop_starting(self) -> None:
        """Give up on the platforms still trying to connect."""
        for task in self._starting:
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)

    async def stop_all(self) -> None:
        """Disconnect and stop every platform, the last started first."""
        for part in reversed(self.parts):
            self.gateways.disconnected(part.gateway)
            await part.stop()

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
