"""An operator's own plan file: accepted when valid, and every problem named by file, week and day."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from curriculum.loader import PlanError, load_curriculum, load_plan


def small_plan(weeks: int = 2) -> dict[str, object]:
    def day(n: int) -> dict[str, object]:
        return {"day": n, "title": f"Topic {n}", "points": ["one", "two"], "practice": "Do it."}

    return {
        "language": "en",
        "title": "Tiny plan",
        "stages": [{"stage": 1, "title": "Only stage", "goal": "Learn"}],
        "weeks": [
            {"week": w, "stage": 1, "title": f"Week {w}", "goal": "Go", "days": [day(n) for n in range(1, 8)]}
            for w in range(1, weeks + 1)
        ],
    }


def write(tmp_path: Path, data: object, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_valid_operator_plan_loads_and_sets_the_length(tmp_path: Path) -> None:
    curriculum = load_curriculum([write(tmp_path, small_plan(3))])
    assert curriculum.total_days == 21
    assert curriculum.topic(8, "zh").week.week == 2  # other languages fall back to the only plan


def test_problems_name_the_file_week_and_day(tmp_path: Path) -> None:
    data = small_plan()
    weeks = data["weeks"]
    assert isinstance(weeks, list)
    weeks[1]["days"][4]["points"] = ["only one"]
    weeks[1]["days"][2]["colour"] = "blue"
    path = write(tmp_path, data)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    problems = caught.value.problems
    assert str(path) in str(caught.value)
    assert any(p.startswith("week 2, day 5, points:") and "at least 2" in p for p in problems), problems
    assert any(p.startswith("week 2, day 3, colour:") for p in problems), problems


def test_a_week_missing_a_day_is_named(tmp_path: Path) -> None:
    data = small_plan()
    weeks = data["weeks"]
    assert isinstance(weeks, list)
    del weeks[0]["days"][6]
    with pytest.raises(PlanError, match=r"week 1: .*days 1..7"):
        load_plan(write(tmp_path, data))


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("language: en\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"broken.yaml: line \d+"):
        load_plan(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the file"):
        load_plan(tmp_path / "nope.yaml")
