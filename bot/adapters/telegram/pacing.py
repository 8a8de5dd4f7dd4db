"""Telegram's rate limits, and the moment a request goes on the wire.

PTB's AIORateLimiter paces the overall and per-group rates; ChatPacer adds Telegram's one message a second per
chat, which AIORateLimiter does not enforce. WireLimiter wraps both so that the delivery ledger hears of a send
only after every wait, right before its request leaves: a push that is still waiting for its slot when the
process stops (or the database goes away) has not gone out, and is given back instead of written off.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.core.metering import NO_METER, Meter
from bot.core.ports import OnWire

# Just under Telegram's limits, so that no window ever holds one message too many.
OVERALL_PER_SECOND = 29.5
# Telegram's ordinary limit; a budget above it is only allowed as paid broadcasts (up to 1,000 a second).
FREE_PER_SECOND = 30.0
GROUP_PER_MINUTE = 19.5
# A send whose ledger mark took longer than this (the database was slow or away) has missed its paced slot and
# takes a fresh one: otherwise every sender held up by an outage would go out at once when it ends (measured:
# 7 × 429 from 16 senders after a 30 s outage).
LAPSED_SLOT_SECONDS = 0.5
# Above the free limit (paid broadcasts, up to 1,000 a second), a request that leaves late may make up for it within
# this much: otherwise each wake-up of a busy event loop (0.1-0.3 ms) is lost for good, and 1,000 msg/s paced
# measured 830-860 msg/s. The spacing widens by the same share, plus a margin for the jitter between leaving and
# arriving (at 0.5% the server saw up to 998 in a second), so that no 1 s window holds more than the budget.
CATCH_UP_SECONDS = 0.01
ARRIVAL_JITTER_SECONDS = 0.01

# A wait shorter than this is no wait worth counting (the metric counts requests the limiter held back).
COUNTED_WAIT = 0.001
PLATFORM = "telegram"

JSON = bool | dict[str, Any] | list[dict[str, Any]]


class ChatPacer:
    """Telegram's one-message-a-second-per-chat limit."""

    def __init__(self, per_second: float = 1.0, remember: int = 10_000, *, meter: Meter = NO_METER) -> None:
        self.per_second = per_second
        self.remember = remember
        self.meter = meter
        self._limiters: OrderedDict[str, AsyncLimiter] = OrderedDict()

    async def wait(self, chat_id: str) -> None:
        limiter = self._limiters.pop(chat_id, None) or AsyncLimiter(1, 1 / self.per_second)
        self._limiters[chat_id] = limiter
        if len(self._limiters) > self.remember:
            self._limiters.popitem(last=False)
        if limiter.has_capacity():
            await limiter.acquire()
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        await limiter.acquire()
        self.meter.rate_limit_wait(PLATFORM, loop.time() - started)


class _SlotLapsed(Exception):
    pass


class Departures:
    """Keeps requests at least one slot apart as they leave. The slot a request was paced into may have passed while
    its ledger mark was written, and the marks of several senders written in one commit would otherwise let their
    requests leave together (measured: bursts of 3 to 15 where a worker's first commits were slow, and 429s).
    Spaced by planned times, so that oversleeping never adds up to a slower rate."""

    def __init__(self, per_second: float, catch_up: float = 0.0) -> None:
        margin = ARRIVAL_JITTER_SECONDS if catch_up else 0.0
        self.gap = (1 + catch_up + margin) / per_second
        self.catch_up = catch_up
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            # Its planned time, unless that is more than `catch_up` past: then as if planned that long ago.
            leave = max(self._next, now - self.catch_up)
            if leave > now:
                await asyncio.sleep(leave - now)
            self._next = leave + self.gap


class WireLimiter(BaseRateLimiter[OnWire]):
    """PTB's rate limiter hook: paces requests (when `pace`), then awaits the call's `rate_limit_args`, an OnWire
    hook, just before the request is made. The hook is idempotent: a request retried after a 429, or paced again
    because its mark took too long, calls it again."""

    def __init__(self, *, pace: bool, per_second: float = OVERALL_PER_SECOND, meter: Meter = NO_METER) -> None:
        self.meter = meter
        self.pacer: AIORateLimiter | None = None
        self.departures: Departures | None = None
        if pace:
            catch_up = CATCH_UP_SECONDS if per_second > FREE_PER_SECOND else 0.0
            self.departures = Departures(per_second, catch_up)
            # Telegram counts 30 msg/s and 20/min per group over sliding windows, so space messages evenly (a
            # bucket that allows a 30-message burst earns 429s); a 429 pauses every request, then retries. Paid
            # broadcasts' bucket holds the catch-up's few slots, so that it does not lose what Departures makes up.
            burst = max(1, round(per_second * catch_up))
            self.pacer = AIORateLimiter(
                overall_max_rate=burst,
                overall_time_period=burst / per_second,
                group_max_rate=1,
                group_time_period=60 / GROUP_PER_MINUTE,
                max_retries=3,
            )

    async def initialize(self) -> None:
        if self.pacer is not None:
            await self.pacer.initialize()

    async def shutdown(self) -> None:
        if self.pacer is not None:
            await self.pacer.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: OnWire | None,
    ) -> JSON:
        loop = asyncio.get_running_loop()
        # As AIORateLimiter's overall limit: calls to no chat (answering a button press) are not counted.
        departures = self.departures if data.get("chat_id") is not None else None
        requested, meter = loop.time(), self.meter

        async def on_the_wire(*call_args: Any, **call_kwargs: Any) -> JSON:
            nonlocal requested
            if (waited := loop.time() - requested) >= COUNTED_WAIT:
                meter.rate_limit_wait(PLATFORM, waited)
            if rate_limit_args is not None:
                started = loop.time()
                await rate_limit_args()
                if self.pacer is not None and loop.time() - started > LAPSED_SLOT_SECONDS:
                    requested = loop.time()  # the fresh slot's wait counts from here
                    raise _SlotLapsed
            if departures is not None:
                await departures.wait()
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                meter.rate_limited(PLATFORM)
                requested = loop.time()  # AIORateLimiter waits and tries again
                raise

        if self.pacer is None:
            return await on_the_wire(*args, **kwargs)
        # AIORateLimiter lets paid broadcasts through in bursts of up to 1,000, past the group limit too: pace them
        # evenly at the budget like any other message (the request itself still carries the flag).
        paced = {key: value for key, value in data.items() if key != "allow_paid_broadcast"}
        while True:
            try:
                return await self.pacer.process_request(on_the_wire, args, kwargs, endpoint, paced, None)
            except _SlotLapsed:
                continue  # marked by now, so the hook returns at once after the next slot
