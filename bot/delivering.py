"""`studybot deliver`: one delivery pass from cron, sending through every platform whose token is set.

Each platform's sending side only (no polling, no gateway session); a platform that cannot be reached or whose
token is refused leaves its pushes due for the next run, while the others are sent.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from bot.adapters.lifecycle import PlatformPart, PlatformUnreachable, TokenRejected
from bot.bootstrap import Process, Role, build
from bot.core.clock import ManualClock
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Started:
    """The platforms whose sending side started, and the exit code of those that did not."""

    parts: list[PlatformPart] = field(default_factory=list)
    code: int = 0

    @property
    def platforms(self) -> set[str]:
        return {part.gateway.platform for part in self.parts}


@asynccontextmanager
async def sending(process: Process, complain: Callable[[str], object]) -> AsyncIterator[Started]:
    """Start each platform's sending side and connect its gateway until the block ends. One that refuses its token
    (exit code 2) or cannot be reached (1) is named and left out: its pushes stay due, with no attempt spent."""
    app = process.app
    started = Started()
    try:
        for part in process.platforms:
            try:
                await part.start()
            except TokenRejected as exc:
                complain(f"✗ {exc}")
                started.code = 2
                continue
            except PlatformUnreachable as exc:
                complain(f"✗ {exc}; its pushes stay due for the next run")
                started.code = started.code or 1
                continue
            started.parts.append(part)
            app.gateways.connected(part.gateway)
        yield started
    finally:
        for part in started.parts:
            app.gateways.disconnected(part.gateway)
            await part.stop()


async def deliver_once(
    settings: Settings, now: datetime, say: Callable[[str], object], complain: Callable[[str], object]
) -> int:
    """Send everything due by `now`; returns the exit code: 0; 1 if anything failed or a platform was unreachable;
    2 if no token is set or one was refused."""
    if settings.telegram_token is None and settings.discord_token is None:
        complain("No platform token is set (STUDYBOT_TELEGRAM_TOKEN, STUDYBOT_DISCORD_TOKEN): nothing can be sent.")
        return 2
    process = await build(settings, Role.DELIVER, clock=ManualClock(now))
    try:
        async with sending(process, complain) as started:
            report = await process.app.delivery.run_pass()
    finally:
        await process.close()
    code = started.code
    say(
        f"claimed {report.claimed}, sent {report.sent}, failed {report.failed}, skipped {report.skipped}, "
        f"cannot post {report.cannot_post}, deactivated {report.deactivated}, unknown {report.uncertain}, "
        f"wrap-ups {report.wrap_ups}, announcements {report.broadcasts}"
    )
    if report.claim_error:
        complain(f"✗ the database refused a claim: {report.claim_error}")
    if report.failed or report.uncertain or report.claim_error:
        code = code or 1
    return code
