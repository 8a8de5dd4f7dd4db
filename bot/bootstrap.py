"""The composition root: builds a whole process from settings (store, core, delivery, and each platform's adapter)
for the role it plays. `studybot run`, `deliver`, `web` and `demo` are selections from one builder; tests inject a
clock, a plan or the console's input and output. A role that serves (`run`, `web`, `demo`) gets the web server when
STUDYBOT_WEB_PORT is set: /healthz, /metrics, the dashboard and, in webhook mode, Telegram's webhook. The roles that
answer people (`run`, `web`, `demo`) sign the dashboard's links with one key: STUDYBOT_SECRET_KEY, or the one kept
in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from bot.adapters.lifecycle import PlatformPart
from bot.core.clock import ManualClock, SystemClock
from bot.core.commands import Commands
from bot.core.gateways import Gateways
from bot.core.learner import Defaults, Learners
from bot.core.metering import NO_METER, Meter
from bot.core.ports import Clock
from bot.core.updates import HandledUpdates
from bot.logs import mask_secret
from bot.process import settle_start_up
from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.store.store import SqlStore
from curriculum.loader import Curriculum, load_curriculum
from scheduler.delivery import DeliveryEngine, DeliveryPolicy
from scheduler.fleet.context import Budget, FleetContext
from scheduler.fleet.names import send_lock
from scheduler.fleet.timing import FleetTiming
from scheduler.live import LiveBoard
from scheduler.runner import DeliveryRunner

if TYPE_CHECKING:  # imported only when the web server is on (prometheus-client, FastAPI, uvicorn)
    from bot.web.dashboard.auth import Signing
    from bot.web.metrics import Metrics
    from bot.web.server import WebServer


@dataclass
class App:
    """Everything a process runs, wired once."""

    settings: Settings
    clock: Clock
    store: SqlStore
    curriculum: Curriculum
    learners: Learners
    commands: Commands
    delivery: DeliveryEngine
    live: LiveBoard
    # The platforms that can send now; each joins when its adapter has connected.
    gateways: Gateways = field(default_factory=Gateways)

    async def close(self) -> None:
        await self.store.close()


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        grace=timedelta(hours=settings.catchup_grace_hours),
        concurrency=settings.delivery_concurrency,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )


async def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    curriculum: Curriculum | None = None,
    migrate: bool = True,
    meter: Meter | None = None,
) -> App:
    url = settings.database_url.get_secret_value()
    if migrate:
        await asyncio.to_thread(upgrade, url)
    clock = clock or SystemClock()
    curriculum = curriculum or load_curriculum(settings.plan_files)
    store = SqlStore(make_engine(url))
    store.start()
    learners = Learners(store, clock, curriculum, Defaults(settings.default_time, settings.default_timezone))
    gateways = Gateways(meter=meter)  # with a meter, the pushes sent through it are counted
    delivery = DeliveryEngine(store, clock, curriculum, gateways, delivery_policy(settings))
    live = LiveBoard(store, curriculum, gateways)
    learners.group_changed.append(live.touch)
    commands = Commands(learners, gateways, meter or NO_METER)
    return App(settings, clock, store, curriculum, learners, commands, delivery, live, gateways)


def platforms(
    settings: Settings, commands: Commands, *, receive: bool, updates: HandledUpdates | None = None
) -> list[PlatformPart]:
    """One part per platform whose token is set: its sending side only, or (`receive`) its whole adapter; Telegram's
    takes its updates from the webhook when one is set (deduplicated through `updates`).

    Platform libraries are imported only when their token is set, so a process starts no faster than it must."""
    parts: list[PlatformPart] = []
    if settings.telegram_token is not None:
        token, url = settings.telegram_token.get_secret_value(), settings.telegram_api_url
        pace, budget = settings.telegram_rate_limit, settings.telegram_messages_per_second
        if receive:
            from bot.adapters.telegram import TelegramAdapter, WebhookSettings

            webhook = None
            if settings.telegram_webhook_url is not None and settings.telegram_webhook_secret is not None:
                assert updates is not None, "webhook mode records handled updates in the database"
                secret = settings.telegram_webhook_secret.get_secret_value()
                webhook = WebhookSettings(settings.telegram_webhook_url, secret, updates)
            parts.append(
                TelegramAdapter(commands, token, url, rate_limit=pace, messages_per_second=budget, webhook=webhook)
            )
        else:
            from bot.adapters.telegram.outbound import TelegramOutbound

            parts.append(TelegramOutbound(token, url, rate_limit=pace, messages_per_second=budget))
    if settings.discord_token is not None:
        token = settings.discord_token.get_secret_value()
        api, gateway = settings.discord_api_url, settings.discord_gateway_url
        if receive:
            from bot.adapters.discord import DiscordAdapter

            owned = settings.discord_shards
            shards = None if owned is None else (owned.ids, owned.count)
            parts.append(DiscordAdapter(commands, token, api_url=api, gateway_url=gateway, shards=shards))
        else:
            from bot.adapters.discord.outbound import DiscordOutbound

            parts.append(DiscordOutbound(token, api_url=api, gateway_url=gateway))
    return parts


class Role(StrEnum):
    """What a process is for."""

    RUN = "run"  # every platform, sending and receiving, with the periodic delivery pass (unless in a fleet)
    DELIVER = "deliver"  # one pass from cron: each platform's sending side only
    WORKER = "worker"  # a fleet worker: each platform's sending side, and the fleet's jobs
    DEMO = "demo"  # the console chat, on a clock the demo moves
    WEB = "web"  # the web server alone (the dashboard): each platform's sending side, for admin checks only


@dataclass
class Process:
    """One process: the app, the platforms its role needs (started by the role's main loop, which connects each
    one's gateway once it is up), and the periodic runner where the role has one."""

    app: App
    platforms: list[PlatformPart]
    runner: DeliveryRunner | None = None
    web: WebServer | None = None  # started first and stopped first by the role's main loop
    fleet: FleetContext | None = None
    links: Signing | None = None  # the dashboard's sign-in links and sessions, in the roles that answer people

    async def close(self) -> None:
        await self.app.close()


Read = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]


