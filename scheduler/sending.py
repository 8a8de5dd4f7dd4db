"""Sending one claimed ledger row (a push, a weekly wrap-up or an announcement) and turning what the platform said
into its outcome.

Nothing here raises for a platform's or a chat's fault: each ends as an outcome in the journal, so one chat's
trouble never costs anyone else their push.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import render
from bot.core.chats import Chats
from bot.core.due import local_date
from bot.core.gateways import Gateways
from bot.core.i18n import messages
from bot.core.model import ChatKind, Claim, Delivery, DeliveryKind, DeliveryStatus, SendOutcome, Subscription
from bot.core.ports import (
    CannotPost,
    ChatGateway,
    ChatMoved,
    ChatUnreachable,
    OnWire,
    SendUncertain,
    Store,
    TemporaryFailure,
)
from bot.core.replies import Reply, TopicCard
from bot.core.summary import weekly_summary
from curriculum.loader import Curriculum
from curriculum.schema import week_of
from scheduler import personal_sending
from scheduler.announcing import Announcements
from scheduler.journal import ClaimLost, SendJournal

log = logging.getLogger(__name__)


@dataclass
class SendTally:
    sent: int = 0  # pushes
    wrap_ups: int = 0
    personal: int = 0  # a DM's nudges, weekly summaries and graduations
    failed: int = 0
    deactivated: int = 0
    cannot_post: int = 0
    uncertain: int = 0
    released: int = 0
    broadcasts: int = 0  # operators' announcements


@dataclass(frozen=True)
class Retries:
    delay: timedelta
    max_attempts: int


class NotSent(Exception):
    """The send stopped before its request went on the wire; `lost` if another pass holds the claim now."""

    def __init__(self, why: str, *, lost: bool = False) -> None:
        super().__init__(why)
        self.lost = lost


class Cards:
    """A push's card; every subscriber on the same day and language gets the same one, so it is made once."""

    def __init__(self, curriculum: Curriculum) -> None:
        self.curriculum = curriculum
        self._cards: dict[tuple[int, str, bool], TopicCard] = {}

    def card(self, plan_day: int, language: str, *, group: bool) -> TopicCard:
        key = (plan_day, language, group)
        card = self._cards.get(key)
        if card is None:
            topic = self.curriculum.topic(plan_day, language)
            card = self._cards[key] = render.topic_card(messages(language), topic, done_by=[] if group else None)
        return card


