"""`studybot broadcast`: an operator's announcement to every active subscriber (or one platform's, or one kind of
chat's), through the delivery ledger: one row per recipient (bot/store/announcements.py), sent by ordinary delivery
passes, so it is paced, resumable and exactly-once as pushes are.

The command stores the announcement and its rows, then makes passes until none of its rows is left to send here,
printing progress. Stopped or killed, it is run again (the same text, or --resume ID) and sends only what had not gone
out. With --queue it only stores them, for `run` (or the next `deliver`) to send. In a fleet (STUDYBOT_FLEET) the
workers hold each token's one send budget, so the command never sends: it stores the announcement and follows the
workers' progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.bootstrap import Process, Role, build
from bot.core import render
from bot.core.fitting import Measure, utf16_len
from bot.core.i18n import LANGUAGES, messages
from bot.core.model import Announcement
from bot.core.ports import Clock
from bot.delivering import sending
from bot.settings import Settings
from bot.starting import stopped_by_signals
from bot.store.announcements import Audience, Progress, SqlAnnouncements
from bot.store.engine import make_engine
from bot.store.migrate import at_head

log = logging.getLogger(__name__)
Say = Callable[[str], object]
PROGRESS_SECONDS = 5.0
POLL_SECONDS = 1.0
# In a fleet, how many delivery intervals without a send before the command asks whether any worker runs.
NO_PROGRESS_INTERVALS = 4
BAD_INPUT = 2


class Platform(StrEnum):
    TELEGRAM = "telegram"
    DISCORD = "discord"


def limits() -> dict[str, tuple[int, Measure, str]]:
    """What one message holds on each platform, measured as the platform measures (Telegram: UTF-16 units of the text
    after its markup is parsed, so escaping costs nothing; Discord: characters of the content)."""
    # The platforms' own modules know their limits; they import the platform libraries, so only when needed.
    from bot.adapters.discord.format import TEXT_LIMIT as DISCORD_TEXT_LIMIT
    from bot.adapters.telegram.format import TEXT_LIMIT as TELEGRAM_TEXT_LIMIT

    return {
        Platform.TELEGRAM: (TELEGRAM_TEXT_LIMIT, utf16_len, "a Telegram message"),
        Platform.DISCORD: (DISCORD_TEXT_LIMIT, len, "a Discord message"),
    }


@dataclass(frozen=True)
class Request:
    text: str | None
    audience: Audience
    dry_run: bool = False
    queue: bool = False
    resume: int | None = None
    new: bool = False


def problems(text: str, platforms: set[str]) -> list[str]:
    """Why `text` cannot go to chats of `platforms` as one message (with its heading, in the longest language)."""
    if not text.strip():
        return ["the announcement is empty"]
    found = []
    holding = limits()
    for platform in sorted(platforms & set(holding)):
        limit, measure, holds = holding[platform]
        longest = max(measure(render.announcement(messages(language), text).text) for language in LANGUAGES)
        if longest > limit:
            found.append(f"the announcement is {longest:,} characters with its heading, and {holds} holds "
                         f"{limit:,}: shorten it by {longest - limit:,}")  # fmt: skip
    return found


def _recipients(counts: dict[tuple[str, str], int]) -> str:
    return ", ".join(f"{platform} {kind} {n:,}" for (platform, kind), n in counts.items()) or "none"


async def dry_run(settings: Settings, request: Request, say: Say, complain: Say) -> int:
    """Who would get it and what they would read; nothing is stored or sent."""
    assert request.text is not None
    url = settings.database_url.get_secret_value()
    if not await asyncio.to_thread(at_head, url):
        complain("The database schema is not up to date: run `studybot migrate` first.")
        return BAD_INPUT
    engine = make_engine(url)
    try:
        counts = await SqlAnnouncements(engine).audience(request.audience)
    finally:
        await engine.dispose()
    if reasons := problems(request.text, {platform for platform, _ in counts}):
        for reason in reasons:
            complain(f"✗ {reason}")
        return BAD_INPUT
    say(f"would go to {sum(counts.values()):,} chats ({_recipients(counts)}); nothing was stored or sent")
    for language in LANGUAGES:
        say(f"--- as a chat in {language} reads it ---")
        say(render.announcement(messages(language), request.text).text)
    return 0


async def broadcast_once(
    settings: Settings, request: Request, say: Say, complain: Say, *, clock: Clock | None = None
) -> int:
    """Store (or find) the announcement and send it; returns the exit code: 0 when none of its rows is left to send,
    1 when some are (a platform without its token here, failures retried later, or stopped), 2 for bad input or a
    refused token."""
    if request.dry_run:
        return await dry_run(settings, request, say, complain)
    if not request.queue and not settings.fleet and settings.telegram_token is None and settings.discord_token is None:
        complain("No platform token is set (STUDYBOT_TELEGRAM_TOKEN, STUDYBOT_DISCORD_TOKEN): nothing can be sent. "
                 "--queue stores the announcement for `studybot run` to send.")  # fmt: skip
        return BAD_INPUT
    process = await build(settings, Role.DELIVER, clock=clock)
    try:
        announcements = SqlAnnouncements(process.app.store.engine)
        announcement = await _announcement(announcements, request, process, say, complain)
        if announcement is None:
            return BAD_INPUT
        if request.queue:
            say(f"queued: `studybot run` sends it within STUDYBOT_DELIVERY_INTERVAL_SECONDS (or the fleet's workers, "
                f"or the next `studybot deliver`); `studybot broadcast --resume {announcement.id}` sends what is "
                "left from here")  # fmt: skip
            return 0
        if settings.fleet:
            patience = NO_PROGRESS_INTERVALS * settings.delivery_interval_seconds
            return await _follow(process, announcements, announcement.id, say, complain, patience)
        return await _send(process, announcements, announcement.id, say, complain)
    finally:
        await process.close()


async def _announcement(
    announcements: SqlAnnouncements, request: Request, process: Process, say: Say, complain: Say
) -> Announcement | None:
    now = process.app.clock.now()
    if request.resume is not None:
        found = await announcements.get(request.resume)
        if found is None:
            complain(f"There is no announcement #{request.resume}.")
        else:
            say(f"continuing announcement #{found.id} of {found.created_at:%Y-%m-%d %H:%M} UTC")
        return found
    assert request.text is not None
    same = None if request.new else await announcements.same(request.text, request.audience)
    if same is not None:
        say(f"continuing announcement #{same.id} of {same.created_at:%Y-%m-%d %H:%M} UTC: the same text to the same "
            "chats (--new sends it again, as a new announcement)")  # fmt: skip
        return same
    counts = await announcements.audience(request.audience)
    if reasons := problems(request.text, {platform for platform, _ in counts}):
        for reason in reasons:
            complain(f"✗ {reason}")
        return None
    created = await announcements.create(request.text, request.audience, now)
    say(f"announcement #{created.id}: {created.recipients:,} chats ({_recipients(counts)})")
    return created


async def _send(
    process: Process, announcements: SqlAnnouncements, announcement_id: int, say: Say, complain: Say
) -> int:
    app = process.app
    stop = asyncio.Event()

    def stopping() -> None:
        app.delivery.stop()  # the pass in flight finishes its sends and hands the rest back
        stop.set()

    reporter = asyncio.create_task(_report(announcements, announcement_id, say))
    try:
        with stopped_by_signals(stopping):
            async with sending(process, complain) as started:
                here = started.platforms
                while not stop.is_set():
                    await app.delivery.run_pass()
                    await announcements.drop_unsubscribed(announcement_id, app.clock.now())
                    progress = await announcements.progress(announcement_id)
                    # Rows another process holds are waited for: it sends them, or its lease runs out and a pass
                    # here takes them over.
                    if not any(progress.claimed.get(platform) for platform in here):
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), POLL_SECONDS)
    finally:
        reporter.cancel()
    progress = await announcements.progress(announcement_id)
    say(progress.line(announcement_id))
    stopped = f"stopped: `studybot broadcast --resume {announcement_id}` sends the rest, and nothing twice"
    return _left(progress, announcement_id, here, complain, stopped if stop.is_set() else None) or started.code


async def _follow(
    process: Process, announcements: SqlAnnouncements, announcement_id: int, say: Say, complain: Say, patience: float
) -> int:
    """In a fleet: the workers send the announcement (each token's budget is theirs); this follows them until none of
    its rows waits."""
    app = process.app
    say("in a fleet the workers send it, within each bot token's one budget; following their progress")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    reporter = asyncio.create_task(_report(announcements, announcement_id, say))
    last_sent, since, warned = -1, loop.time(), False
    try:
        with stopped_by_signals(stop.set):
            while not stop.is_set():
                await announcements.drop_unsubscribed(announcement_id, app.clock.now())
                progress = await announcements.progress(announcement_id)
                if not progress.claimed:
                    break
                if progress.sent != last_sent:
                    last_sent, since = progress.sent, loop.time()
                elif not warned and loop.time() - since > patience:
                    complain(f"nothing was sent for {patience:.0f} s: is a `studybot worker` running on this "
                             "database?")  # fmt: skip
                    warned = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), POLL_SECONDS)
    finally:
        reporter.cancel()
    progress = await announcements.progress(announcement_id)
    say(progress.line(announcement_id))
    stopped = f"stopped following; the workers go on sending (`studybot broadcast --resume {announcement_id}` follows)"
    return _left(progress, announcement_id, set(progress.claimed), complain, stopped if stop.is_set() else None)


def _left(progress: Progress, announcement_id: int, here: set[str], complain: Say, stopped: str | None) -> int:
    resume = f"`studybot broadcast --resume {announcement_id}`"
    for platform, count in sorted(progress.claimed.items()):
        if platform not in here and count:
            complain(f"{count:,} for {platform} wait for a process with its token (`studybot run`, or {resume})")
    if progress.retrying:
        complain(f"{progress.retrying:,} failed for now: later passes retry them (`studybot run` or `deliver`, a "
                 f"fleet's workers, or {resume})")  # fmt: skip
    if stopped and progress.to_send:
        complain(stopped)
    return 1 if progress.to_send else 0


async def _report(announcements: SqlAnnouncements, announcement_id: int, say: Say) -> None:
    """A progress line every few seconds while passes send (one pass may send the whole announcement)."""
    last = ""
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        try:
            line = (await announcements.progress(announcement_id)).line(announcement_id)
        except Exception as exc:  # the pass has its own patience with the database; this line can wait
            log.warning("could not read the announcement's progress: %s", exc)
            continue
        if line != last:
            say(line)
            last = line
