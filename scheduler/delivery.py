"""The delivery pass: claim every subscription that is due, record its push, advance it, then send.

Claiming and recording happen in one transaction per batch, under the unique (subscription, local date)
key, so two passes (or two processes) never push the same day twice; sending happens after commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core import render
from bot.core.i18n import messages
from bot.core.model import ChatKind, Claim, DeliveryStatus, SendOutcome, Subscription
from bot.core.ports import (
    ChatGateway,
    ChatMoved,
    ChatUnreachable,
    Clock,
    SendUncertain,
    Store,
    TemporaryFailure,
)
from bot.core.replies import TopicCard
from curriculum.loader import Curriculum
from curriculum.schema import DAYS_PER_WEEK
from scheduler.due import due_date, local_date, next_due, previous_due
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
    # Sends in flight at once. More than one, so that a group waiting for its per-group slot (or a chat its 429)
    # holds up no one else; few, because a crash leaves each one in flight UNKNOWN, and HTTP clients slow down
    # with many requests open (PLATFORM-NOTES).
    concurrency: int = 16


@dataclass
class PassReport:
    due: int = 0  # subscriptions found due: pushed now, skipped as too late, or past the plan's end
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deactivated: int = 0
    finished: int = 0
    uncertain: int = 0
    released: int = 0


class SendJournal:
    """The status writes of a pass's concurrent senders, committed together (a group commit).

    Each sender waits until its SENDING mark is durable before it sends, so a crash never leads to a resend;
    finished sends' outcomes ride along with the next commit, or the final flush. One task commits at a time,
    and each commit takes every mark and outcome that arrived while the previous one was being written.
    """

    def __init__(self, store: Store, now: datetime) -> None:
        self.store = store
        self.now = now
        self._marks: list[tuple[int, asyncio.Future[None]]] = []
        self._outcomes: list[SendOutcome] = []
        self._committer: asyncio.Task[None] | None = None

    async def sending(self, delivery_id: int) -> None:
        """Return once `delivery_id` is recorded as being sent."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks.append((delivery_id, waiter))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_while_marked())
        await waiter

    def settled(self, outcome: SendOutcome) -> None:
        self._outcomes.append(outcome)

    async def flush(self) -> None:
        """Write what is still pending; raises what writing it raised."""
        if self._committer is not None:
            await self._committer
        error = await self._commit()
        if error is not None:
            raise error

    def abandon(self) -> None:
        """Stop writing, as a crash would (the pass was cancelled or a sender died)."""
        if self._committer is not None:
            self._committer.cancel()

    async def _commit_while_marked(self) -> None:
        try:
            while self._marks:
                await self._commit()
        finally:
            self._committer = None

    async def _commit(self) -> BaseException | None:
        """Write everything pending; the marks' waiters get the outcome, and an error is also returned."""
        marks, self._marks = self._marks, []
        outcomes, self._outcomes = self._outcomes, []
        if not marks and not outcomes:
            return None
        try:
            await self.store.record_sends([delivery_id for delivery_id, _ in marks], outcomes, self.now)
        except Exception as exc:  # handed to every sender waiting on this commit
            for _, waiter in marks:
                if not waiter.done():
                    waiter.set_exception(exc)
            return exc
        except BaseException:
            for _, waiter in marks:
                waiter.cancel()
            raise
        for _, waiter in marks:
            if not waiter.done():  # its sender was cancelled meanwhile
                waiter.set_result(None)
        return None


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
        self._cards: dict[tuple[int, str, bool], TopicCard] = {}

    def stop(self) -> None:
        """Finish the send in flight, hand the rest of the pass back, and claim nothing more."""
        self._stopping = True

    async def run_pass(self, now: datetime | None = None) -> PassReport:
        """Claim and send everything due by `now` (default: the clock's now)."""
        now = now or self.clock.now()
        return await _Pass(self, now).run()

    async def _last_wrap_up(self, sub: Subscription, now: datetime) -> None:
        """A group that just finished the plan gets the last week's wrap-up when its next push would be due."""
        gateway = self.gateways.get(sub.address.platform)
        if sub.kind is not ChatKind.PRIVATE and gateway is not None:
            await self._wrap_up_week(gateway, sub, self.curriculum.total_weeks, now)

    async def _claim_batch(
        self, now: datetime, report: PassReport, finished: list[Subscription] | None = None
    ) -> list[Claim]:
        """Claim up to a batch of due pushes; subscriptions that just went past the plan's end go to `finished`."""
        async with self.store.unit() as uow:
            due = await uow.claim_due(now, self.policy.batch)
            report.due += len(due)
            wanted = {}
            for sub in due:
                push = self._advance(sub, now, report)
                if push is not None:
                    assert sub.id is not None
                    wanted[sub.id] = (sub, push)
                elif sub.next_due_at is None and finished is not None:
                    finished.append(sub)
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
            latest = previous_due(sub.local_time, zone, not_after=now)
            fresh = now - latest <= self.policy.grace
            newer = sub.last_pushed_date is None or due_date(latest, sub.local_time, zone) > sub.last_pushed_date
            due = latest if fresh and newer else None
            if due is None:
                report.skipped += 1
        push: tuple[date, int] | None = None
        if due is not None:
            day = due_date(due, sub.local_time, zone)
            plan_day = (day - sub.start_date).days + 1
            if plan_day > self.curriculum.total_days:
                sub.next_due_at = None
                report.finished += 1
                return None
            push = (day, plan_day)
            sub.last_pushed_date, sub.last_pushed_day = day, plan_day
        sub.next_due_at = next_due(sub.local_time, zone, not_before=now, after_date=sub.last_pushed_date)
        return push

    async def _send(self, claim: Claim, journal: SendJournal, now: datetime, report: PassReport) -> None:
        delivery, sub = claim.delivery, claim.subscription
        gateway = self.gateways.get(sub.address.platform)
        if gateway is None:
            journal.settled(self._failed(claim, now, report, f"no running gateway for {sub.address.platform}"))
            return
        group = sub.kind is not ChatKind.PRIVATE
        if group and delivery.plan_day > 1 and (delivery.plan_day - 1) % DAYS_PER_WEEK == 0:
            await self._wrap_up_week(gateway, sub, (delivery.plan_day - 1) // DAYS_PER_WEEK, now)
        await journal.sending(delivery.id)
        if self._stopping:
            # Stopped while this one waited for its turn: hand it to the next pass (of any process).
            journal.settled(SendOutcome(delivery.id, DeliveryStatus.FAILED, error="released at shutdown", retry_at=now))
            report.released += 1
            return
        journal.settled(await self._outcome(claim, gateway, now, report))

    async def _outcome(self, claim: Claim, gateway: ChatGateway, now: datetime, report: PassReport) -> SendOutcome:
        delivery, sub = claim.delivery, claim.subscription
        card = self._card(delivery.plan_day, sub.language, group=sub.kind is not ChatKind.PRIVATE)
        try:
            try:
                message_id = await gateway.send(sub.address.chat_id, card)
            except ChatMoved as moved:
                # A Telegram group became a supergroup: follow it, keep its history, and send there.
                await self.store.move_chat(sub.address, moved.new_chat_id, now)
                message_id = await gateway.send(moved.new_chat_id, card)
        except SendUncertain as exc:
            report.uncertain += 1
            return SendOutcome(delivery.id, DeliveryStatus.UNKNOWN, error=str(exc))
        except ChatUnreachable as exc:
            log.info("deactivating %s: %s", sub.address, exc)
            await self.store.deactivate(sub.address, now)
            report.deactivated += 1
            return SendOutcome(delivery.id, DeliveryStatus.FAILED, error=str(exc))
        except (TemporaryFailure, ChatMoved) as exc:
            return self._failed(claim, now, report, str(exc))
        except Exception as exc:  # one push's bug must not cost everyone else theirs
            log.exception("push to %s failed", sub.address)
            return self._failed(claim, now, report, f"{type(exc).__name__}: {exc}")
        report.sent += 1
        return SendOutcome(delivery.id, DeliveryStatus.SENT, message_id=message_id)

    def _card(self, plan_day: int, language: str, *, group: bool) -> TopicCard:
        """A push's card; every subscriber on the same day and language gets the same one, so it is made once."""
        key = (plan_day, language, group)
        card = self._cards.get(key)
        if card is None:
            topic = self.curriculum.topic(plan_day, language)
            card = self._cards[key] = render.topic_card(messages(language), topic, done_by=[] if group else None)
        return card

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

    def _failed(self, claim: Claim, now: datetime, report: PassReport, error: str) -> SendOutcome:
        attempts = claim.delivery.attempts + 1
        retry_at = now + self.policy.retry_delay * attempts if attempts < self.policy.max_attempts else None
        log.warning("push to %s failed (attempt %d): %s", claim.subscription.address, attempts, error)
        report.failed += 1
        return SendOutcome(claim.delivery.id, DeliveryStatus.FAILED, error=error, retry_at=retry_at)


class _Pass:
    """One delivery pass: a few senders at once, so one chat waiting for its rate-limit slot holds up no one,
    fed by batch claims that are made while the previous batch's last pushes are still going out."""

    def __init__(self, engine: DeliveryEngine, now: datetime) -> None:
        self.engine = engine
        self.now = now
        self.report = PassReport()
        self.journal = SendJournal(engine.store, now)
        self.waiting: deque[Claim] = deque()
        self.exhausted = False
        self._claiming = asyncio.Lock()

    async def run(self) -> PassReport:
        engine = self.engine
        while not self.waiting and not self.exhausted and not engine._stopping:
            await self._claim()
        if self.waiting:
            senders = [asyncio.create_task(self._sender()) for _ in range(engine.policy.concurrency)]
            try:
                done, _ = await asyncio.wait(senders, return_when=asyncio.FIRST_EXCEPTION)
            except BaseException:
                self.journal.abandon()
                raise
            finally:
                # A sender that died (or our own cancellation) ends the pass as a crash would: what is in flight
                # stays SENDING and becomes UNKNOWN; what was never tried stays claimed, retried after the lease.
                for task in senders:
                    task.cancel()
            errors = [error for task in done if not task.cancelled() and (error := task.exception()) is not None]
            if errors:
                self.journal.abandon()
                raise errors[0]
        await self.journal.flush()
        if self.waiting:
            unsent = [claim.delivery.id for claim in self.waiting]
            await engine.store.release(unsent, self.now)
            self.report.released += len(unsent)
        return self.report

    async def _sender(self) -> None:
        engine, waiting = self.engine, self.waiting
        while not engine._stopping:
            # Claim more when the queue runs low; others keep sending meanwhile, unless there is nothing left.
            low = not self.exhausted and len(waiting) < engine.policy.concurrency
            if low and (not waiting or not self._claiming.locked()):
                await self._claim()
            if not waiting:
                if self.exhausted:
                    return
                continue
            await engine._send(waiting.popleft(), self.journal, self.now, self.report)

    async def _claim(self) -> None:
        engine = self.engine
        async with self._claiming:
            if self.exhausted or engine._stopping or len(self.waiting) >= engine.policy.concurrency:
                return
            finished: list[Subscription] = []
            found_before = self.report.due
            claims = await engine._claim_batch(self.now, self.report, finished)
            claims += await engine.store.retryable_deliveries(self.now, engine.policy.batch, engine.policy.lease)
            for sub in finished:
                await engine._last_wrap_up(sub, self.now)
            # Done when nothing was due any more: a batch of only late (skipped) or finished subscriptions
            # leaves more to look at.
            if not claims and self.report.due == found_before:
                self.exhausted = True
            self.report.claimed += len(claims)
            self.waiting.extend(claims)
