"""Rows and core dataclasses, mapped once: a dataclass field is the table column of the same name, converted as
the column's type says (`bot.store.types`). Only what is not a plain column is spelled out here: the address of a
subscription, and the enums. Adding a column to a table and a field to its dataclass needs nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Table

from bot.core.model import (
    Address,
    Announcement,
    ChatKind,
    Completion,
    Correction,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Pace,
    Subscription,
)
from bot.store.tables import CompletionRow, CorrectionRow, DeliveryRow, SubscriptionRow
from bot.store.types import UNCHANGED, Convert, reader, writer

SUBSCRIPTIONS: Table = SubscriptionRow.__table__  # type: ignore[assignment]
DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[assignment]
COMPLETIONS: Table = CompletionRow.__table__  # type: ignore[assignment]
CORRECTIONS: Table = CorrectionRow.__table__  # type: ignore[assignment]


def _plain(model: type[Any], table: Table, spelled_out: Sequence[str]) -> tuple[str, ...]:
    names = [f.name for f in fields(model) if f.name not in spelled_out]
    missing = [name for name in names if name not in table.c]
    if missing:
        raise TypeError(f"{model.__name__} fields without a column in {table.name}: {missing}")
    return tuple(names)


_SUB_PLAIN = _plain(Subscription, SUBSCRIPTIONS, ("address", "kind", "pace"))
# The columns a Subscription is read from, in the order the plain SELECTs name them.
SUBSCRIPTION_COLUMNS: tuple[str, ...] = ("platform", "chat_id", "kind", "pace", *_SUB_PLAIN)
_DELIVERY_PLAIN = _plain(Delivery, DELIVERIES, ("status", "kind"))
_COMPLETION_PLAIN = _plain(Completion, COMPLETIONS, ())
_CORRECTION_PLAIN = _plain(Correction, CORRECTIONS, ())


def subscription(row: Any) -> Subscription:
    """From an ORM object or a row whose names are the table's columns."""
    return subscription_from({name: getattr(row, name) for name in SUBSCRIPTION_COLUMNS})


def subscription_from(values: dict[str, Any]) -> Subscription:
    """From the values of SUBSCRIPTION_COLUMNS, by name (the dict is used up)."""
    address = Address(values.pop("platform"), values.pop("chat_id"))
    kind, pace = ChatKind(values.pop("kind")), Pace(values.pop("pace"))
    return Subscription(address=address, kind=kind, pace=pace, **values)


def subscription_values(sub: Subscription) -> dict[str, Any]:
    """The columns a Subscription is stored in (the id is the caller's)."""
    values = {name: getattr(sub, name) for name in _SUB_PLAIN if name != "id"}
    values.update(platform=sub.address.platform, chat_id=sub.address.chat_id, kind=sub.kind.value, pace=sub.pace.value)
    return values


def delivery(row: Any) -> Delivery:
    return Delivery(
        status=DeliveryStatus(row.status),
        kind=DeliveryKind(row.kind),
        **{name: getattr(row, name) for name in _DELIVERY_PLAIN},
    )


def announcement(row: Any) -> Announcement:
    return Announcement(
        row.id, row.text, row.platform, ChatKind(row.kind) if row.kind else None, row.created_at, row.recipients
    )


def completion(row: Any) -> Completion:
    return Completion(**{name: getattr(row, name) for name in _COMPLETION_PLAIN})


def completion_values(done: Completion) -> dict[str, Any]:
    return {name: getattr(done, name) for name in _COMPLETION_PLAIN}


def correction(row: Any) -> Correction:
    return Correction(**{name: getattr(row, name) for name in _CORRECTION_PLAIN})


def correction_values(change: Correction) -> dict[str, Any]:
    return {name: getattr(change, name) for name in _CORRECTION_PLAIN}


class PlainRows:
    """For the ledger's plain statements (no SQLAlchemy per value): the same columns, converted by the same
    functions as the column types convert them on this dialect."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        readers = [reader(SUBSCRIPTIONS.c[name].type, dialect) for name in SUBSCRIPTION_COLUMNS]
        readers[SUBSCRIPTION_COLUMNS.index("kind")] = ChatKind
        readers[SUBSCRIPTION_COLUMNS.index("pace")] = Pace
        # A claim maps a thousand rows at a time: only the columns whose type converts are converted (calling a
        # do-nothing reader for each plain value was half of the time), and the dataclass gets its fields by
        # position (by name, the keywords' matching cost as much again).
        self._converting = [(i, read) for i, read in enumerate(readers) if read is not UNCHANGED]
        after_address = [f.name for f in fields(Subscription)][1:]
        self._positions = [SUBSCRIPTION_COLUMNS.index(name) for name in after_address]
        assert SUBSCRIPTION_COLUMNS[:2] == ("platform", "chat_id") and fields(Subscription)[0].name == "address"

    def subscription(self, values: Sequence[Any]) -> Subscription:
        """From a row of the SUBSCRIPTION_COLUMNS, in that order."""
        row = list(values)
        if len(row) != len(SUBSCRIPTION_COLUMNS):
            raise ValueError(f"{len(row)} values for {len(SUBSCRIPTION_COLUMNS)} subscription columns")
        for i, read in self._converting:
            row[i] = read(row[i])
        return Subscription(Address(row[0], row[1]), *[row[i] for i in self._positions])

    def write(self, table: Table, column: str) -> Convert:
        return writer(table.c[column].type, self.dialect)
