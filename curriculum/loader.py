"""Loads plan files, reporting problems by file, week and day, and serves a day's topic by number."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from curriculum.schema import DAYS_PER_WEEK, Day, Plan, Stage, Week, week_days, week_of

DATA_DIR = Path(__file__).parent / "data"
SHIPPED_FILES = (DATA_DIR / "zh.yaml", DATA_DIR / "en.yaml")
# libyaml's safe loader parses the shipped plan ~15x faster than the pure-Python one; both are safe.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PlanError(ValueError):
    """A plan file that cannot be used; `problems` holds one readable line per problem."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class Topic:
    """One day of a plan, with its place in the whole (plan_day counts from 1 across all weeks)."""

    plan_day: int
    total_days: int
    stage: Stage
    week: Week
    day: Day


@dataclass(frozen=True)
class Curriculum:
    """The plan in each language it is written in; a language without a file falls back to the first."""

    plans: dict[str, Plan]

    def __post_init__(self) -> None:
        if not self.plans:
            raise ValueError("a curriculum needs at least one plan")
        lengths = {len(p.weeks) for p in self.plans.values()}
        if len(lengths) != 1:
            raise ValueError(f"the plans' languages disagree on the number of weeks: {sorted(lengths)}")

    @property
    def languages(self) -> list[str]:
        return list(self.plans)

    @cached_property
    def total_weeks(self) -> int:
        return len(next(iter(self.plans.values())).weeks)

    @property
    def total_days(self) -> int:
        return self.total_weeks * DAYS_PER_WEEK

    def plan(self, language: str) -> Plan:
        return self.plans.get(language) or next(iter(self.plans.values()))

    def topic(self, plan_day: int, language: str) -> Topic:
        if not 1 <= plan_day <= self.total_days:
            raise ValueError(f"day {plan_day} is outside the plan (1..{self.total_days})")
        plan = self.plan(language)
        week = plan.weeks[week_of(plan_day) - 1]
        stage = plan.stages[week.stage - 1]
        return Topic(plan_day, self.total_days, stage, week, week.days[(plan_day - 1) % DAYS_PER_WEEK])

    def week_topics(self, week_number: int, language: str) -> list[Topic]:
        return [self.topic(n, language) for n in week_days(week_number)]


def _where(raw: Any, loc: Sequence[int | str]) -> str:
    """Turn a pydantic location into words a plan author can find: 'week 3, day 5, points'."""
    labels = {"weeks": "week", "days": "day", "stages": "stage"}
    parts: list[str] = []
    node, i = raw, 0
    while i < len(loc):
        key = loc[i]
        following = loc[i + 1] if i + 1 < len(loc) else None
        child = node.get(key) if isinstance(node, dict) and isinstance(key, str) else None
        if isinstance(key, str) and key in labels and isinstance(following, int):
            # Name the item by its own number ("week 9"), which is what the author sees in the file.
            item = child[following] if isinstance(child, list) and following < len(child) else None
            number = item.get(labels[key]) if isinstance(item, dict) else None
            parts.append(f"{labels[key]} {number if isinstance(number, int) else f'#{following + 1}'}")
            node, i = item, i + 2
            continue
        parts.append(str(key) if isinstance(key, str) else f"item {key + 1}")
        node, i = child, i + 1
    return ", ".join(parts) or "top level"


def load_plan(path: Path) -> Plan:
    """Read and validate one plan file (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(path, [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        raw = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise PlanError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None
    if not isinstance(raw, dict):
        raise PlanError(path, ["the file must hold a mapping with language, title, stages and weeks"])
    try:
        return Plan.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{_where(raw, err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise PlanError(path, problems) from None


def load_curriculum(paths: Iterable[Path] = SHIPPED_FILES) -> Curriculum:
    """Load every plan file; each declares its language, and the first is the fallback."""
    plans: dict[str, Plan] = {}
    for path in paths:
        plan = load_plan(path)
        if plan.language in plans:
            raise PlanError(path, [f"a second plan for language {plan.language!r}"])
        plans[plan.language] = plan
    return Curriculum(plans)