class Sender:
    """Sends the claims of one pass through the connected gateways, recording through its journal."""

    def __init__(
        self,
        store: Store,
        chats: Chats,
        gateways: Gateways,
        curriculum: Curriculum,
        cards: Cards,
        journal: SendJournal,
        retries: Retries,
        now: datetime,
        stopping: Callable[[], bool],
    ) -> None:
        self.store = store
        self.chats = chats
        self.gateways = gateways
        self.curriculum = curriculum
        self.cards = cards
        self.journal = journal
        self.retries = retries
        self.now = now
        self.stopping = stopping
        self.tally = SendTally()
        self.announcements = Announcements(store)

    async def send(self, claim: Claim) -> None:
        """A wrap-up that opens the claim goes first; whatever becomes of it, the push follows."""
        if claim.wrap_up is not None:
            await self._send(claim.wrap_up, claim.subscription)
        await self._send(claim.delivery, claim.subscription)

    async def _send(self, delivery: Delivery, sub: Subscription) -> None:
        gateway = self.gateways.get(sub.address.platform)
        if gateway is None or self.stopping():
            # The platform disconnected, or the process is stopping: the next pass (of any process) sends it.
            self._give_back(delivery)
            return
        try:
            outcome = await self._outcome(delivery, sub, gateway)
        except NotSent as why:
            if not why.lost:
                self._give_back(delivery)
            return
        self.journal.settled(outcome)

    def _give_back(self, delivery: Delivery) -> None:
        self.journal.give_back(delivery.id)
        self.tally.released += 1

    async def _outcome(self, delivery: Delivery, sub: Subscription, gateway: ChatGateway) -> SendOutcome:
        try:
            replies = await self._replies(delivery, sub)
            message_id = await self._deliver(delivery, sub, gateway, replies)
        except NotSent:
            raise
        except personal_sending.Cancelled as exc:
            return SendOutcome(delivery.id, DeliveryStatus.SKIPPED, error=str(exc))
        except SendUncertain as exc:
            self.tally.uncertain += 1
            return SendOutcome(delivery.id, DeliveryStatus.UNKNOWN, error=str(exc))
        except ChatUnreachable as exc:
            log.info("deactivating %s: %s", sub.address, exc)
            await _noted(self.chats.gone(sub.address), f"deactivating {sub.address}")
            self.tally.deactivated += 1
            return SendOutcome(delivery.id, DeliveryStatus.FAILED, error=str(exc))
        except CannotPost as exc:
            # The chat is still there: keep it, skip today, and let its admins know how to fix it.
            log.info("cannot post in %s (%s): %s", sub.address, exc.reason, exc)
            await _noted(self.chats.cannot_post(sub, exc.reason), f"noting why {sub.address} takes no posts")
            self.tally.cannot_post += 1
            return SendOutcome(delivery.id, DeliveryStatus.SKIPPED, error=f"cannot post ({exc.reason}): {exc}")
        except (TemporaryFailure, ChatMoved) as exc:
            return self._failed(delivery, sub, str(exc))
        except Exception as exc:  # one chat's bug must not cost everyone else their push
            log.exception("sending %s to %s failed", delivery.kind.value, sub.address)
            return self._failed(delivery, sub, f"{type(exc).__name__}: {exc}")
        if delivery.kind is DeliveryKind.PUSH:
            self.tally.sent += 1
        elif delivery.kind is DeliveryKind.BROADCAST:
            self.tally.broadcasts += 1
        elif delivery.kind is DeliveryKind.SUMMARY:
            self.tally.wrap_ups += 1
        else:
            self.tally.personal += 1
        if sub.post_problem is not None:
            await _noted(self.chats.can_post(sub), f"clearing the posting problem of {sub.address}")
        return SendOutcome(delivery.id, DeliveryStatus.SENT, message_id=message_id)

    async def _replies(self, delivery: Delivery, sub: Subscription) -> Sequence[Reply]:
        group = sub.kind is not ChatKind.PRIVATE
        total = self.curriculum.total_days
        if delivery.kind is DeliveryKind.PUSH:
            return [self.cards.card(delivery.plan_day, sub.language, group=group)]
        if delivery.kind is DeliveryKind.BROADCAST:
            return [await self.announcements.reply(delivery, sub)]
        if delivery.kind is not DeliveryKind.SUMMARY:
            return await personal_sending.replies(self.store, self.curriculum, delivery, sub, self.now, total)
        assert sub.id is not None
        async with self.store.reading() as reading:
            completions = await reading.chat_completions(sub.id)
        week = week_of(delivery.plan_day)
        return weekly_summary(sub, week, completions, local_date(self.now, sub.zone), self.curriculum)

    async def _deliver(
        self, delivery: Delivery, sub: Subscription, gateway: ChatGateway, replies: Sequence[Reply]
    ) -> str:
        """Send the replies in order; the first one's message id names the delivery."""

        async def on_wire() -> None:
            if self.stopping():
                raise NotSent("stopping")
            try:
                await self.journal.on_wire(delivery.id)
            except ClaimLost as exc:
                raise NotSent(str(exc), lost=True) from None
            except Exception as exc:  # the ledger is unreachable: nothing went out, so it may go out later
                raise NotSent(f"ledger unreachable: {exc}") from None

        first: str | None = None
        chat_id = sub.address.chat_id
        for reply in replies:
            try:
                try:
                    message_id = await gateway.send(chat_id, reply, on_wire=on_wire)
                except ChatMoved as moved:
                    # A Telegram group became a supergroup: follow it, keep its history, and send there.
                    await self.chats.moved(sub.address, moved.new_chat_id)
                    chat_id = moved.new_chat_id
                    message_id = await gateway.send(chat_id, reply, on_wire=on_wire)
            except (NotSent, SendUncertain, ChatUnreachable, CannotPost, TemporaryFailure, ChatMoved) as exc:
                if first is None:
                    raise
                # The wrap-up's text went out; its picture is a bonus not worth a second copy of the text.
                log.warning("part of the %s to %s was not sent: %s", delivery.kind.value, sub.address, exc)
                break
            first = first or message_id
        assert first is not None
        await self._after_push(delivery, sub, gateway, chat_id, on_wire)
        return first

    async def _after_push(
        self, delivery: Delivery, sub: Subscription, gateway: ChatGateway, chat_id: str, on_wire: OnWire
    ) -> None:
        """A DM's push is followed by a word about a streak freeze spent on a missed day, if there is news: read
        only once the card went out, so no push waits for it, and a bonus, so its failure fails nothing."""
        if delivery.kind is not DeliveryKind.PUSH or sub.kind is not ChatKind.PRIVATE:
            return
        try:
            note = await personal_sending.freeze_note(self.store, sub, self.now, self.curriculum.total_days)
            if note is not None:
                await gateway.send(chat_id, note, on_wire=on_wire)
        except Exception as exc:
            log.warning("the freeze note to %s was not sent: %s", sub.address, exc)

    def _failed(self, delivery: Delivery, sub: Subscription, error: str) -> SendOutcome:
        attempts = delivery.attempts + 1
        retry_at = self.now + self.retries.delay * attempts if attempts < self.retries.max_attempts else None
        log.warning("%s to %s failed (attempt %d): %s", delivery.kind.value, sub.address, attempts, error)
        self.tally.failed += 1
        return SendOutcome(delivery.id, DeliveryStatus.FAILED, error=error, retry_at=retry_at)


async def _noted(change: Awaitable[None], what: str) -> None:
    """A change about the chat that follows a send: if the database refuses it now, the send's own outcome still
    counts, and the next send to that chat tries the change again."""
    try:
        await change
    except Exception as exc:
        log.warning("%s failed: %s", what, exc)
