"""`studybot deliver`: one delivery pass from cron, sending through every platform whose token is set.

Each platform's sending side only (no polling, no gateway session); a platform that cannot be reached or whose
token is refused leaves its pushes due for the next run, while the others are sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.adapters.lifecycle import PlatformPart, PlatformUnreachable, TokenRejected
from bot.bootstrap import Role, build
from bot.core.clock import ManualClock
from bot.settings import Settings

log = logging.getLogger(__name__)


async def deliver_once(
    settings: Settings, now: datetime, say: Callable[[str], object], complain: Callable[[str], object]
) -> int:
    """Send everything due by `now`; returns the exit code: 0; 1 if anything failed or a platform was unreachable;
    2 if no token is set or one was refused."""
    if settings.telegram_token is None and settings.discord_token is None:
        complain("No platform token is set (STUDYBOT_TELEGRAM_TOKEN, STUDYBOT_DISCORD_TOKEN): nothing can be sent.")
        return 2
    process = await build(settings, Role.DELIVER, clock=ManualClock(now))
    app = process.app
    started: list[PlatformPart] = []
    code = 0
    try:
        for part in process.platforms:
            try:
                await part.start()
            except TokenRejected as exc:
                complain(f"✗ {exc}")
                code = 2
                continue
            except PlatformUnreachable as exc:
                complain(f"✗ {exc}; its pushes stay due for the next run")
                code = code or 1
                continue
            started.append(part)
            app.gateways.connected(part.gateway)
        report = await app.delivery.run_pass()
    finally:
        for part in started:
            app.gateways.disconnected(part.gateway)
            await part.stop()
        await process.close()
    say(
        f"claimed {report.claimed}, sent {report.sent}, failed {report.failed}, skipped {report.skipped}, "
        f"cannot post {report.cannot_post}, deactivated {report.deactivated}, unknown {report.uncertain}, "
        f"wrap-ups {report.wrap_ups}"
    )
    if report.claim_error:
        complain(f"✗ the database refused a claim: {report.claim_error}")
    if report.failed or report.uncertain or report.claim_error:
        code = code or 1
    return code
