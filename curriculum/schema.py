"""The plan's file format: a pydantic schema that a shipped or an operator's plan file must satisfy."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

DAYS_PER_WEEK = 7


def week_of(plan_day: int) -> int:
    """The plan week a plan day falls in (day 1..7: week 1)."""
    return (plan_day - 1) // DAYS_PER_WEEK + 1


def week_days(week: int) -> range:
    """The plan days of a week."""
    first = (week - 1) * DAYS_PER_WEEK + 1
    return range(first, first + DAYS_PER_WEEK)


def opens_a_week(plan_day: int) -> bool:
    """Whether a plan day is the first of a week after the first (a group's wrap-up of the last one comes with it)."""
    return plan_day > 1 and (plan_day - 1) % DAYS_PER_WEEK == 0


class DayKind(StrEnum):
    LESSON = "lesson"
    PROJECT = "project"
    REVIEW = "review"


class _Strict(BaseModel):
    # Unknown keys are typos in a hand-edited plan: reject them rather than ignore them.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Resource(_Strict):
    """A book, course or practice item that helps with the day's topic."""

    title: str = Field(min_length=1, max_length=200)
    url: HttpUrl | None = None


class Day(_Strict):
    """One day's topic: what to learn, what to do, where to read more."""

    day: int = Field(ge=1, le=DAYS_PER_WEEK, description="day within its week, 1..7")
    kind: DayKind = DayKind.LESSON
    title: str = Field(min_length=1, max_length=120)
    points: list[str] = Field(min_length=2, max_length=5)
    practice: str = Field(min_length=1, max_length=600)
    resources: list[Resource] = Field(default_factory=list, max_length=6)

    @field_validator("points")
    @classmethod
    def _points_not_blank(cls, points: list[str]) -> list[str]:
        for point in points:
            if not point.strip():
                raise ValueError("a learning point is empty")
            if len(point) > 300:
                raise ValueError("a learning point is longer than 300 characters")
        return points


class Week(_Strict):
    """Seven days under one theme, belonging to one stage of the plan."""

    week: int = Field(ge=1)
    stage: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=120)
    goal: str = Field(min_length=1, max_length=600)
    days: list[Day]

    @model_validator(mode="after")
    def _seven_days_in_order(self) -> Week:
        numbers = [d.day for d in self.days]
        if numbers != list(range(1, DAYS_PER_WEEK + 1)):
            raise ValueError(f"a week needs days 1..{DAYS_PER_WEEK} in order, found {numbers}")
        return self


class Stage(_Strict):
    """A group of weeks with one goal (the plan has six)."""

    stage: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=120)
    goal: str = Field(min_length=1, max_length=600)


class Plan(_Strict):
    """A whole study plan in one language."""

    language: str = Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    title: str = Field(min_length=1, max_length=200)
    stages: list[Stage] = Field(min_length=1)
    weeks: list[Week] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbering_is_consistent(self) -> Plan:
        stage_ids = [s.stage for s in self.stages]
        if stage_ids != list(range(1, len(stage_ids) + 1)):
            raise ValueError(f"stages must be numbered 1..{len(stage_ids)} in order, found {stage_ids}")
        week_ids = [w.week for w in self.weeks]
        if week_ids != list(range(1, len(week_ids) + 1)):
            raise ValueError(f"weeks must be numbered 1..{len(week_ids)} in order, found {week_ids}")
        for week in self.weeks:
            if week.stage not in stage_ids:
                raise ValueError(f"week {week.week} names stage {week.stage}, which the plan does not have")
        return self
