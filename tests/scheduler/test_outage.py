"""A real database outage in the middle of a rate-limited pass: PostgreSQL (a server of the test's own) stops for
30 s while pushes are going out to the fake Telegram. The pass waits, then carries on: every push arrives, once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.telegram.outbound import TelegramOutbound
from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.core.model import Address, ChatKind
from bot.settings import Settings
from curriculum.loader import Curriculum
from tests.conftest import START
from tests.fakes.telegram_server import FakeTelegram
from tests.own_postgres import own_postgres
from tests.scheduler.test_delivery import delivery_statuses

PUSHES = 300
OUTAGE_SECONDS = 30
DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


@pytest.mark.slow
async def test_postgres_stopped_for_30_s_mid_pass_loses_no_push_and_sends_none_twice(
    tmp_path: Path, curriculum: Curriculum
) -> None:
    with own_postgres() as server:
        settings = Settings(database_url=SecretStr(server.url), _env_file=None)
        app = await bootstrap(settings, clock=ManualClock(START), curriculum=curriculum)
        async with FakeTelegram(global_rate=30) as tg:
            outbound = TelegramOutbound(tg.token, tg.root, rate_limit=True)
            await outbound.start()
            try:
                for chat in range(1, PUSHES + 1):
                    await app.learners.subscribe(
                        Address("telegram", str(chat)), ChatKind.PRIVATE, "en", DUE.time(), "UTC"
                    )
                app.gateways.connected(outbound.gateway)
                passing = asyncio.create_task(app.delivery.run_pass(DUE))
                await tg.wait_until(lambda: tg.counts["sendMessage"] >= PUSHES // 5, timeout=60)
                await asyncio.to_thread(server.stop)
                stopped = time.monotonic()
                await asyncio.sleep(OUTAGE_SECONDS)
                during = tg.counts["sendMessage"]
                await asyncio.to_thread(server.start)
                report = await asyncio.wait_for(passing, timeout=120)
                assert time.monotonic() - stopped >= OUTAGE_SECONDS
                statuses = await delivery_statuses(app, plan_day=2)
            finally:
                await outbound.stop()
                await app.close()
        received = Counter(str(call.params["chat_id"]) for call in tg.calls_of("sendMessage") if not call.failed)
    # While the database was down, at most the requests already on the wire went out.
    assert during - PUSHES // 5 <= 16
    assert sorted(received) == sorted(str(chat) for chat in range(1, PUSHES + 1))  # every push arrived...
    assert set(received.values()) == {1}  # ...once
    assert report.sent == PUSHES and report.uncertain == 0 and report.claim_error is None
    assert statuses == {"sent": PUSHES}
    assert tg.rejected_429 == 0  # the limiter held through the outage
