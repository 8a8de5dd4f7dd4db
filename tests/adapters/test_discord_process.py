"""`studybot run` as a real process with both platforms: Telegram and Discord served side by side from one
database, stopped by SIGTERM, and neither token in the log."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from tests.fakes.discord_payloads import MANAGE_CHANNELS
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram

TELEGRAM_TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"
DISCORD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAy.GsEcRt.discord-secret-token-value"
GUILD, CHANNEL, ADMIN = 900000000000000001, 910000000000000001, 920000000000000001


async def test_run_serves_telegram_and_discord_in_one_process(tmp_path: Path) -> None:
    log_path = tmp_path / "studybot.log"
    async with FakeTelegram(token=TELEGRAM_TOKEN) as tg, FakeDiscord(token=DISCORD_TOKEN) as dc:
        dc.add_guild(GUILD, "Study Hall", channels=[(CHANNEL, "general")], members=[(ADMIN, "Alice", MANAGE_CHANNELS)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
        env.update(
            STUDYBOT_TELEGRAM_TOKEN=TELEGRAM_TOKEN,
            STUDYBOT_TELEGRAM_API_URL=tg.root,
            STUDYBOT_DISCORD_TOKEN=DISCORD_TOKEN,
            STUDYBOT_DISCORD_API_URL=dc.root,
            STUDYBOT_DISCORD_GATEWAY_URL=dc.gateway_url,
            STUDYBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
            STUDYBOT_LOG_LEVEL="DEBUG",
            STUDYBOT_DELIVERY_INTERVAL_SECONDS="1",
        )
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, stdout=log, stderr=log, cwd=tmp_path
            )
            try:
                await dc.wait_until_ready(timeout=30)
                await tg.wait_for_call("getUpdates", timeout=30)
                assert {c["name"] for c in dc.commands} >= {"subscribe", "done", "progress"}

                tg.send_command(31337, "/subscribe 07:30 Europe/London", user_id=31337, first_name="Ann")
                reply = await tg.wait_for_call("sendMessage", chat_id=31337, timeout=10)
                assert "Subscribed" in str(reply.params["text"])
                subscribed = await dc.slash_command("subscribe", {"time": "20:00"}, user_id=ADMIN, channel_id=CHANNEL)
                assert "Subscribed" in (await subscribed.response(timeout=10))["data"]["content"]
                # The runner's next pass pushes the channel's first topic through the Discord gateway.
                push = await dc.wait_for_message(CHANNEL, lambda m: m.interaction_id is None, timeout=10)
                assert push.custom_ids == ["studybot:done:1", "studybot:week"]

                started = time.monotonic()
                process.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(process.wait(), timeout=15)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    stopped_in = time.monotonic() - started
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-2000:]
    assert stopped_in < 10
    assert "Discord: connected as" in output
    assert TELEGRAM_TOKEN not in output and DISCORD_TOKEN not in output
