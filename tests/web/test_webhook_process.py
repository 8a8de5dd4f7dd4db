"""`studybot run` in webhook mode as a real process against the fake Telegram: it sets the webhook with the shared
secret, takes the updates Telegram POSTs to its web server, never polls, answers /healthz and /metrics, stops on
SIGTERM, and never logs the secret or the token."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.fakes.telegram_server import FakeTelegram
from tests.processes import Studybot, studybot_env
from tests.test_run_startup import free_port

TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"
SECRET = "webhook-Secret_shared_by_every_replica_42"
URL = "https://bot.example.com:8443/telegram/updates"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_run_in_webhook_mode_takes_updates_from_its_web_server(tmp_path: Path) -> None:
    port = free_port()
    async with FakeTelegram(token=TOKEN) as tg:
        env = studybot_env(
            telegram_token=TOKEN, telegram_api_url=tg.root, database_url=f"sqlite:///{tmp_path / 'bot.db'}",
            web_port=str(port), telegram_webhook_url=URL, telegram_webhook_secret=SECRET, log_level="DEBUG",
        )  # fmt: skip
        async with Studybot(["run"], env, tmp_path / "studybot.log") as bot:
            call = await tg.wait_for_call("setWebhook", timeout=30)
            assert (call.params["url"], call.params["secret_token"]) == (URL, SECRET)
            await tg.route_webhook(f"http://127.0.0.1:{port}")
            tg.send_command(31337, "/subscribe 07:30 Europe/London", user_id=31337, first_name="Ann")
            reply = await tg.wait_for_call("sendMessage", chat_id=31337, timeout=10)
            assert "Subscribed" in str(reply.params["text"])
            await tg.wait_until(lambda: tg.pending_updates == 0)
            health, _ = await get(f"http://127.0.0.1:{port}/healthz")
            _, metrics = await get(f"http://127.0.0.1:{port}/metrics")
            code, stopped_in = await bot.stop()
        assert tg.calls_of("getUpdates") == []
        assert all(status == 200 for _, status in tg.webhook_posts)
    output = bot.output
    assert code == 0 and stopped_in < 10, output[-3000:]
    assert health == 200
    assert 'studybot_commands_total{command="subscribe",platform="telegram"} 1.0' in metrics
    assert "setWebhook" in output  # PTB logs the call with its parameters at DEBUG...
    assert SECRET not in output and TOKEN not in output  # ...with the secret and the token masked
    assert "Traceback" not in output
