"""`studybot run` as a real process against the fake Bot API: it serves, stops on SIGTERM, and never logs
the token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.fakes.telegram_server import Call, FakeTelegram
from tests.processes import Studybot, studybot_env

TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"


def environment(tg: FakeTelegram, tmp_path: Path, **settings: str) -> dict[str, str]:
    return studybot_env(
        telegram_token=TOKEN, telegram_api_url=tg.root, database_url=f"sqlite:///{tmp_path / 'bot.db'}", **settings
    )


async def test_run_serves_stops_on_sigterm_and_redacts_the_token(tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        env = environment(tg, tmp_path, log_level="DEBUG", delivery_interval_seconds="1")
        async with Studybot(["run"], env, tmp_path / "studybot.log") as bot:
            await tg.wait_for_call("getUpdates", timeout=30)
            tg.send_command(31337, "/subscribe 07:30 Europe/London", user_id=31337, first_name="Ann")
            reply = await tg.wait_for_call("sendMessage", chat_id=31337, timeout=10)
            assert "Subscribed" in str(reply.params["text"])
            await tg.wait_for_call("sendMessage", chat_id=31337, timeout=10)  # the day 1 card
            code, stopped_in = await bot.stop()
    output = bot.output
    assert code == 0, output[-2000:]
    assert stopped_in < 10
    assert "getUpdates" in output  # request URLs are logged at DEBUG...
    assert TOKEN not in output  # ...with the token masked
    assert TOKEN.split(":", 1)[1] not in output
    assert "/bot***/" in output


async def test_a_group_subscribed_by_its_admin_gets_day_one_at_once_not_at_the_next_pass(tmp_path: Path) -> None:
    group, admin = -100555, 4242
    async with FakeTelegram(token=TOKEN) as tg:
        tg.set_chat(group, type="supergroup", title="Study group")
        tg.set_member_status(group, admin, "administrator")
        env = environment(tg, tmp_path, delivery_interval_seconds="3600")
        async with Studybot(["run"], env, tmp_path / "studybot.log") as bot:
            await tg.wait_for_call("getUpdates", timeout=30)
            tg.send_command(group, "/subscribe 07:30 Europe/London", user_id=admin, first_name="Eve")
            reply = await tg.wait_for_call("sendMessage", chat_id=group, timeout=10)
            assert "Subscribed" in str(reply.params["text"])
            await tg.wait_for_call("sendMessage", says("Today's topic is on its way"), chat_id=group, timeout=10)
            await tg.wait_for_call("sendMessage", says("Day 1/140"), chat_id=group, timeout=10)  # not in an hour
            code, _ = await bot.stop()
        assert code == 0


def says(text: str) -> Callable[[Call], bool]:
    return lambda call: text in str(call.params["text"])
