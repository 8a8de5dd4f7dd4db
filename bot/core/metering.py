"""What a process reports about its work, for its operator's metrics: the adapters and the delivery path call a
Meter, and `bot.web.metrics` implements it with prometheus-client. The core itself stays library-free: a process
without a web server gets NO_METER, which does nothing.

Pushes are counted where they leave, at the platforms' gateways as the delivery pass reaches them through the
Gateways registry (`MeteredGateway`); replies to commands go out through each adapter's own gateway and are not
pushes.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.ports import (
    CannotPost,
    ChatGateway,
    ChatMoved,
    ChatUnreachable,
    OnWire,
    SendUncertain,
    TemporaryFailure,
)
from bot.core.replies import Reply

# Why a push failed, as the `reason` of a failed push (a CannotPost's own reason names how it cannot post).
GONE = "gone"
TEMPORARY = "temporary"
MOVED = "moved"
ERROR = "error"
TIMEOUT = "timeout"


class Meter(Protocol):
    def push_sent(self, platform: str) -> None:
        """A push (a day's topic or a weekly wrap-up) went out."""
        ...

    def push_failed(self, platform: str, reason: str) -> None:
        """A push was refused or could not be sent (`reason`: gone, temporary, moved, muted, permissions, ...)."""
        ...

    def push_unknown(self, platform: str, reason: str) -> None:
        """A push may or may not have arrived (a timeout after sending): it is never sent again."""
        ...

    def command(self, platform: str, command: str) -> None:
        """A typed command or a button press was handled (`command`: its name, "button:<verb>", "unknown", "text")."""
        ...

    def reply(self, platform: str, seconds: float) -> None:
        """An update was answered: `seconds` from the bot receiving it to its replies having been sent."""
        ...

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        """A request waited `seconds` for a rate limiter's slot before it left."""
        ...

    def rate_limited(self, platform: str) -> None:
        """The platform answered 429 (too many requests)."""
        ...

    def duplicate_update(self, platform: str) -> None:
        """An update that some process had already handled came again, and was dropped."""
        ...


class NoMeter:
    """Reports nowhere: a process without a web server."""

    def push_sent(self, platform: str) -> None:
        pass

    def push_failed(self, platform: str, reason: str) -> None:
        pass

    def push_unknown(self, platform: str, reason: str) -> None:
        pass

    def command(self, platform: str, command: str) -> None:
        pass

    def reply(self, platform: str, seconds: float) -> None:
        pass

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        pass

    def rate_limited(self, platform: str) -> None:
        pass

    def duplicate_update(self, platform: str) -> None:
        pass


NO_METER: Meter = NoMeter()


class MeteredGateway:
    """A platform's gateway whose every send is counted as a push: sent, failed (by reason) or unknown. A send that
    stopped before its request went on the wire (the pass stopping, its claim lost) is not counted: nothing left."""

    def __init__(self, inner: ChatGateway, meter: Meter) -> None:
        self.inner = inner
        self.meter = meter
        self.platform = inner.platform

    async def send(self, chat_id: str, reply: Reply, *, on_wire: OnWire | None = None) -> str:
        reached = False

        async def marked() -> None:
            nonlocal reached
            if on_wire is not None:
                await on_wire()
            reached = True

        meter, platform = self.meter, self.platform
        try:
            message_id = await self.inner.send(chat_id, reply, on_wire=marked)
        except SendUncertain:
            meter.push_unknown(platform, TIMEOUT)
            raise
        except CannotPost as exc:
            meter.push_failed(platform, exc.reason)
            raise
        except ChatUnreachable:
            meter.push_failed(platform, GONE)
            raise
        except ChatMoved:
            meter.push_failed(platform, MOVED)
            raise
        except TemporaryFailure:
            meter.push_failed(platform, TEMPORARY)
            raise
        except Exception:
            if reached:
                meter.push_failed(platform, ERROR)
            raise
        meter.push_sent(platform)
        return message_id

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        await self.inner.edit(chat_id, message_id, reply)

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        return await self.inner.is_admin(chat_id, user_id)
