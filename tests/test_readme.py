"""The README's promises that can drift from the code: its one table of STUDYBOT_* settings holds every setting of
bot/settings.py with its default, and nothing else; and every `studybot` command it shows exists."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from tests.deployment import COMING_SETTINGS, ROOT, SETTING, require_setting, require_subcommand, settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def setting_rows() -> dict[str, str]:
    """Each setting named in a table row's first cell, with the row's default cell; rows of every table whose
    first cell names a setting."""
    rows: dict[str, str] = {}
    for line in README.splitlines():
        if not line.startswith("| `STUDYBOT_"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for name in SETTING.findall(cells[0]):
            assert name not in rows, f"{name} is in the table twice"
            rows[name] = cells[1]
    return rows


ROWS = setting_rows()


def test_the_settings_are_in_one_table() -> None:
    tables = re.findall(r"\| setting \| default \| meaning \|\n\|---\|---\|---\|\n((?:\|.*\n)+)", README)
    assert len(tables) == 1
    assert sum(1 for line in README.splitlines() if line.startswith("| `STUDYBOT_")) == tables[0].count("\n")


@pytest.mark.parametrize("name", sorted(settings()))
def test_every_setting_is_in_the_table(name: str) -> None:
    assert name in ROWS


@pytest.mark.parametrize("name", sorted(ROWS))
def test_every_setting_in_the_table_is_real(name: str) -> None:
    require_setting(name)


def shown(default: object) -> str | None:
    """How the table writes a default, where the default has one plain spelling."""
    if default is None:
        return "unset"
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    if isinstance(default, time):
        return f"`{default:%H:%M}`"
    if isinstance(default, str | int | float):
        return f"`{default}`"
    return None  # a list of files: described in words


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_the_table_gives_each_default(field: str) -> None:
    info = Settings.model_fields[field]
    default = info.get_default(call_default_factory=True)
    expected = shown(default)
    name = "STUDYBOT_" + field.upper()
    if expected is None:
        assert isinstance(default, list) and all(isinstance(p, Path) for p in default)
        assert all(p.name in ROWS[name] for p in default), ROWS[name]
        return
    # The spelling, then perhaps what it means: "unset (long polling)".
    assert ROWS[name] == expected or ROWS[name].startswith(expected + " ("), ROWS[name]


def readme_commands() -> list[str]:
    """The subcommand of every `studybot ...` line in the README's shell blocks and of every inline `studybot x`."""
    shell = "\n".join(re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL))
    found = set(re.findall(r"^studybot ([a-z][a-z-]*)", shell, flags=re.MULTILINE))
    found |= set(re.findall(r"`studybot ([a-z][a-z-]*)", README))
    return sorted(found)


@pytest.mark.parametrize("name", readme_commands())
def test_every_command_the_readme_shows_exists(name: str) -> None:
    require_subcommand(name)


def test_settings_not_yet_landed_are_documented_too() -> None:
    # The deployment files may use them, so the table names them already; once their branches land, the tests above
    # check them like any other.
    assert set(COMING_SETTINGS) <= set(ROWS)
