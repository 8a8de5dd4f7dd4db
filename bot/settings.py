"""Every STUDYBOT_* setting in one typed object, read from the environment or a .env file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.parsing import parse_time, parse_zone
from curriculum.loader import SHIPPED_FILES

DEFAULT_DATABASE = "sqlite+aiosqlite:///studybot.db"
# What Telegram accepts as a webhook: HTTPS on one of these ports, and a secret of 1-256 of these characters.
WEBHOOK_PORTS = (443, 80, 88, 8443)
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Paths the web server answers itself: a webhook may not take them.
WEB_PATHS = ("/healthz", "/metrics", "/me", "/plan", "/sign-out")
# ASCII digits only: "²/8" is no shard.
MAX_SHARDS = 100_000  # far beyond the largest bots (one shard per 1,000-2,500 servers)
# A dashboard key shorter than this could be guessed offline from one signed link.
MIN_SECRET_KEY = 32
SHARDS = re.compile(r"(?P<ids>\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*)\s*/\s*(?P<count>\d+)", re.ASCII)


@dataclass(frozen=True)
class Shards:
    """The Discord shards one process owns: `ids` of `count` (STUDYBOT_DISCORD_SHARDS=0-3/8)."""

    ids: tuple[int, ...]
    count: int

    def __str__(self) -> str:
        return f"{','.join(map(str, self.ids))}/{self.count}"


def parse_shards(text: str) -> Shards:
    """'0-3/8' (shards 0 to 3 of 8), '5/8' (shard 5 of 8), '0,2,4-5/8'; raises ValueError with the forms accepted."""
    usage = "use IDS/COUNT: 0-3/8 (shards 0 to 3 of 8), 5/8, or 0,2,4-5/8"
    found = SHARDS.fullmatch(text.strip())
    if found is None:
        raise ValueError(usage)
    count = int(found["count"])
    if not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"the shard count must be 1 to {MAX_SHARDS:,}; {usage}")
    ids: set[int] = set()
    for piece in found["ids"].split(","):
        low, _, high = piece.strip().partition("-")
        first, last = int(low), int(high or low)
        if first > last:
            raise ValueError(f"{piece.strip()!r} runs backwards; {usage}")
        if last >= count:
            raise ValueError(f"shard ids run from 0 to {count - 1} when there are {count} shards")
        ids.update(range(first, last + 1))
    return Shards(tuple(sorted(ids)), count)


class Settings(BaseSettings):
    # hide_input_in_errors: a ValidationError, printed anywhere, never carries a value (a token, a secret).
    model_config = SettingsConfigDict(
        env_prefix="STUDYBOT_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    # Secret so that printing the settings never shows a database password.
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE)
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # Off only where Telegram lifts its limits (paid broadcasts) or in benchmarks.
    telegram_rate_limit: bool = True
    # The bot token's send budget, for the whole fleet: Telegram allows about 30 a second, and up to 1,000 as paid
    # broadcasts (each costs Telegram Stars), which every message carries when this is above 30.
    telegram_messages_per_second: float = Field(default=29.5, gt=0, le=1000)
    discord_token: SecretStr | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    # This process's Discord shards (empty: one connection for every server). Pushes never need them: any process
    # sends to any channel over REST.
    discord_shards: Annotated[Shards | None, NoDecode] = None
    # The small web server (/healthz, /metrics, the Telegram webhook): off unless a port is set, so that a laptop's
    # `run` opens no port; loopback unless told otherwise, so that metrics are not published by accident.
    web_port: int | None = Field(default=None, ge=0, le=65535)
    web_host: str = "127.0.0.1"
    # Telegram webhook mode: Telegram POSTs updates to this public HTTPS URL (a proxy in front forwards them to the
    # web server, same path); every replica shares the secret, which each request must carry.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    log_level: str = "INFO"
    plan_files: Annotated[list[Path], NoDecode] = Field(default_factory=lambda: list(SHIPPED_FILES))
    default_time: time = time(8, 0)
    default_timezone: str = "UTC"
    delivery_interval_seconds: float = Field(default=30.0, gt=0)
    catchup_grace_hours: float = Field(default=6.0, ge=0)
    # Pushes in flight at once during a pass (each platform's rate limits still apply across them).
    delivery_concurrency: int = Field(default=16, ge=1, le=64)
    # How long a pass's claims stay its own without a heartbeat (it renews them every third of this): after a
    # crash, untried pushes wait at most this long for another pass to take them over.
    delivery_lease_seconds: float = Field(default=30.0, ge=3)
    # How often group pushes are edited to show who is done: one edit per interval, however many finish.
    live_edit_seconds: float = Field(default=5.0, gt=0)
    # Delivery moves to `studybot worker` processes on procrastinate (PostgreSQL only); `run` then only answers.
    fleet: bool = False
    # The dashboard: where browsers reach the web server (the sign-in links /dashboard sends start with it), and the
    # key that signs those links and the sessions. Without a key, one is made once and kept in the database, so
    # that every process on it (run, web, replicas) signs and checks with the same one.
    public_url: str | None = None
    secret_key: SecretStr | None = None

    @field_validator("plan_files", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part.strip()) for part in value.split(",") if part.strip()]
        return value

    @field_validator("default_time", mode="before")
    @classmethod
    def _read_time(cls, value: object) -> object:
        if isinstance(value, str):
            parsed = parse_time(value)
            if parsed is None:
                raise ValueError("use HH:MM, for example 08:30")
            return parsed
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone = parse_zone(value)
        if zone is None:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Asia/Shanghai")
        return zone

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("fleet")
    @classmethod
    def _fleet_on_postgres(cls, value: bool, info: ValidationInfo) -> bool:
        url = info.data.get("database_url")
        if value and url is not None and not url.get_secret_value().startswith(("postgresql", "postgres:")):
            # The URL itself is never repeated: it may hold a password.
            raise ValueError("the fleet runs on PostgreSQL: set STUDYBOT_DATABASE_URL=postgresql+psycopg://...")
        return value

    @field_validator(
        "telegram_token", "discord_token", "web_port", "telegram_webhook_url", "telegram_webhook_secret", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("discord_shards", mode="before")
    @classmethod
    def _read_shards(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_shards(value) if value.strip() else None
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        try:
            port = parts.port or 443
        except ValueError:
            raise ValueError("the port is not a number") from None
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("Telegram sends webhooks to https:// URLs only, e.g. https://bot.example.com/telegram")
        if port not in WEBHOOK_PORTS:
            raise ValueError(f"Telegram sends webhooks to ports {', '.join(map(str, WEBHOOK_PORTS))} only, not {port}")
        if parts.path in ("", "/") or parts.path in WEB_PATHS:
            raise ValueError("give the URL a path of its own, e.g. https://bot.example.com/telegram")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            # Never the value itself: it is a secret.
            raise ValueError("use 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Self:
        if self.telegram_webhook_url is None:
            return self
        if self.telegram_webhook_secret is None:
            raise ValueError(
                "webhook mode needs STUDYBOT_TELEGRAM_WEBHOOK_SECRET (shared by every replica), "
                "e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if self.web_port is None:
            raise ValueError("webhook mode needs STUDYBOT_WEB_PORT: the web server receives Telegram's requests")
        return self

    @field_validator("public_url", "secret_key", mode="before")
    @classmethod
    def _unset_if_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("use the address browsers open, e.g. https://study.example.com (a path is allowed)")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY:
            # Never the value itself: it is a secret.
            raise ValueError(
                f"use at least {MIN_SECRET_KEY} characters, e.g. from: python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'"
            )
        return value

    @property
    def webhook_path(self) -> str | None:
        """The path the web server takes Telegram's webhook requests on: the public URL's."""
        return urlsplit(self.telegram_webhook_url).path if self.telegram_webhook_url else None