async def build(
    settings: Settings,
    role: Role,
    *,
    clock: Clock | None = None,
    curriculum: Curriculum | None = None,
    migrate: bool = True,
    console: tuple[Read, Write] | None = None,
    demo_files: Path | None = None,
    link_clock: Clock | None = None,
) -> Process:
    """`demo_files`: where the demo writes the pictures and files the bot sends (None: it only prints).
    `link_clock` times the dashboard's links and sessions: real time (the demo's clock tells a story) unless a test
    moves it."""
    process = await _build(settings, role, clock, curriculum, migrate, console, demo_files, link_clock)
    settle_start_up()  # what start-up made lives as long as the process: out of the collector's way
    return process


async def _build(
    settings: Settings,
    role: Role,
    clock: Clock | None,
    curriculum: Curriculum | None,
    migrate: bool,
    console: tuple[Read, Write] | None,
    demo_files: Path | None,
    link_clock: Clock | None,
) -> Process:
    metrics = _metrics() if role in SERVING and settings.web_port is not None else None
    app = await bootstrap(settings, clock=clock, curriculum=curriculum, migrate=migrate, meter=metrics)
    links = await signing(settings, app, link_clock or SystemClock()) if role in ANSWERING else None
    if role is Role.DEMO:
        from bot.adapters.console import ConsoleChat

        if not isinstance(app.clock, ManualClock):
            raise TypeError("the demo runs on a clock it can move: pass a ManualClock")
        read, write = console or (_no_input, print)
        chat = ConsoleChat(app.commands, app.delivery.run_pass, app.clock, read, write, demo_files)
        app.gateways.connected(chat.gateway)
        web = None if metrics is None else web_server(settings, app, [chat], None, metrics, links)
        return Process(app, [chat], web=web, links=links)
    updates = HandledUpdates(app.store.updates, app.clock, "telegram") if settings.telegram_webhook_url else None
    parts = platforms(settings, app.commands, receive=role is Role.RUN, updates=updates)
    if role is Role.WORKER:
        context = FleetContext(app.store, app.clock, app.curriculum, app.gateways, delivery_policy(settings),
                               budgets(settings), fleet_timing(settings))  # fmt: skip
        return Process(app, parts, fleet=context)
    runner = None
    if role is Role.RUN:
        # In a fleet the workers deliver; `run` keeps answering commands and editing live counts.
        interval, live_seconds = settings.delivery_interval_seconds, settings.live_edit_seconds
        runner = DeliveryRunner(app.delivery, interval, app.live, live_seconds, passes=not settings.fleet)
        app.learners.due_now.append(runner.kick)  # a push due at once (a group's day 1) goes out now, not next pass
    web = None if metrics is None else web_server(settings, app, parts, runner, metrics, links)
    return Process(app, parts, runner, web, links=links)


