"""`studybot deliver` as cron runs it: a separate process, no `run` anywhere, sending through the fake Telegram and
Discord servers what is due, once; a platform without a token (or unreachable) keeps its pushes due."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.core.model import Address, ChatKind
from bot.settings import Settings
from bot.store.tables import DeliveryRow, SubscriptionRow
from curriculum.loader import load_curriculum
from tests.conftest import START
from tests.fakes.discord_payloads import MANAGE_CHANNELS
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram
from tests.processes import studybot_once

TELEGRAM_TOKEN = "987654:AAHsecret-Token_value-0123456789abcdef"
DISCORD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAy.GsEcRt.discord-secret-token-value"
GUILD, CHANNEL, ADMIN, ADA = 900000000000000001, 910000000000000001, 920000000000000001, 920000000000000002
ANN = 4242
DAY_2 = "2026-03-03T08:00:00+00:00"


async def seed(url: str) -> None:
    """A Telegram DM, a Discord DM and a Discord channel, all at 08:00 UTC from START (day 2 is due next)."""
    settings = Settings(database_url=SecretStr(url), _env_file=None)
    app = await bootstrap(settings, clock=ManualClock(START))
    try:
        for address, kind in (
            (Address("telegram", str(ANN)), ChatKind.PRIVATE),
            (Address("discord", f"dm:{ADA}"), ChatKind.PRIVATE),
            (Address("discord", str(CHANNEL)), ChatKind.GROUP),
        ):
            await app.learners.subscribe(address, kind, "en", datetime(2026, 1, 1, 8).time(), "UTC")
    finally:
        await app.close()


async def deliver(env: dict[str, str], now: str = DAY_2) -> tuple[int, str, str]:
    return await studybot_once("deliver", "--now", now, env=env)


def discord_pushes(dc: FakeDiscord, channel_id: int) -> list[str]:
    return [m.payload["embeds"][0]["title"] for m in dc.messages_in(channel_id) if m.payload.get("embeds")]


async def due_platforms(url: str, now: datetime) -> set[str]:
    settings = Settings(database_url=SecretStr(url), _env_file=None)
    app = await bootstrap(settings, clock=ManualClock(now), migrate=False)
    try:
        async with app.store.unit() as uow:
            due = await uow.session.scalars(
                select(SubscriptionRow.platform).where(SubscriptionRow.next_due_at <= now)
            )
            return set(due)
    finally:
        await app.close()


async def test_deliver_sends_whats_due_on_each_platform_once_and_keeps_the_rest_due(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cron.db'}"
    await seed(url)
    day_2 = datetime.fromisoformat(DAY_2)
    async with FakeTelegram(token=TELEGRAM_TOKEN) as tg, FakeDiscord(token=DISCORD_TOKEN) as dc:
        dc.add_guild(GUILD, "Study Hall", channels=[(CHANNEL, "general")], members=[(ADMIN, "Alice", MANAGE_CHANNELS)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
        env.update(STUDYBOT_DATABASE_URL=url, STUDYBOT_LOG_LEVEL="DEBUG")
        telegram = {"STUDYBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "STUDYBOT_TELEGRAM_API_URL": tg.root}
        discord = {"STUDYBOT_DISCORD_TOKEN": DISCORD_TOKEN, "STUDYBOT_DISCORD_API_URL": dc.root,
                   "STUDYBOT_DISCORD_GATEWAY_URL": dc.gateway_url}  # fmt: skip

        # Only Telegram's token: its push goes out; Discord's stay due, with no attempt spent.
        code, out, err = await deliver({**env, **telegram})
        assert code == 0, err
        assert "claimed 1, sent 1, failed 0" in out
        [message] = tg.messages(ANN)
        assert "Day 2/140" in message["text"]
        assert tg.calls_of("getUpdates") == []  # sending only: no polling
        assert await due_platforms(url, day_2) == {"discord"}

        # Both tokens: Discord's two pushes go out over REST, with no gateway session; Telegram's is not repeated.
        code, out, err = await deliver({**env, **telegram, **discord})
        assert code == 0, err
        assert "claimed 2, sent 2, failed 0" in out
        day_2_title = load_curriculum().topic(2, "en").day.title
        assert [day_2_title in title for title in discord_pushes(dc, dc.dm_channel_id(ADA))] == [True]
        assert [day_2_title in title for title in discord_pushes(dc, CHANNEL)] == [True]
        assert dc.identify_payloads == []
        assert len(tg.messages(ANN)) == 1

        # Run again (cron fires twice, or beside `run`): nothing twice.
        code, out, err = await deliver({**env, **telegram, **discord})
        assert code == 0 and "claimed 0, sent 0" in out
        assert len(tg.messages(ANN)) == 1 and len(dc.messages_in(CHANNEL)) == 1
        for output in (out, err):
            assert TELEGRAM_TOKEN not in output and DISCORD_TOKEN not in output


async def test_deliver_names_a_refused_token_and_an_unreachable_platform_and_keeps_pushes_due(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'cron.db'}"
    await seed(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    env.update(STUDYBOT_DATABASE_URL=url)
    async with FakeTelegram(token="111:right-token-value") as tg:
        code, out, err = await deliver({**env, "STUDYBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
                                        "STUDYBOT_TELEGRAM_API_URL": tg.root})  # fmt: skip
    assert code == 2
    assert "rejected the bot token" in err and "STUDYBOT_TELEGRAM_TOKEN" in err
    assert TELEGRAM_TOKEN not in out + err and TELEGRAM_TOKEN.split(":")[1] not in out + err

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, out, err = await deliver({**env, "STUDYBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
                                    "STUDYBOT_TELEGRAM_API_URL": f"http://127.0.0.1:{port}"})  # fmt: skip
    assert code == 1 and "Telegram is unreachable" in err and "stay due" in err
    assert "Traceback" not in err and TELEGRAM_TOKEN not in out + err
    assert "telegram" in await due_platforms(url, datetime.fromisoformat(DAY_2))
    settings = Settings(database_url=SecretStr(url), _env_file=None)
    app = await bootstrap(settings, clock=ManualClock(START), migrate=False)
    try:
        async with app.store.unit() as uow:
            pushes = await uow.session.scalars(select(DeliveryRow.plan_day).where(DeliveryRow.plan_day == 2))
            assert list(pushes) == []  # nothing claimed, so nothing to retry or lose
    finally:
        await app.close()


