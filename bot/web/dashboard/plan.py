"""/plan: the whole curriculum, public, in each language it is written in, a week at a time with stage and week
navigation."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bot.core.parsing import parse_number
from bot.web.dashboard.site import Site


def add_routes(router: APIRouter, site: Site) -> None:
    curriculum = site.learners.curriculum

    @router.get("/plan")
    async def plan(request: Request) -> Response:
        language = site.language(request)
        asked = parse_number(request.query_params.get("week", ""), digits=3)
        week = asked if asked is not None and 1 <= asked <= curriculum.total_weeks else 1
        topics = curriculum.week_topics(week, language)
        return site.page(
            request, "plan.html", language, private=False, session=site.session(request),
            plan=curriculum.plan(language), week=topics[0].week, stage=topics[0].stage, topics=topics,
            weeks=curriculum.total_weeks,
        )  # fmt: skip
