"""The claim step of delivery: what is due by a pass's `now` on some platforms, and what is owed from before (failed
sends whose retry time came, claims whose holder stopped), one batch and one transaction at a time.

The single-process pass claims and sends in one process; the fleet's planner claims here and hands the claims to
send jobs that run elsewhere (`scheduler.fleet`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from bot.core.model import Claim, Delivery, DeliveryKind, Subscription, Wanted
from bot.core.ports import DeliveryLedger, Lease
from scheduler.journal import first_line, patiently
from scheduler.planning import Rules, Tally, plan
from scheduler.policy import DeliveryPolicy


class Claimer:
    def __init__(
        self, ledger: DeliveryLedger, policy: DeliveryPolicy, rules: Rules, now: datetime, platforms: Collection[str]
    ) -> None:
        self.ledger = ledger
        self.policy = policy
        self.rules = rules
        self.now = now
        self.platforms = platforms
        self.tally = Tally()
        self.claimed = 0
        self.error: str | None = None  # the database refused a claim for longer than the outage patience
        self.exhausted = False  # nothing more is due or owed (or claiming failed)
        self._planned = Tally()  # of the claim being made: counted once its transaction commits

    async def claim(self, lease: Callable[[], Lease]) -> list[Claim]:
        """The next batch: due subscriptions (their pushes and wrap-ups) in due order, then what is owed; each
        claimed under `lease()` as of its transaction."""
        if self.exhausted:
            return []
        patience, batch, platforms = self.policy.outage_patience.total_seconds(), self.policy.batch, self.platforms
        self._planned = Tally()
        try:
            # A claim is one transaction: tried again whole while the database is unreachable.
            due, created = await patiently(
                lambda: self.ledger.claim_due(self.now, batch, platforms, self._plan, lease()), patience
            )
            owed = await patiently(lambda: self.ledger.claim_owed(self.now, batch, platforms, lease()), patience)
        except Exception as exc:
            # Unreachable for too long: send what is queued and claim no more; the next pass takes over.
            self.error = first_line(exc)
            self.exhausted = True
            return []
        self.tally.due += self._planned.due
        self.tally.skipped += self._planned.skipped
        self.tally.finished += self._planned.finished
        self.tally.note_due(self._planned.oldest)
        claims = in_due_order(due, created) + owed
        # Done when nothing was due any more: a batch of only late (skipped) or finished subscriptions leaves more
        # to look at.
        if not claims and not due:
            self.exhausted = True
        self.claimed += len(claims)
        return claims

    def _plan(self, due: list[Subscription]) -> list[Wanted]:
        self._planned = Tally()
        return plan(due, self.now, self.rules, self._planned)


def in_due_order(due: list[Subscription], created: list[Delivery]) -> list[Claim]:
    """Claims in due order; a group's wrap-up rides with the push that opens its next week."""
    pushes: dict[int, Delivery] = {}
    wrap_ups: dict[int, Delivery] = {}
    for delivery in created:
        (pushes if delivery.kind is DeliveryKind.PUSH else wrap_ups)[delivery.subscription_id] = delivery
    claims = []
    for sub in due:
        assert sub.id is not None
        push, wrap_up = pushes.get(sub.id), wrap_ups.get(sub.id)
        if push is not None:
            claims.append(Claim(push, sub, wrap_up))
        elif wrap_up is not None:
            claims.append(Claim(wrap_up, sub))
    return claims
