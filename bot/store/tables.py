"""The database tables; the core never sees these, only the dataclasses the repository maps them to."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.core.studydays import Schedule
from bot.store.types import LocalDate, StudySchedule, UTCDateTime, WallTime

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id"),
        # The delivery pass asks only "who is due by now": an index on the due instant makes that cost
        # follow what is due, not how many subscribe (inactive rows keep it NULL).
        Index("ix_subscriptions_next_due_at", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    local_time: Mapped[time] = mapped_column(WallTime)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Stopped by /pause rather than /unsubscribe (both keep the progress; /settings tells them apart).
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    start_date: Mapped[date | None] = mapped_column(LocalDate, nullable=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_pushed_date: Mapped[date | None] = mapped_column(LocalDate, nullable=True)
    last_pushed_day: Mapped[int] = mapped_column(Integer, default=0)
    post_problem: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Where the chat is in the plan, and how it moves (see bot.core.model.Subscription).
    start_day: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    first_day: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    pace: Mapped[str] = mapped_column(String(16), default="calendar", server_default="calendar")
    schedule: Mapped[Schedule] = mapped_column(StudySchedule, default=(), server_default="")
    nudge: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    nudge_time: Mapped[time | None] = mapped_column(WallTime, nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    freeze_told: Mapped[date | None] = mapped_column(LocalDate, nullable=True)
    graduated_on: Mapped[date | None] = mapped_column(LocalDate, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CompletionRow(Base):
    __tablename__ = "completions"
    __table_args__ = (
        # One completion per person per plan day of each run of the plan (a /restart from day 1 starts a new run).
        UniqueConstraint("subscription_id", "user_id", "round", "plan_day"),
        # A personal streak counts a person's days in every chat (their DM and their groups).
        Index("ix_completions_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(100), default="")
    plan_day: Mapped[int] = mapped_column(Integer)
    local_date: Mapped[date] = mapped_column(LocalDate)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class CorrectionRow(Base):
    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_subscription_id", "subscription_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    admin_id: Mapped[str] = mapped_column(String(64))
    admin_name: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[str] = mapped_column(String(64))
    member_name: Mapped[str] = mapped_column(String(100))
    plan_day: Mapped[int] = mapped_column(Integer)
    marked_done: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    # The exactly-once key: one message of each kind per subscription per local date, whoever claims it; and one
    # per announcement (`ref`), however many are made in a day.
    __table_args__ = (
        UniqueConstraint("subscription_id", "local_date", "kind", "ref"),
        Index("ix_deliveries_status_retry_at", "status", "retry_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(LocalDate)
    kind: Mapped[str] = mapped_column(String(16), default="push", server_default="push")
    # 0, except for a broadcast: the id of its announcement.
    ref: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    plan_day: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The pass holding a CLAIMED or SENDING row, and until when; a live pass keeps extending it.
    claimed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class HandledUpdateRow(Base):
    """Platform updates already handled (Telegram's update_id), whichever replica took them: a webhook Telegram
    retries, or that two replicas both receive, is handled once. Kept a day and an hour (Telegram gives up on an
    update after a day), then pruned."""

    __tablename__ = "handled_updates"
    __table_args__ = (Index("ix_handled_updates_handled_at", "handled_at"),)

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnnouncementRow(Base):
    """An operator's announcement (`studybot broadcast`); its recipients are ledger rows of kind broadcast."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    # Who it went to: every active chat, or those of one platform and/or chat kind (NULL: any).
    platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer)


class SharedSecretRow(Base):
    """Keys every process on the database must share, made once by whichever process needed one first (the
    dashboard's signing key, when STUDYBOT_SECRET_KEY is not set). Never logged or shown."""

    __tablename__ = "shared_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
