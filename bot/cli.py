"""The `studybot` command: run, demo, deliver, migrate and curriculum tools."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import SecretStr, ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.bootstrap import Process, Role, build
from bot.broadcasting import Platform
from bot.core.clock import ManualClock, SystemClock
from bot.core.i18n import messages
from bot.core.model import ChatKind
from bot.core.render import topic_card
from bot.logs import setup_logging
from bot.process import configure_process
from bot.settings import Settings
from bot.store.engine import safe_url, url_secrets
from bot.store.migrate import at_head, upgrade
from curriculum.loader import PlanError, load_curriculum, load_plan
from curriculum.schema import DAYS_PER_WEEK

if TYPE_CHECKING:
    from bot.adapters.console import ConsoleChat

app = typer.Typer(
    help="studybot: a study-habit bot for the 20-week Python full-stack AI plan.",
    no_args_is_help=True,
    add_completion=False,
)
curriculum_app = typer.Typer(help="Check, show and export the study plan.", no_args_is_help=True)
app.add_typer(curriculum_app, name="curriculum")

Lang = Annotated[str, typer.Option("--lang", help="zh or en")]


def _version(asked: bool) -> None:
    if asked:
        typer.echo(f"studybot {metadata.version('studybot')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """studybot: a study-habit bot for the 20-week Python full-stack AI plan."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        # Name the variable and the problem; never echo the value (it may be a token).
        for err in exc.errors():
            if err["loc"]:
                typer.echo(f"Setting STUDYBOT_{str(err['loc'][0]).upper()}: {err['msg']}", err=True)
            else:  # settings that only make sense together
                typer.echo(f"Settings: {err['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None


def _secrets(settings: Settings) -> list[str]:
    """Everything that must never be printed: the tokens, the webhook's secret, the dashboard's key and the database
    URL's password."""
    secret = (settings.telegram_token, settings.discord_token, settings.telegram_webhook_secret, settings.secret_key)
    tokens = [s.get_secret_value() for s in secret if s is not None]
    return tokens + url_secrets(settings.database_url.get_secret_value())


def _plans(settings: Settings, lang: str) -> None:
    try:
        curriculum = load_curriculum(settings.plan_files)
    except PlanError as exc:
        typer.echo(f"Plan file problem: {exc}", err=True)
        raise typer.Exit(2) from None
    if lang not in curriculum.languages:
        typer.echo(f"No plan in {lang!r}; available: {', '.join(curriculum.languages)}", err=True)
        raise typer.Exit(2)


@app.command()
def demo(
    database: Annotated[str | None, typer.Option(help="database URL (default: a fresh SQLite file)")] = None,
    files: Annotated[Path | None, typer.Option(help="folder for the pictures and files the bot sends")] = None,
) -> None:
    """Chat with the bot in this terminal, with a demo clock that /nextday moves forward; your dashboard is served on
    this machine, and its link printed (STUDYBOT_WEB_PORT chooses the port, else any free one)."""
    from bot.adapters.console import ConsoleChat, Terminal, line_editing
    from bot.core.menu import COMMANDS

    settings = _settings()
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="studybot-demo-"))
    url = database or f"sqlite+aiosqlite:///{folder / 'demo.db'}"
    local = {} if settings.web_port is not None else {"web_port": 0, "web_host": "127.0.0.1"}
    settings = settings.model_copy(update={"database_url": SecretStr(url), **local})
    line_editing([f"/{name}" for name, _ in COMMANDS] + ["/nextday", "/quit"])
    terminal = Terminal()
    process = None
    try:
        clock = ManualClock(SystemClock().now())
        process = terminal.run(build(settings, Role.DEMO, clock=clock, console=(_no_line, print),
                                     demo_files=files or folder / "files"))  # fmt: skip
        [console] = process.platforms
        assert isinstance(console, ConsoleChat)
        terminal.run(_demo_dashboard(process, console))
        console.greet()
        while True:
            try:
                line = input("you> ")
            except EOFError:
                break
            if not terminal.run(console.feed(line)):
                break
    except KeyboardInterrupt:
        typer.echo("\nbye")
    finally:
        if process is not None:
            with contextlib.suppress(Exception):
                if process.web is not None:
                    terminal.run(process.web.stop(), timeout=5)
                terminal.run(process.close(), timeout=5)
        terminal.close()
        for leftover in folder.glob("demo.db*") if database is None else ():
            leftover.unlink(missing_ok=True)


