"""What a due subscription gets when a pass claims it: its next due instant, the day's push (unless it is too late,
not a study day, or the plan is over), and, for a group that starts a new study week or has just finished the plan,
the wrap-up of the week before; a DM's own rows (nudge, weekly summary, graduation) come from scheduler.personal.
Pure: the pass calls it inside its claiming transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core.due import due_date, previous_due
from bot.core.model import ChatKind, DeliveryKind, Subscription, Wanted
from bot.core.schedule import after_push, is_nudge_due, next_push
from curriculum.schema import opens_a_week
from scheduler import personal


@dataclass
class Tally:
    """How the due subscriptions of a pass were planned."""

    due: int = 0
    skipped: int = 0  # too late (past the grace period): the topic stays reachable with /today
    finished: int = 0  # past the plan's last day: pushes stop
    oldest: datetime | None = None  # the earliest due instant among them: how far behind the pass runs

    def note_due(self, instant: datetime | None) -> None:
        if instant is not None and (self.oldest is None or instant < self.oldest):
            self.oldest = instant


@dataclass(frozen=True)
class Rules:
    grace: timedelta
    total_days: int


def plan(subs: list[Subscription], now: datetime, rules: Rules, tally: Tally) -> list[Wanted]:
    """Advance each subscription to its next due instant (in place) and list the ledger rows wanted now."""
    wanted: list[Wanted] = []
    tally.due += len(subs)
    for sub in subs:
        assert sub.id is not None
        tally.note_due(sub.next_due_at)
        if is_nudge_due(sub):
            wanted += personal.nudge(sub, now, rules.grace)
            continue
        before = sub.last_pushed_day
        occurrence = _advance(sub, now, rules, tally)
        if occurrence is None:
            continue
        day, plan_day = occurrence
        group = sub.kind is not ChatKind.PRIVATE
        if plan_day > rules.total_days:
            # Finished: a group gets the last week's wrap-up when its next topic would have come, a DM its
            # graduation (once, as the subscription is never due again).
            if group:
                wanted.append(Wanted(sub.id, DeliveryKind.SUMMARY, day, rules.total_days))
            else:
                wanted += personal.graduation(sub, day, rules.total_days)
            continue
        wanted.append(Wanted(sub.id, DeliveryKind.PUSH, day, plan_day))
        if group and opens_a_week(plan_day):
            # The week just ended is wrapped up just before the next one's first topic.
            wanted.append(Wanted(sub.id, DeliveryKind.SUMMARY, day, plan_day - 1))
        elif not group:
            wanted += personal.week_ended(sub, day, before, plan_day)
    return wanted


def _advance(sub: Subscription, now: datetime, rules: Rules, tally: Tally) -> tuple[date, int] | None:
    """Move a due subscription to its next due instant; return the (local date, plan day) that is due now."""
    assert sub.next_due_at is not None and sub.start_date is not None
    zone = sub.zone
    due: datetime | None = sub.next_due_at
    if due is not None and now - due > rules.grace:
        # Back after downtime: only the most recent occurrence may still go out, if it is within grace.
        latest = previous_due(sub.local_time, zone, not_after=now, on=sub.studies_on)
        fresh = now - latest <= rules.grace
        newer = sub.last_pushed_date is None or due_date(latest, sub.local_time, zone) > sub.last_pushed_date
        due = latest if fresh and newer else None
        if due is None:
            tally.skipped += 1
    if due is not None:
        day = due_date(due, sub.local_time, zone)
        # A day that already had its push (a move west across the date line), or that stopped being a study day
        # since it was planned, gets none.
        if (sub.last_pushed_date is None or day > sub.last_pushed_date) and sub.studies_on(day):
            plan_day = sub.position_on(day)
            if plan_day > rules.total_days:
                sub.next_due_at = None
                tally.finished += 1
                return day, plan_day
            sub.last_pushed_date, sub.last_pushed_day = day, plan_day
            sub.next_due_at = after_push(sub, due, now)
            return day, plan_day
    sub.next_due_at = next_push(sub, now, sub.last_pushed_date)
    return None
