"""`studybot run` at start-up, as an operator meets it: a platform that is down is retried while the other one and
the delivery pass run; a refused token is one clear line and exit code 2; no secret is ever printed."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.fakes.discord_payloads import MANAGE_CHANNELS
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram
from tests.processes import Studybot, studybot_env, studybot_once

TELEGRAM_TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"
DISCORD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAy.GsEcRt.discord-secret-token-value"
GUILD, CHANNEL, ADMIN = 900000000000000001, 910000000000000001, 920000000000000001


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def base_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    return studybot_env(database_url=f"sqlite:///{tmp_path / 'bot.db'}", delivery_interval_seconds="1", **settings)


async def test_a_platform_down_at_start_is_retried_while_the_other_serves(tmp_path: Path) -> None:
    port = free_port()  # Telegram will answer here, but not yet
    async with FakeDiscord(token=DISCORD_TOKEN) as dc:
        dc.add_guild(GUILD, "Study Hall", channels=[(CHANNEL, "general")], members=[(ADMIN, "Alice", MANAGE_CHANNELS)])
        env = base_env(
            tmp_path,
            telegram_token=TELEGRAM_TOKEN,
            telegram_api_url=f"http://127.0.0.1:{port}",
            discord_token=DISCORD_TOKEN,
            discord_api_url=dc.root,
            discord_gateway_url=dc.gateway_url,
        )
        async with Studybot(["run"], env, tmp_path / "studybot.log") as bot:
            await dc.wait_until_ready(timeout=30)
            # Discord and the delivery pass work while Telegram is down.
            subscribed = await dc.slash_command("subscribe", {"time": "20:00"}, user_id=ADMIN, channel_id=CHANNEL)
            assert "Subscribed" in (await subscribed.response(timeout=10))["data"]["content"]
            await dc.wait_for_message(CHANNEL, lambda m: m.interaction_id is None, timeout=10)
            async with FakeTelegram(token=TELEGRAM_TOKEN, port=port) as tg:
                await tg.wait_for_call("getUpdates", timeout=30)  # Telegram connected on a later attempt
                tg.send_command(31337, "/start", user_id=31337, first_name="Ann")
                await tg.wait_for_call("sendMessage", chat_id=31337, timeout=10)
                code, _ = await bot.stop()
    output = bot.output
    assert code == 0, output[-3000:]
    retries = [line for line in output.splitlines() if "Telegram is unreachable" in line]
    assert retries and all("trying again in" in line for line in retries)
    assert "connected after" in output
    assert "Traceback" not in output and "Unclosed client session" not in output
    assert TELEGRAM_TOKEN not in output and TELEGRAM_TOKEN.split(":")[1] not in output
    assert DISCORD_TOKEN not in output


async def run_once(env: dict[str, str]) -> tuple[int, str]:
    code, out, err = await studybot_once("run", env=env)
    return code, out + err


async def test_a_refused_token_is_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    async with FakeTelegram(token="111:the-right-token") as tg:
        env = base_env(tmp_path, telegram_token=TELEGRAM_TOKEN, telegram_api_url=tg.root)
        code, output = await run_once(env)
    assert code == 2, output
    errors = [line for line in output.splitlines() if " ERROR " in line or " CRITICAL " in line]
    assert len(errors) == 1 and "rejected the bot token" in errors[0] and "STUDYBOT_TELEGRAM_TOKEN" in errors[0]
    assert "Traceback" not in output and "Unclosed client session" not in output
    assert TELEGRAM_TOKEN not in output and TELEGRAM_TOKEN.split(":")[1] not in output


async def test_a_refused_discord_token_is_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    async with FakeDiscord(token="the-right-discord-token-value") as dc:
        env = base_env(
            tmp_path, discord_token=DISCORD_TOKEN, discord_api_url=dc.root, discord_gateway_url=dc.gateway_url
        )
        code, output = await run_once(env)
    assert code == 2, output
    assert "Discord rejected the bot token" in output and "STUDYBOT_DISCORD_TOKEN" in output
    assert "Traceback" not in output and DISCORD_TOKEN not in output


async def test_a_database_password_stays_hidden_even_in_a_malformed_url(tmp_path: Path) -> None:
    # A raw '@' in the password makes the URL parse wrongly: half the password is taken for the host.
    password = "s3cret@tail-of-the-password"
    env = base_env(tmp_path, telegram_token=TELEGRAM_TOKEN)
    env["STUDYBOT_DATABASE_URL"] = f"postgresql://postgres:{password}@127.0.0.1:{free_port()}/studybot"
    code, output = await run_once(env)
    assert code == 1 and "the database is unreachable" in output and "Traceback" not in output
    assert "tail-of-the-password" not in output and "s3cret" not in output
    assert TELEGRAM_TOKEN not in output
