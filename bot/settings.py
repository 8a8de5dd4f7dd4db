"""Every STUDYBOT_* setting in one typed object, read from the environment or a .env file."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.parsing import parse_time, parse_zone
from curriculum.loader import SHIPPED_FILES

DEFAULT_DATABASE = "sqlite+aiosqlite:///studybot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDYBOT_", env_file=".env", extra="ignore")

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

    @field_validator("telegram_token", "discord_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value
