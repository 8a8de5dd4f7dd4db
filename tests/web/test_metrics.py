"""/metrics in Prometheus's text format: the figures move as the process works (commands and their replies, a
delivery pass and its pushes, a refused push, a 429), and every name is studybot_*."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from bot.core.clock import ManualClock
from bot.web.metrics import ACTIVE_MAX_AGE, Metrics
from curriculum.loader import Curriculum
from tests.fakes.telegram_server import FakeTelegram
from tests.web.support import serving, web_settings

ADMIN, GROUP, OTHER_GROUP = 4242, -100777, -100888


async def test_metrics_move_after_commands_and_after_a_delivery_pass(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    settings = web_settings(database_url, tg, webhook=False, delivery_interval_seconds=0.2)
    async with serving(settings, clock, curriculum) as served:
        runner, metrics = served.process.runner, served.process.app.commands.meter
        assert runner is not None and isinstance(metrics, Metrics)
        later = [0.0]  # the metrics' clock, moved on where a test needs a minute to pass
        metrics.monotonic = lambda: time.monotonic() + later[0]
        tg.send_command(ADMIN, "/start", user_id=ADMIN, first_name="Ada")
        await tg.wait_for_call("sendMessage", chat_id=ADMIN)
        tg.send_command(ADMIN, "/nonsense", user_id=ADMIN, first_name="Ada")
        await tg.wait_for_call("sendMessage", chat_id=ADMIN)
        await tg.wait_until(lambda: True)
        assert await served.metric('studybot_commands_total{command="start",platform="telegram"}') == 1
        assert await served.metric('studybot_commands_total{command="unknown",platform="telegram"}') == 1
        assert await served.metric('studybot_reply_seconds_count{platform="telegram"}') >= 2

        # Two groups subscribed by their admin: each one's first topic goes out as a push, in the next pass; one
        # group has removed the bot, so that push is refused (and the group deactivated).
        for group in (GROUP, OTHER_GROUP):
            tg.set_chat(group, type="supergroup", title="Study group")
            tg.set_member_status(group, ADMIN, "administrator")
            tg.send_command(group, "/subscribe 07:30 UTC", user_id=ADMIN, first_name="Ada")
            await tg.wait_for_call("sendMessage", chat_id=group)  # "Subscribed"
            await tg.wait_for_call("sendMessage", chat_id=group)  # "Today's topic is on its way"
        assert await served.metric("studybot_active_subscriptions ") == 0  # as counted by the first scrape
        later[0] += ACTIVE_MAX_AGE
        assert await served.metric("studybot_active_subscriptions ") == 2
        assert await served.metric("studybot_workers ") == 1
        tg.fail_next("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat", chat_id=OTHER_GROUP)
        runner.start()
        await tg.wait_for_call("sendMessage", chat_id=GROUP, timeout=10)  # day 1, from the pass
        await tg.wait_until(lambda: runner.last_report is not None and runner.last_report.claimed == 2)
        assert await served.metric('studybot_pushes_sent_total{platform="telegram"}') == 1
        assert await served.metric('studybot_pushes_failed_total{platform="telegram",reason="gone"}') == 1
        assert await served.metric("studybot_delivery_claimed_total ") == 2
        assert await served.metric("studybot_delivery_due_total ") >= 2
        assert await served.metric("studybot_delivery_pass_seconds_count ") >= 1
        assert await served.metric("studybot_delivery_lag_seconds_count ") >= 1
        # The active subscriptions are counted again a minute later, not at every scrape: one group is gone now.
        assert await served.metric("studybot_active_subscriptions ") == 2
        later[0] += ACTIVE_MAX_AGE
        assert await served.metric("studybot_active_subscriptions ") == 1

        _, text = await served.get("/metrics")
    names = {family.name for family in text_string_to_metric_families(text)}
    assert all(name.startswith("studybot_") for name in names), names
    assert {"studybot_pushes_unknown", "studybot_rate_limit_wait_seconds", "studybot_rate_limited",
            "studybot_updates_duplicate", "studybot_process_cpu_seconds"} <= names  # fmt: skip


async def test_a_429_and_the_rate_limiters_waits_are_counted(
    database_url: str, tg: FakeTelegram, clock: ManualClock, curriculum: Curriculum
) -> None:
    settings = web_settings(database_url, tg, webhook=False, telegram_rate_limit=True)
    async with serving(settings, clock, curriculum) as served:
        tg.fail_next("sendMessage", 429, retry_after=1, chat_id=ADMIN)
        for _ in range(2):  # the second reply to one chat waits for Telegram's one message a second per chat
            tg.send_command(ADMIN, "/help", user_id=ADMIN, first_name="Ada")
        await tg.wait_for_call("sendMessage", lambda call: not call.failed, chat_id=ADMIN, timeout=10)
        await tg.wait_for_call("sendMessage", lambda call: not call.failed, chat_id=ADMIN, timeout=10)
        assert await served.metric('studybot_rate_limited_total{platform="telegram"}') == 1
        assert await served.metric('studybot_rate_limit_wait_seconds_count{platform="telegram"}') >= 1
        assert await served.metric('studybot_rate_limit_wait_seconds_sum{platform="telegram"}') >= 0.5
