"""`studybot run` as a real process with both platforms: Telegram and Discord served side by side from one
database, stopped by SIGTERM, and neither token in the log."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.discord_payloads import MANAGE_CHANNELS
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram
from tests.processes import Studybot, studybot_env

TELEGRAM_TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"
DISCORD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAy.GsEcRt.discord-secret-token-value"
GUILD, CHANNEL, ADMIN = 900000000000000001, 910000000000000001, 920000000000000001


async def test_run_serves_telegram_and_discord_in_one_process(tmp_path: Path) -> None:
    async with FakeTelegram(token=TELEGRAM_TOKEN) as tg, FakeDiscord(token=DISCORD_TOKEN) as dc:
        dc.add_guild(GUILD, "Study Hall", channels=[(CHANNEL, "general")], members=[(ADMIN, "Alice", MANAGE_CHANNELS)])
        env = studybot_env(
            telegram_token=TELEGRAM_TOKEN, telegram_api_url=tg.root, discord_token=DISCORD_TOKEN,
            discord_api_url=dc.root, discord_gateway_url=dc.gateway_url,
            database_url=f"sqlite:///{tmp_path / 'bot.db'}", log_level="DEBUG", delivery_interval_seconds="1",
        )  # fmt: skip
        async with Studybot(["run"], env, tmp_path / "studybot.log") as bot:
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
            code, stopped_in = await bot.stop()
    output = bot.output
    assert code == 0, output[-2000:]
    assert stopped_in < 10
    assert "Discord: connected as" in output
    assert TELEGRAM_TOKEN not in output and DISCORD_TOKEN not in output
