"""Each chat's own local date at one instant, as SQL: zones are grouped by the date they show, so a condition or a
value over many chats costs a few clauses (at most three dates are in use at once), not one per chat."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, literal, or_

from bot.core.zones import zone_named
from bot.store.tables import SubscriptionRow
from bot.store.types import LocalDate


class LocalDays:
    """The dates chats' zones show at `now`, for conditions and values over the subscriptions table."""

    def __init__(self, now: datetime, zones: Iterable[str]) -> None:
        self.by_today: dict[date, list[str]] = {}
        for zone in sorted(set(zones)):
            self.by_today.setdefault(now.astimezone(zone_named(zone)).date(), []).append(zone)

    def between(self, column: Any, first: int, last: int) -> ColumnElement[bool]:
        """`column` (a local date) lies from the chat's today + `first` to today + `last` days."""
        if not self.by_today:
            return false()
        return or_(
            *(
                and_(
                    SubscriptionRow.timezone.in_(zones),
                    column >= today + timedelta(days=first),
                    column <= today + timedelta(days=last),
                )
                for today, zones in self.by_today.items()
            )
        )

    def today(self) -> Any:
        """The chat's today, as a value in a SELECT over subscriptions."""
        whens = [
            (SubscriptionRow.timezone.in_(zones), literal(today, LocalDate())) for today, zones in self.by_today.items()
        ]
        if not whens:
            return literal(None, LocalDate())
        return case(*whens)