async def _no_line() -> str | None:
    return None


async def _demo_dashboard(demo: Process, console: ConsoleChat) -> None:
    """Serve the demo's dashboard and print the link to the learner's page: a newcomer sees it with no token."""
    from bot.web.server import WebUnavailable

    if demo.web is None or demo.links is None:
        return
    try:
        await demo.web.start()
    except WebUnavailable as exc:
        typer.echo(f"(no dashboard: {exc})")
        demo.web = None
        return
    link = demo.links.sign_in_url(console.address.platform, console.user_id, console.user_name, None)
    typer.echo(f"🌐 Your dashboard in a browser: {link}\n   (/dashboard prints a fresh link; it signs in for "
               f"{demo.links.link_minutes} minutes)\n")  # fmt: skip


@app.command()
def run() -> None:
    """Start every platform whose token is set, plus the delivery scheduler."""
    settings = _settings()
    if settings.telegram_token is None and settings.discord_token is None:
        typer.echo(
            "No platform token is set. Set STUDYBOT_TELEGRAM_TOKEN (from @BotFather) or STUDYBOT_DISCORD_TOKEN,\n"
            "or try the bot in this terminal first: studybot demo",
            err=True,
        )
        raise typer.Exit(2)
    setup_logging(settings.log_level, _secrets(settings))
    from bot.runtime import serve

    code = _guarded(lambda: asyncio.run(serve(settings)))
    if code:
        raise typer.Exit(code)


@app.command()
def web() -> None:
    """Serve the web dashboard (and /healthz, /metrics) alone, beside `studybot run` on the same database."""
    settings = _settings()
    if settings.web_port is None:
        typer.echo(
            "The web server needs a port: set STUDYBOT_WEB_PORT (and STUDYBOT_PUBLIC_URL, the address browsers open,\n"
            "so that /dashboard's links point here).",
            err=True,
        )
        raise typer.Exit(2)
    setup_logging(settings.log_level, _secrets(settings))
    from bot.hosting import host

    code = _guarded(lambda: asyncio.run(host(settings)))
    if code:
        raise typer.Exit(code)


@app.command()
def deliver(
    now: Annotated[str | None, typer.Option(help="run the pass as of this ISO-8601 instant (default: now)")] = None,
) -> None:
    """Run one delivery pass over every platform whose token is set, and exit (for cron-style deployments).

    Exits 1 if a push failed or a platform could not be reached, 2 if a platform rejected its token."""
    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    instant = _instant(now)

    from bot.delivering import deliver_once

    def complain(text: str) -> None:
        typer.echo(text, err=True)

    code = _guarded(lambda: asyncio.run(deliver_once(settings, instant, typer.echo, complain)))
    if code:
        raise typer.Exit(code)


def _instant(now: str | None) -> datetime:
    """--now as an aware instant (UTC if it names no offset), or the clock's now."""
    if now is None:
        return SystemClock().now()
    try:
        instant = datetime.fromisoformat(now)
    except ValueError:
        typer.echo(f"--now: {now!r} is not an ISO-8601 instant such as 2026-12-01T08:30:00+08:00", err=True)
        raise typer.Exit(2) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


STATS_HELP = (
    "Subscribers by platform and kind, today's activity, the 7-day completion rate, and the sends that failed or may "
    "not have arrived in the last 7 days. Only reads.\n\n"
    "\"Today\" is each chat's own local date. A chat is active today when its push for today went out or someone in "
    "it marked a day done dated today. The 7-day completion rate: of the daily pushes sent for the 7 local days "
    "before today, the share whose plan day the chat has marked done since (in a group or channel, by anyone)."
)


