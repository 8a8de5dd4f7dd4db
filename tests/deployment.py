"""What the deployment files may name, read from the code: the `studybot` subcommands (the Typer app) and the
STUDYBOT_* settings (the Settings model); and the Dockerfile and .dockerignore as Docker reads them."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import typer

from bot.cli import app
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTING = re.compile(r"\bSTUDYBOT_[A-Z0-9_]+\b")

# Names a branch's deployment files use before the branch that brings them has landed, each with that branch's name:
# a check of such a name is skipped, naming the branch, until the name exists; then
# `test_no_name_waits_for_a_branch_that_has_landed` fails until the entry is removed here. (issue 13's `worker`,
# STUDYBOT_FLEET and the web settings have landed.)
COMING_COMMANDS: dict[str, str] = {}
COMING_SETTINGS: dict[str, str] = {}


@cache
def subcommands() -> frozenset[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return frozenset(group.commands)


@cache
def settings() -> frozenset[str]:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return frozenset(prefix + name.upper() for name in Settings.model_fields)


def require_subcommand(name: str) -> None:
    if name in subcommands():
        return
    if name in COMING_COMMANDS:
        pytest.skip(f"`studybot {name}` comes with branch {COMING_COMMANDS[name]}")
    pytest.fail(f"`studybot {name}` is not a subcommand; there are: {', '.join(sorted(subcommands()))}")


def require_setting(name: str) -> None:
    if name in settings():
        return
    if name in COMING_SETTINGS:
        pytest.skip(f"{name} comes with branch {COMING_SETTINGS[name]}")
    pytest.fail(f"{name} is not a setting (bot/settings.py)")


def require_studybot_command(words: list[str]) -> None:
    """A command line that runs studybot names a real subcommand."""
    assert words and words[0] == "studybot", words
    assert len(words) > 1, f"{words}: a bare `studybot` only prints its help"
    require_subcommand(words[1])


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int  # 0 for the first FROM's stage, 1 for the next...

    def words(self) -> list[str]:
        return shlex.split(self.arguments)


def dockerfile(path: Path = ROOT / "Dockerfile") -> list[Instruction]:
    """The instructions, with continuation lines joined and comments dropped, as Docker's parser sees them."""
    instructions: list[Instruction] = []
    stage, pending = -1, ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage))
    return instructions


def env_of(instruction: Instruction) -> dict[str, str]:
    """ENV key=value pairs (the only form used here)."""
    pairs = dict(word.split("=", 1) for word in instruction.words())
    return pairs


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match, plus `**`) as a regular expression over slash paths."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore(path: Path = ROOT / ".dockerignore") -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, _pattern(line.lstrip("!").strip("/"))))
    return rules


def ignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves the path out of the build context: the last rule that matches it, or one of its parent
    directories, decides."""
    parts = relative.strip("/").split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    verdict = False
    for negated, rule in rules:
        if any(rule.fullmatch(prefix) for prefix in prefixes):
            verdict = not negated
    return verdict
