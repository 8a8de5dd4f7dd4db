"""The fleet's commands and settings as an operator meets them: STUDYBOT_FLEET needs PostgreSQL; `studybot worker`
says how to enable the fleet; `studybot migrate` sets up procrastinate's schema once, however often it runs; and
`studybot run` in a fleet answers commands but leaves delivery to the workers."""

from __future__ import annotations

import asyncio
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from curriculum.loader import load_curriculum
from scheduler.fleet.schema import ensure_queue_schema
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram
from tests.fleet_support import fleet_database_fixture, seed, studybot  # noqa: F401 (a fixture)
from tests.test_cli import studybot as studybot_now

TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"
DISCORD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAy.GsEcRt.discord-secret-token-value"
ADA = 920000000000000002


def test_the_fleet_on_sqlite_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    env = {"STUDYBOT_FLEET": "true", "STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
           "STUDYBOT_TELEGRAM_TOKEN": TOKEN}  # fmt: skip
    for command in ("worker", "run", "migrate"):
        result = studybot_now(command, env=env)
        assert result.returncode == 2, (command, result.stderr)
        assert "STUDYBOT_FLEET" in result.stderr and "PostgreSQL" in result.stderr
        assert "Traceback" not in result.stderr and TOKEN not in result.stdout + result.stderr


def test_a_worker_without_the_fleet_says_how_to_enable_it(tmp_path: Path) -> None:
    env = {"STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "STUDYBOT_TELEGRAM_TOKEN": TOKEN}
    result = studybot_now("worker", env=env)
    assert result.returncode == 2
    assert "STUDYBOT_FLEET=true" in result.stderr and "studybot run" in result.stderr


@pytest.mark.postgres
def test_migrate_sets_the_task_queue_up_once_however_often_and_however_many_run_it(fleet_database: str) -> None:
    env = {"STUDYBOT_FLEET": "true", "STUDYBOT_DATABASE_URL": fleet_database}
    first = studybot_now("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "task queue (procrastinate) is up to date: applied schema" in first.stdout
    again = studybot_now("migrate", env=env)
    assert again.returncode == 0 and "task queue (procrastinate) is up to date\n" in again.stdout
    with ThreadPoolExecutor(4) as pool:  # workers starting together
        assert list(pool.map(ensure_queue_schema, [fleet_database] * 4)) == [[]] * 4
    with psycopg.connect(fleet_database) as conn:
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone() == (0,)


@pytest.mark.postgres
async def test_run_in_a_fleet_answers_commands_and_leaves_delivery_to_the_workers(
    fleet_database: str, tmp_path: Path
) -> None:
    url = fleet_database
    await asyncio.to_thread(seed, url, 3, [ADA])  # three Telegram chats and a Discord DM whose push is due
    async with FakeTelegram(token=TOKEN) as tg, FakeDiscord(token=DISCORD_TOKEN) as dc:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
        env.update(STUDYBOT_FLEET="true", STUDYBOT_DATABASE_URL=url, STUDYBOT_TELEGRAM_TOKEN=TOKEN,
                   STUDYBOT_TELEGRAM_API_URL=tg.root, STUDYBOT_DELIVERY_INTERVAL_SECONDS="1")  # fmt: skip
        run = await studybot(env, "run", log=tmp_path / "run.log")
        worker: asyncio.subprocess.Process | None = None
        try:
            await tg.wait_for_call("getUpdates", timeout=30)
            tg.send_command(31337, "/start", user_id=31337, first_name="Ann")
            await tg.wait_for_call("sendMessage", chat_id=31337, timeout=10)
            await asyncio.sleep(3)  # three of run's old delivery intervals
            assert [c for c in tg.calls_of("sendMessage") if str(c.params["chat_id"]) in ("1", "2", "3")] == []
            assert "delivery is left to the workers" in (tmp_path / "run.log").read_text()

            discord = {"STUDYBOT_DISCORD_TOKEN": DISCORD_TOKEN, "STUDYBOT_DISCORD_API_URL": dc.root,
                       "STUDYBOT_DISCORD_GATEWAY_URL": dc.gateway_url}  # fmt: skip
            worker = await studybot({**env, **discord}, "worker", log=tmp_path / "worker.log")
            for chat in (1, 2, 3):
                push = await tg.wait_for_call("sendMessage", chat_id=chat, timeout=30)
                assert "Day 2/140" in push.params["text"]
            dm = await dc.wait_for_message(dc.dm_channel_id(ADA), lambda m: bool(m.payload.get("embeds")), timeout=30)
            assert load_curriculum().topic(2, "en").day.title in dm.payload["embeds"][0]["title"]
            for running in (run, worker):
                running.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(running.wait(), 30) == 0
        finally:
            for process in (run, worker):
                if process is not None and process.returncode is None:
                    process.kill()
                    await process.wait()
    logs = (tmp_path / "run.log").read_text() + (tmp_path / "worker.log").read_text()
    for secret in (TOKEN, TOKEN.split(":")[1], DISCORD_TOKEN):
        assert secret not in logs
    assert dc.identify_payloads == []  # the worker sends over REST: no gateway session
