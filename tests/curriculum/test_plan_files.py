"""The shipped plan: complete, consistent in both languages, faithful to the source plan."""

from __future__ import annotations

import pytest

from curriculum.loader import Curriculum, load_plan
from curriculum.schema import DayKind, Plan

# Every tool and idea the source plan names, by week; joined weeks (9-10, 14-15, 19-20) share a list.
PLAN_TERMS: dict[tuple[int, ...], list[str]] = {
    (1,): ["Type Hints", "uv", "poetry", "Git", "pathlib", "Typer", "Click", "generator", "comprehension", "exception"],
    (2,): ["__call__", "__init__", "__enter__", "decorator", "closure", "iterator", "inheritance", "polymorphism"],
    (3,): ["asyncio", "GIL", "threading", "multiprocessing", "metaclass"],
    (4,): ["FastAPI", "Pydantic", "Dependency Injection", "OpenAPI"],
    (5,): ["PostgreSQL", "SQLAlchemy 2.0", "Redis", "ChromaDB", "Qdrant", "CRUD"],
    (6,): ["Docker", "Docker Compose", "Dockerfile", "docker-compose.yaml", "multi-stage"],
    (7,): ["NumPy", "Pandas", "DataFrame", "Kaggle", "Titanic", "time series"],
    (8,): [
        "Scikit-Learn",
        "regression",
        "classification",
        "clustering",
        "dimensionality reduction",
        "feature engineering",
        "Precision",
        "Recall",
    ],
    (9, 10): ["PyTorch", "Tensor", "Autograd", "nn.Module", "DataLoader", "CNN", "MNIST"],
    (11,): ["Transformer", "Attention", "HuggingFace", "transformers", "datasets", "sentiment"],
    (12,): ["Prompt Engineering", "LangChain", "LangGraph", "Chains", "Agents", "Memory", "PDF"],
    (13,): ["RAG", "Embeddings", "Pinecone", "Milvus"],
    (14, 15): ["LoRA", "QLoRA", "PEFT", "Colab", "Llama 3", "Mistral"],
    (16,): ["MLflow", "Weights & Biases", "W&B", "Artifacts"],
    (17,): ["TorchServe", "Triton Inference Server", "FastAPI", "Batching", "latency", "GPU"],
    (18,): ["Ray", "Ray Train", "Ray Serve", "Kubernetes", "KubeFlow"],
    (19, 20): ["FastAPI", "ETL", "Pandas", "RAG", "Docker", "Ray Serve", "K8s", "Prometheus", "Streamlit", "Gradio"],
}
STAGE_OF_WEEK = {
    w: s
    for s, weeks in {
        1: (1, 2, 3),
        2: (4, 5, 6),
        3: (7, 8, 9, 10),
        4: (11, 12, 13, 14, 15),
        5: (16, 17, 18),
        6: (19, 20),
    }.items()
    for w in weeks
}


def week_text(plan: Plan, number: int) -> str:
    week = plan.weeks[number - 1]
    parts = [week.title, week.goal]
    for day in week.days:
        parts += [day.title, day.practice, *day.points, *(r.title for r in day.resources)]
    return "\n".join(parts).lower()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_plan_has_twenty_weeks_of_seven_days_in_six_stages(curriculum: Curriculum, language: str) -> None:
    plan = curriculum.plans[language]
    assert len(plan.weeks) == 20 and len(plan.stages) == 6
    assert sum(len(w.days) for w in plan.weeks) == 140
    for week in plan.weeks:
        assert week.stage == STAGE_OF_WEEK[week.week], week.week
        assert [d.kind for d in week.days][5:] == [DayKind.PROJECT, DayKind.REVIEW], week.week


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("weeks", list(PLAN_TERMS), ids=lambda w: "-".join(map(str, w)))
def test_every_named_tool_appears_in_its_week(curriculum: Curriculum, language: str, weeks: tuple[int, ...]) -> None:
    text = "\n".join(week_text(curriculum.plans[language], w) for w in weeks)
    missing = [term for term in PLAN_TERMS[weeks] if term.lower() not in text]
    assert missing == []


def test_joined_weeks_are_two_real_weeks_of_distinct_days(curriculum: Curriculum) -> None:
    for language in ("zh", "en"):
        plan = curriculum.plans[language]
        for first in (9, 14, 19):
            titles_a = {d.title for d in plan.weeks[first - 1].days}
            titles_b = {d.title for d in plan.weeks[first].days}
            assert not titles_a & titles_b


def test_languages_mirror_each_other(curriculum: Curriculum) -> None:
    zh, en = curriculum.plans["zh"], curriculum.plans["en"]
    for week_zh, week_en in zip(zh.weeks, en.weeks, strict=True):
        assert week_zh.stage == week_en.stage
        for day_zh, day_en in zip(week_zh.days, week_en.days, strict=True):
            assert day_zh.kind == day_en.kind
            assert len(day_zh.resources) == len(day_en.resources), (week_zh.week, day_zh.day)
    assert any("的" in w.title + w.goal for w in zh.weeks)
    assert not any("的" in w.title + w.goal for w in en.weeks)


def test_all_140_days_are_distinct(curriculum: Curriculum) -> None:
    for language in ("zh", "en"):
        titles = [curriculum.topic(n, language).day.title for n in range(1, 141)]
        assert len(set(titles)) == 140


def test_shipped_files_are_what_the_loader_reads(curriculum: Curriculum) -> None:
    from curriculum.loader import SHIPPED_FILES

    for path in SHIPPED_FILES:
        assert load_plan(path) == curriculum.plans[path.stem]
