"""/healthz over HTTP: 200 when the database answers, every configured platform is connected and delivery is
running; 503 naming what is wrong otherwise (a platform not connected, delivery stale, the database away)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.core.clock import ManualClock
from bot.web.app import WebParts, make_app
from bot.web.health import Health, stale_after
from bot.web.metrics import Metrics
from bot.web.server import WebServer, WebUnavailable
from curriculum.loader import Curriculum
from tests.fakes.telegram_server import FakeTelegram
from tests.own_postgres import own_postgres
from tests.web.support import Served, serving, web_settings
from tests.web.test_webhook import ADA, start_update


async def test_a_process_with_everything_up_is_healthy(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    async with serving(web_settings(database_url, tg, webhook=False), clock, curriculum) as served:
        status, body = await served.health()
    assert status == 200, body
    assert body["status"] == "ok" and body["problems"] == []
    assert body["database"]["ok"] and body["platforms"] == {"telegram": True}
    assert body["delivery"]["ok"] and body["delivery"]["stale_after_seconds"] == stale_after(30.0)


async def test_a_platform_not_connected_makes_it_unhealthy_until_it_connects(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    settings = web_settings(database_url, tg, webhook=False)
    async with serving(settings, clock, curriculum, start_platforms=False) as served:
        status, body = await served.health()
        assert status == 503 and body["platforms"] == {"telegram": False}
        assert body["problems"] == ["telegram is not connected"]
        await served.start_platforms()
        assert (await served.health())[0] == 200


async def test_delivery_that_stopped_running_makes_it_unhealthy(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    settings = web_settings(database_url, tg, webhook=False, delivery_interval_seconds=0.2)
    async with serving(settings, clock, curriculum) as served:
        app, runner = served.process.app, served.process.runner
        assert runner is not None
        runner.start()
        await tg.wait_until(lambda: runner.tick_ended is not None)
        runner.scheduler.pause()  # the runner stops ticking
        later = [0.0]
        health = Health(app.store.ping, ["telegram"], lambda: app.gateways.platforms, runner,
                        monotonic=lambda: time.monotonic() + later[0])  # fmt: skip
        web = WebServer(make_app(WebParts(health, Metrics(), app.store.count_active)), "127.0.0.1", 0)
        await web.start()
        try:
            probe = Served(served.process, f"http://127.0.0.1:{web.port}")
            assert (await probe.health())[0] == 200
            later[0] = stale_after(0.2) - 1  # two intervals and 30 s is still in time
            assert (await probe.health())[0] == 200
            later[0] = stale_after(0.2) + 1
            status, body = await probe.health()
        finally:
            await web.stop()
    assert status == 503 and not body["delivery"]["ok"]
    assert len(body["problems"]) == 1 and body["problems"][0].startswith("delivery has done nothing for 31 s")


async def test_the_database_going_away_is_unhealthy_and_webhook_updates_wait_for_it(
    tmp_path: Path, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    with own_postgres() as server:
        settings = web_settings(server.url, tg)
        async with serving(settings.model_copy(update={"database_url": SecretStr(server.url)}), clock, curriculum,
                           migrate=True) as served:  # fmt: skip
            assert (await served.health())[0] == 200
            await asyncio.to_thread(server.stop)
            status, body = await served.health()
            assert status == 503 and not body["database"]["ok"]
            assert body["problems"][0].startswith("the database is unreachable")
            assert server.url not in str(body)
            # Telegram's request is refused (nothing lost); it sends the update again once the database is back.
            assert await tg.post_webhook(start_update(50), served.root) == 503
            await asyncio.to_thread(server.start)
            await tg.wait_until(lambda: True)
            assert await tg.post_webhook(start_update(50), served.root) == 200
            await tg.wait_for_call("sendMessage", chat_id=ADA, timeout=10)
            assert await tg.post_webhook(start_update(50), served.root) == 200
            status, _ = await served.health()
    assert status == 200
    assert len(tg.calls_of("sendMessage")) == 1


async def test_a_port_in_use_is_one_clear_error() -> None:
    taken = WebServer(make_app(WebParts(Health(_never, [], list), Metrics(), _zero)), "127.0.0.1", 0)
    await taken.start()
    try:
        again = WebServer(make_app(WebParts(Health(_never, [], list), Metrics(), _zero)), "127.0.0.1", taken.port)
        with pytest.raises(WebUnavailable, match=f"127.0.0.1:{taken.port} .*STUDYBOT_WEB_PORT"):
            await again.start()
    finally:
        await taken.stop()


async def _never() -> None:
    raise ConnectionError


async def _zero() -> int:
    return 0


async def test_kept_alive_connections_are_answered_without_nagles_delay(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    """Each accepted connection has TCP_NODELAY: without it, every answer on a kept-alive connection (a dashboard
    page, a webhook POST) waited ~40 ms for the client's delayed ACK."""
    import socket

    async with serving(web_settings(database_url, tg, webhook=False), clock, curriculum) as served:
        server = served.process.web._server  # type: ignore[union-attr]
        assert server is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", served.process.web.port)  # type: ignore[union-attr]
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            await reader.readuntil(b"\r\n\r\n")
            [connection] = server.server_state.connections
            accepted = connection.transport.get_extra_info("socket")
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            writer.close()
