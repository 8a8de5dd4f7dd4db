"""The outbound gateways of the platforms this process can send to right now, by platform name.

An adapter's gateway joins once its platform accepted the connection and leaves when the adapter stops; the
delivery pass claims only what a connected platform can send, so a platform that is down leaves its pushes due.
"""

from __future__ import annotations

from bot.core.metering import Meter, MeteredGateway
from bot.core.ports import ChatGateway


class Gateways:
    def __init__(self, *connected: ChatGateway, meter: Meter | None = None) -> None:
        # With a meter, what goes out through this registry (the delivery pass's pushes) is counted.
        self.meter = meter
        self._connected: dict[str, ChatGateway] = {}
        self._given: dict[str, ChatGateway] = {}
        for gateway in connected:
            self.connected(gateway)

    def connected(self, gateway: ChatGateway) -> None:
        """`gateway` can send from now on."""
        self._given[gateway.platform] = gateway
        self._connected[gateway.platform] = gateway if self.meter is None else MeteredGateway(gateway, self.meter)

    def disconnected(self, gateway: ChatGateway) -> None:
        """`gateway` can send no more (a newer gateway of the same platform is left alone)."""
        if self._given.get(gateway.platform) is gateway:
            del self._connected[gateway.platform], self._given[gateway.platform]

    def get(self, platform: str) -> ChatGateway | None:
        return self._connected.get(platform)

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(self._connected)

    def __contains__(self, platform: object) -> bool:
        return platform in self._connected
