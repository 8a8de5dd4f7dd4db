"""The `studybot` command as an operator runs it, in a subprocess with its own environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOKEN = "123456789:AAFakeTokenThatMustNeverBePrinted_xyz"


def studybot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize("language", ["zh", "en"])
def test_export_holds_all_140_days(language: str) -> None:
    result = studybot("curriculum", "export", "--lang", language)
    assert result.returncode == 0, result.stderr
    days = json.loads(result.stdout)
    assert [d["day"] for d in days] == list(range(1, 141))
    assert {d["week"] for d in days} == set(range(1, 21))
    for day in days:
        assert day["title"] and day["practice"] and 2 <= len(day["points"]) <= 5
    assert days[5]["kind"] == "project" and days[6]["kind"] == "review"


def test_show_prints_a_day_as_the_bot_sends_it() -> None:
    result = studybot("curriculum", "show", "--day", "71", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Day 71/140 · Week 11" in result.stdout and "What to learn" in result.stdout
    bad = studybot("curriculum", "show", "--day", "141")
    assert bad.returncode == 2 and "1..140" in bad.stderr


def test_validate_accepts_the_shipped_plan_and_names_problems_in_a_broken_one(tmp_path: Path) -> None:
    ok = studybot("curriculum", "validate")
    assert ok.returncode == 0 and ok.stdout.count("140 days") == 2
    broken = tmp_path / "mine.yaml"
    broken.write_text("language: en\ntitle: Mine\nstages: []\nweeks: []\n", encoding="utf-8")
    result = studybot("curriculum", "validate", str(broken))
    assert result.returncode == 1
    assert "mine.yaml" in result.stderr and "stages" in result.stderr


def test_run_without_a_token_explains_and_fails() -> None:
    result = studybot("run")
    assert result.returncode != 0
    assert "STUDYBOT_TELEGRAM_TOKEN" in result.stderr and "studybot demo" in result.stderr


def test_bad_settings_are_named_without_echoing_secrets(tmp_path: Path) -> None:
    result = studybot("run", env={"STUDYBOT_TELEGRAM_TOKEN": TOKEN, "STUDYBOT_DEFAULT_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 2 and "STUDYBOT_DEFAULT_TIMEZONE" in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_migrate_then_deliver_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = {"STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}"}
    migrated = studybot("migrate", env=env)
    assert migrated.returncode == 0 and "up to date" in migrated.stdout
    delivered = studybot("deliver", "--now", "2026-12-01T08:30:00+08:00", env=env)
    assert delivered.returncode == 2 and "STUDYBOT_TELEGRAM_TOKEN" in delivered.stderr
    bad = studybot("deliver", "--now", "tomorrow", env=env)
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr


def test_migrate_hides_the_database_password() -> None:
    url = "postgresql://postgres:s3cret-pass@127.0.0.1:5432/postgres"
    result = studybot("migrate", env={"STUDYBOT_DATABASE_URL": url})
    assert "s3cret-pass" not in result.stdout + result.stderr


def test_demo_runs_in_a_terminal_session(tmp_path: Path) -> None:
    script = "/start\n/subscribe 08:30 Asia/Shanghai\n/done\n/nextday\n/streak\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LANG": "en_US.UTF-8"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Day 1/140" in result.stdout and "Day 2/140" in result.stdout and "Streak: 1 day" in result.stdout
    assert not list(tmp_path.iterdir())  # the demo leaves no database behind


def test_validate_warns_about_each_day_too_long_for_one_message(tmp_path: Path) -> None:
    import yaml

    from tests.support import long_plan

    plan = tmp_path / "long.yaml"
    plan.write_text(yaml.safe_dump(long_plan(), allow_unicode=True), encoding="utf-8")
    result = studybot("curriculum", "validate", str(plan))
    assert result.returncode == 0, result.stderr  # a warning, not an error: the bot trims the card
    warnings = [line for line in result.stdout.splitlines() if line.startswith("  ! ")]
    assert warnings and all(line.startswith("  ! week 1, day 5: ") for line in warnings)
    assert any("longer than a Telegram message (4,096)" in line for line in warnings)
    assert any("'What to learn' is" in line and "Discord" in line for line in warnings)
    assert "day 4" not in result.stdout


def test_version_comes_from_the_installed_package() -> None:
    from importlib import metadata

    result = studybot("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"studybot {metadata.version('studybot')}"
    assert metadata.version("studybot").count(".") >= 1