# The roles that serve the web server (when STUDYBOT_WEB_PORT is set); a role added later joins here.
SERVING = frozenset({Role.RUN, Role.WEB, Role.DEMO})
# The roles that answer people, and so sign the dashboard's links (/dashboard) and check them (its pages).
ANSWERING = frozenset({Role.RUN, Role.WEB, Role.DEMO})
# The name of the dashboard's key in the database, when STUDYBOT_SECRET_KEY does not give it.
DASHBOARD_KEY = "dashboard"


async def signing(settings: Settings, app: App, clock: Clock) -> Signing:
    """The dashboard's signer: the key from STUDYBOT_SECRET_KEY, or the one every process on the database shares
    (made by the first that needed it). /dashboard answers with its links from now on."""
    from bot.web.dashboard.auth import Signing, new_key

    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
    else:
        fresh = new_key()
        mask_secret(fresh)  # the driver's debug log would show it as it goes in
        key = await app.store.shared_secret(DASHBOARD_KEY, lambda: fresh, app.clock.now())
        mask_secret(key)
    public = settings.public_url
    links = Signing(key, clock, (lambda: public) if public else lambda: None)
    app.commands.links = links
    return links


def _metrics() -> Metrics:
    from bot.web.metrics import Metrics

    return Metrics()


def web_server(
    settings: Settings,
    app: App,
    parts: list[PlatformPart],
    runner: DeliveryRunner | None,
    metrics: Metrics,
    links: Signing | None = None,
) -> WebServer:
    """The web server of a serving role: health of this process's parts, its metrics, its platforms' webhooks and,
    with `links`, the dashboard (whose links, without STUDYBOT_PUBLIC_URL, name the address it listens on).

    `studybot_workers` is 1 where this process makes the delivery passes itself (`run`), else 0; a process whose
    pushes go out elsewhere sets it from there."""
    from bot.web.app import Webhook, WebParts, make_app
    from bot.web.health import Health
    from bot.web.server import WebServer

    webhooks: list[Webhook] = []
    if settings.telegram_webhook_url is not None:
        from bot.adapters.telegram import TelegramAdapter

        webhooks += [part.webhook for part in parts if isinstance(part, TelegramAdapter) and part.webhook]
    if runner is not None:
        runner.on_pass.append(metrics.delivery_pass)
    # 1 where this process makes the delivery passes itself; in a fleet the workers deliver.
    metrics.workers.set(1 if runner is not None and not settings.fleet else 0)
    health = Health(
        ping=app.store.ping,
        platforms=[part.gateway.platform for part in parts],
        connected=lambda: app.gateways.platforms,
        runner=runner,
        last_push=lambda: metrics.last_push,
    )
    dashboard = None
    if links is not None:
        from bot.web.dashboard.site import Site

        secure = (settings.public_url or "").startswith("https://")
        dashboard = Site(app.commands, links, secure_cookies=secure)
    web = make_app(WebParts(health, metrics, app.store.count_active, webhooks, dashboard))
    assert settings.web_port is not None
    server = WebServer(web, settings.web_host, settings.web_port)
    if links is not None and settings.public_url is None:
        links.base_url = server.local_url
    return server


async def _no_input() -> str | None:
    return None


def queue_conninfo(settings: Settings) -> str:
    """The database as libpq (and so procrastinate) spells it: SQLAlchemy's URL without its driver name."""
    url = make_url(settings.database_url.get_secret_value())
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def fleet_timing(settings: Settings) -> FleetTiming:
    return FleetTiming(timedelta(seconds=settings.delivery_lease_seconds), settings.delivery_interval_seconds)


def budgets(settings: Settings) -> dict[str, Budget]:
    """Each platform's send lock (one per bot token, fleet-wide) and the rate its pacing keeps."""
    found: dict[str, Budget] = {}
    if settings.telegram_token is not None:
        rate = settings.telegram_messages_per_second if settings.telegram_rate_limit else None
        found["telegram"] = Budget(send_lock("telegram", settings.telegram_token.get_secret_value()), rate)
    if settings.discord_token is not None:
        from bot.adapters.discord.gateway import REQUESTS_PER_SECOND

        found["discord"] = Budget(send_lock("discord", settings.discord_token.get_secret_value()), REQUESTS_PER_SECOND)
    return found
