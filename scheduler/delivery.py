"""The delivery pass: claim every subscription that is due, record its push, advance it, then send.

Claiming and recording happen in one transaction per batch, under the unique (subscription, local date)
key, so two passes (or two processes) never push the same day twice; sending happens after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core import render
from bot.core.i18n import messages
from bot.core.model import ChatKind, Claim, DeliveryStatus, Subscription
from bot.core.ports import (
    ChatGateway,
    ChatMoved,
    ChatUnreachable,
    Clock,
    SendUncertain,
    Store,
    TemporaryFailure,
)
from curriculum.loader import Curriculum
from curriculum.schema import DAYS_PER_WEEK
from scheduler.due import local_date, local_instant, next_due
from scheduler.summary import weekly_summary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How late a push may still go out, and how failed sends are retried."""

    grace: timedelta = timedelta(hours=6)
    batch: int = 500
    retry_delay: timedelta = timedelta(minutes=2)
    max_attempts: int = 5
    # A claim older than this was left by a process that stopped; another pass may take it over.
    lease: timedelta = timedelta(minutes=10)


@dataclass
class PassReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deactivated: int = 0
    finished: int = 0
    uncertain: int = 0
    released: int = 0


class DeliveryEngine:
    """Runs delivery passes over the store and the platforms' outbound gateways."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        curriculum: Curriculum,
        gateways: Mapping[str, ChatGateway],
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.curriculum = curriculum
        self.gateways = gateways
        self.policy = policy or DeliveryPolicy()
        self._stopping = False

    def stop(self) -> None:
        """Finish the send in flight, hand the rest of the pass back, and claim nothing more."""
        self._stopping = True

    async def run_pass(self, now: datetime | None = None) -> PassReport:
        """Claim and send everything due by `now` (default: the clock's now)."""
        now = now or self.clock.now()
        report = PassReport()
        while not self._stopping:
            claims = await self._claim_batch(now, report)
            claims += await self.store.retryable_deliveries(now, self.policy.batch, self.policy.lease)
            if not claims:
                break
            report.claimed += len(claims)
            for index, claim in enumerate(claims):
                if self._stopping:
                    unsent = [c.delivery.id for c in claims[index:]]
                    await self.store.release(unsent, now)
                    report.released += len(unsent)
                    break
                await self._send(claim, now, report)
        return report

    async def _claim_batch(self, now: datetime, report: PassReport) -> list[Claim]:
        async with self.store.unit() as uow:
            due = await uow.claim_due(now, self.policy.batch)
            wanted = {}
            for sub in due:
                push = self._advance(sub, now, report)
                if push is not None:
                    assert sub.id is not None
                    wanted[sub.id] = (sub, push)
            created = await uow.add_deliveries(
                [(sub_id, day, plan_day) for sub_id, (_, (day, plan_day)) in wanted.items()],
                DeliveryStatus.CLAIMED,
                now,
            )
            await uow.advance(due, now)
            await uow.commit()
        # A date that already had a delivery (claimed by another pass) is not in `created`: not sent again.
        return [Claim(delivery, wanted[delivery.subscription_id][0]) for delivery in created]

    def _advance(self, sub: Subscription, now: datetime, report: PassReport) -> tuple[date, int] | None:
        """Move a due subscription to its next due instant; return the (local date, plan day) to push now."""
        assert sub.next_due_at is not None and sub.start_date is not None
        zone = sub.zone
        due: datetime | None = sub.next_due_at
        if due is not None and now - due > self.policy.grace:
            # Back after downtime: only the most recent occurrence may still go out, if it is within grace.
            today = local_date(now, zone)
            latest = local_instant(today, sub.local_time, zone)
            if latest > now:
                latest = local_instant(today - timedelta(days=1), sub.local_time, zone)
            fresh = now - latest <= self.policy.grace
            newer = sub.last_pushed_date is None or local_date(latest, zone) > sub.last_pushed_date
            due = latest if fresh and newer else None
            if due is None:
                report.skipped += 1
        push: tuple[date, int] | None = None
        if due is not None:
            day = local_date(due, zone)
            plan_day = (day - sub.start_date).days + 1
            if plan_day > self.curriculum.total_days:
                sub.next_due_at = None
                report.finished += 1
                return None
            push = (day, plan_day)
            sub.last_pushed_date, sub.last_pushed_day = day, plan_day
        sub.next_due_at = next_due(sub.local_time, zone, not_before=now, after_date=sub.last_pushed_date)
        return push

    async def _send(self, claim: Claim, now: datetime, report: PassReport) -> None:
        delivery, sub = claim.delivery, claim.subscription
        gateway = self.gateways.get(sub.address.platform)
        if gateway is None:
            await self._failed(claim, now, report, f"no running gateway for {sub.address.platform}")
            return
        m = messages(sub.language)
        group = sub.kind is not ChatKind.PRIVATE
        topic = self.curriculum.topic(delivery.plan_day, sub.language)
        card = render.topic_card(m, topic, done_by=[] if group else None)
        if group and delivery.plan_day > 1 and (delivery.plan_day - 1) % DAYS_PER_WEEK == 0:
            await self._wrap_up_week(gateway, sub, (delivery.plan_day - 1) // DAYS_PER_WEEK, now)
        await self.store.set_delivery_status(delivery.id, DeliveryStatus.SENDING, now)
        try:
            try:
                message_id = await gateway.send(sub.address.chat_id, card)
            except ChatMoved as moved:
                # A Telegram group became a supergroup: follow it, keep its history, and send there.
                await self.store.move_chat(sub.address, moved.new_chat_id, now)
                message_id = await gateway.send(moved.new_chat_id, card)
        except SendUncertain as exc:
            await self.store.set_delivery_status(delivery.id, DeliveryStatus.UNKNOWN, now, error=str(exc))
            report.uncertain += 1
            return
        except ChatUnreachable as exc:
            log.info("deactivating %s: %s", sub.address, exc)
            await self.store.set_delivery_status(delivery.id, DeliveryStatus.FAILED, now, error=str(exc))
            await self.store.deactivate(sub.address, now)
            report.deactivated += 1
            return
        except (TemporaryFailure, ChatMoved) as exc:
            await self._failed(claim, now, report, str(exc))
            return
        await self.store.set_delivery_status(delivery.id, DeliveryStatus.SENT, now, message_id=message_id)
        report.sent += 1

    async def _wrap_up_week(self, gateway: ChatGateway, sub: Subscription, week: int, now: datetime) -> None:
        """The group's weekly summary, sent once (claimed first) just before the next week's first topic."""
        assert sub.id is not None
        async with self.store.unit() as uow:
            if not await uow.claim_summary(sub.id, week, now):
                return
            completions = await uow.chat_completions(sub.id)
            await uow.commit()
        for reply in weekly_summary(sub, week, completions, local_date(now, sub.zone), self.curriculum):
            try:
                await gateway.send(sub.address.chat_id, reply)
            except (ChatUnreachable, ChatMoved, TemporaryFailure, SendUncertain) as exc:
                # The week's topic matters more than its summary: note it and go on to the push.
                log.warning("weekly summary for %s not sent: %s", sub.address, exc)
                return

    async def _failed(self, claim: Claim, now: datetime, report: PassReport, error: str) -> None:
        attempts = claim.delivery.attempts + 1
        retry_at = now + self.policy.retry_delay * attempts if attempts < self.policy.max_attempts else None
        log.warning("push to %s failed (attempt %d): %s", claim.subscription.address, attempts, error)
        await self.store.set_delivery_status(
            claim.delivery.id, DeliveryStatus.FAILED, now, error=error, retry_at=retry_at
        )
        report.failed += 1
