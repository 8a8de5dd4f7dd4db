"""What the process knows of a platform's adapter: it starts, it stops, it has an outbound gateway, and starting
fails in one of two ways the process handles differently."""

from __future__ import annotations

from typing import Protocol

from bot.core.ports import ChatGateway


class PlatformUnreachable(Exception):
    """The platform could not be reached (network, 5xx): try again later. The message never holds a secret."""


class TokenRejected(Exception):
    """The platform refused the bot's token: nothing will work until the operator fixes the setting named in the
    message (which never holds the token)."""


class PlatformPart(Protocol):
    """One platform's side of a process: just the sending side (`studybot deliver`), or sending and receiving."""

    @property
    def gateway(self) -> ChatGateway:
        """Sends once `start` has returned."""
        ...

    async def start(self) -> None:
        """Connect as far as the process needs; raises PlatformUnreachable or TokenRejected, leaving nothing
        open, so that it can be called again."""
        ...

    async def stop(self) -> None:
        """Disconnect; safe to call after a failed start."""
        ...
