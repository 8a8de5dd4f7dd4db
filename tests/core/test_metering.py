"""Pushes are counted where they leave: through the Gateways registry with a meter, each send is sent, failed (by
reason) or unknown; one stopped before its request went on the wire is not counted; without a meter nothing wraps."""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest

from bot.core.gateways import Gateways
from bot.core.metering import NoMeter
from bot.core.ports import CannotPost, ChatUnreachable, SendUncertain, TemporaryFailure
from bot.core.replies import TextReply
from tests.support import RecordingGateway


class CountingMeter(NoMeter):
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def push_sent(self, platform: str) -> None:
        self.counts["sent", platform, ""] += 1

    def push_failed(self, platform: str, reason: str) -> None:
        self.counts["failed", platform, reason] += 1

    def push_unknown(self, platform: str, reason: str) -> None:
        self.counts["unknown", platform, reason] += 1


class Stopped(Exception):
    """What the delivery pass raises from its on-the-wire hook when it stops before sending."""


async def test_each_push_is_counted_by_outcome_and_reason() -> None:
    meter, gateway = CountingMeter(), RecordingGateway(unreachable={"gone"}, muted={"muted"}, failing=1)
    gateways = Gateways(meter=meter)
    gateways.connected(gateway)
    metered = gateways.get("test")
    assert metered is not None and metered is not gateway
    reply = TextReply("hi")
    for chat in ("flaky", "gone", "muted", "ok"):
        with contextlib.suppress(TemporaryFailure, ChatUnreachable, CannotPost):
            await metered.send(chat, reply)

    async def uncertain() -> None:
        raise SendUncertain("timed out after sending")

    gateway.on_the_wire = lambda chat: uncertain()
    with pytest.raises(SendUncertain):
        await metered.send("late", reply)
    gateway.on_the_wire = None

    async def stop() -> None:
        raise Stopped

    with pytest.raises(Stopped):
        await metered.send("never", reply, on_wire=stop)
    assert meter.counts == Counter({("failed", "test", "temporary"): 1, ("failed", "test", "gone"): 1,
                                    ("failed", "test", "muted"): 1, ("sent", "test", ""): 1,
                                    ("unknown", "test", "timeout"): 1})  # fmt: skip
    gateways.disconnected(gateway)
    assert gateways.get("test") is None


def test_without_a_meter_the_registry_hands_out_the_gateway_itself() -> None:
    gateway = RecordingGateway()
    assert Gateways(gateway).get("test") is gateway