@app.command(help=STATS_HELP)
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON, for machines")] = False,
    now: Annotated[str | None, typer.Option(help="as of this ISO-8601 instant (default: now)")] = None,
) -> None:
    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    instant = _instant(now)
    url = settings.database_url.get_secret_value()
    from bot.stats import as_json as json_of
    from bot.stats import as_text, gather

    def show() -> int:
        if not at_head(url):
            typer.echo(f"No up-to-date studybot database at {safe_url(url)}: run `studybot migrate` first.", err=True)
            return 2
        found = asyncio.run(gather(settings, instant))
        typer.echo(json.dumps(json_of(found), indent=2) if as_json else as_text(found))
        return 0

    code = _guarded(show)
    if code:
        raise typer.Exit(code)


BROADCAST_HELP = (
    "Send an announcement to every active subscriber, or to those of one platform or one kind of chat, through the "
    "delivery ledger: paced to each platform's limits, and to each chat once.\n\n"
    "It makes delivery passes until the announcement is out, printing progress. Stopped or killed, run it again (the "
    "same text continues the same announcement, as does --resume ID): only what had not gone out is sent. With "
    "--queue, `studybot run` (or a fleet's workers) sends it instead. Exits 0 when nothing is left to send, 1 when "
    "some is (failures retried later, a platform without its token here, or stopped), 2 for bad input."
)


@app.command(help=BROADCAST_HELP)
def broadcast(
    text: Annotated[str | None, typer.Option("--text", help="the announcement, as chats will read it")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="read the announcement from this UTF-8 file ('-': standard input)")
    ] = None,
    platform: Annotated[Platform | None, typer.Option("--platform", help="only this platform's chats")] = None,
    kind: Annotated[ChatKind | None, typer.Option("--kind", help="only this kind of chat")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show who would get it and what they would read; store and send nothing")
    ] = False,
    queue: Annotated[
        bool, typer.Option("--queue", help="store it for `studybot run` (or the fleet's workers) to send, and exit")
    ] = False,
    resume: Annotated[
        int | None, typer.Option("--resume", metavar="ID", help="go on sending announcement ID (nothing twice)")
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="a new announcement even if the same text went to the same chats before")
    ] = False,
) -> None:
    if resume is not None and (text is not None or file is not None or platform or kind or dry_run or new):
        _refuse("--resume ID goes on with a stored announcement: give it alone (with --queue at most)")
    if resume is None and (text is None) == (file is None):
        _refuse("Give the announcement with --text TEXT or --file FILE (one of them), or --resume ID")
    if file is not None:
        text = _read_text(file)
    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    from bot.broadcasting import Request, broadcast_once
    from bot.store.announcements import Audience

    request = Request(text.strip() if text is not None else None, Audience(platform, kind), dry_run, queue, resume, new)

    def complain(line: str) -> None:
        typer.echo(line, err=True)

    code = _guarded(lambda: asyncio.run(broadcast_once(settings, request, typer.echo, complain)))
    if code:
        raise typer.Exit(code)


def _refuse(reason: str) -> NoReturn:
    typer.echo(reason, err=True)
    raise typer.Exit(2)


def _read_text(file: Path) -> str:
    try:
        return sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except OSError as exc:
        _refuse(f"--file: cannot read {file}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        _refuse(f"--file: {file} is not UTF-8 text")


@app.command()
def worker() -> None:
    """Run one of the fleet's delivery workers (STUDYBOT_FLEET=true, on PostgreSQL): any number, on any machines."""
    settings = _settings()
    if not settings.fleet:
        typer.echo(
            "The worker delivers for a fleet: set STUDYBOT_FLEET=true (with a PostgreSQL STUDYBOT_DATABASE_URL).\n"
            "On one machine, `studybot run` delivers by itself.",
            err=True,
        )
        raise typer.Exit(2)
    if settings.telegram_token is None and settings.discord_token is None:
        typer.echo("No platform token is set (STUDYBOT_TELEGRAM_TOKEN, STUDYBOT_DISCORD_TOKEN): nothing can be sent.",
                   err=True)  # fmt: skip
        raise typer.Exit(2)
    setup_logging(settings.log_level, _secrets(settings))
    if settings.log_level != "DEBUG":
        # One line per job and per periodic tick would drown the workers' own.
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    from bot.working import work

    code = _guarded(lambda: asyncio.run(work(settings)))
    if code:
        raise typer.Exit(code)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (and the fleet's task queue, with STUDYBOT_FLEET)."""
    settings = _settings()
    url = settings.database_url.get_secret_value()
    upgrade(url)
    typer.echo(f"database is up to date: {safe_url(url)}")
    if settings.fleet:
        from bot.bootstrap import queue_conninfo
        from scheduler.fleet.schema import ensure_queue_schema

        applied = ensure_queue_schema(queue_conninfo(settings))
        typer.echo(f"task queue (procrastinate) is up to date{': applied ' + ', '.join(applied) if applied else ''}")


@curriculum_app.command("validate")
def curriculum_validate(
    file: Annotated[Path | None, typer.Argument(help="a plan file (default: the configured plan files)")] = None,
) -> None:
    """Check plan files against the schema; problems are named by file, week and day, and so are days too long
    for one message (warnings: the bot trims those cards)."""
    from bot.plan_check import card_warnings  # the platforms' limits: imports their libraries, only here

    paths = [file] if file else _settings().plan_files
    failed = False
    for path in paths:
        try:
            plan = load_plan(path)
        except PlanError as exc:
            failed = True
            typer.echo(f"✗ {path}", err=True)
            for problem in exc.problems:
                typer.echo(f"  - {problem}", err=True)
            continue
        days = len(plan.weeks) * DAYS_PER_WEEK
        typer.echo(f"✓ {path}: {plan.language}, {len(plan.stages)} stages, {len(plan.weeks)} weeks, {days} days")
        for warning in card_warnings(plan):
            typer.echo(f"  ! {warning}")
    if failed:
        raise typer.Exit(1)


@curriculum_app.command("show")
def curriculum_show(
    day: Annotated[int, typer.Option("--day", help="plan day, 1..140")],
    lang: Lang = "zh",
) -> None:
    """Print one day's topic as the bot sends it."""
    settings = _settings()
    _plans(settings, lang)
    curriculum = load_curriculum(settings.plan_files)
    if not 1 <= day <= curriculum.total_days:
        typer.echo(f"--day must be 1..{curriculum.total_days}", err=True)
        raise typer.Exit(2)
    typer.echo(topic_card(messages(lang), curriculum.topic(day, lang), buttons=False).plain_text())


@curriculum_app.command("export")
def curriculum_export(lang: Lang = "zh") -> None:
    """Print every day of the plan as a JSON list."""
    settings = _settings()
    _plans(settings, lang)
    curriculum = load_curriculum(settings.plan_files)
    days = []
    for n in range(1, curriculum.total_days + 1):
        topic = curriculum.topic(n, lang)
        days.append(
            {
                "day": n,
                "week": topic.week.week,
                "day_of_week": topic.day.day,
                "stage": topic.stage.stage,
                "stage_title": topic.stage.title,
                "week_title": topic.week.title,
                "kind": topic.day.kind.value,
                "title": topic.day.title,
                "points": topic.day.points,
                "practice": topic.day.practice,
                "resources": [r.model_dump(mode="json", exclude_none=True) for r in topic.day.resources],
            }
        )
    json.dump(days, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _guarded(run: Callable[[], int]) -> int:
    """Run a process's work; a crash is logged through the masking log handlers, never printed raw."""
    try:
        return run()
    except KeyboardInterrupt:
        return 130
    except (OperationalError, InterfaceError) as exc:
        # The usual start-up trouble: one line an operator can act on, not a driver's traceback.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        logging.getLogger("studybot").critical("the database is unreachable (STUDYBOT_DATABASE_URL): %s", reason)
        return 1
    except Exception:
        logging.getLogger("studybot").critical("studybot stopped on an unexpected error", exc_info=True)
        return 1


def main() -> None:
    configure_process()
    app()
