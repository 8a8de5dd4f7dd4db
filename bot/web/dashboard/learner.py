"""A learner's page (/me): their plan day by day, streak, completion by stage, the last weeks, their groups; their
settings, changed as the chat commands change them; export and forget."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bot.core.i18n import messages
from bot.core.model import ChatKind, Subscription
from bot.core.overview import learner_overview
from bot.core.own_data import person_data
from bot.core.parsing import parse_number
from bot.core.people import dm_address
from bot.web.dashboard import settings_form
from bot.web.dashboard.pages import secure, state_names
from bot.web.dashboard.site import Site
from bot.web.dashboard.svg import plan_grid


def add_routes(router: APIRouter, site: Site) -> None:
    learners = site.learners
    curriculum = learners.curriculum

    def signed_out(request: Request) -> Response:
        m = messages(site.language(request))
        return site.refusal(request, 401, m._("You are not signed in"),
                            m._("Send /dashboard to the bot: it answers with your personal sign-in link."))  # fmt: skip

    @router.get("/me")
    async def me(request: Request) -> Response:
        session = site.session(request)
        if session is None:
            return signed_out(request)
        person = session.person
        view = await learner_overview(learners, person.platform, person.user_id)
        language = site.language(request, view.sub.language if view.sub is not None else None)
        total = curriculum.total_days
        chosen = parse_number(request.query_params.get("day", ""), digits=4)
        day = chosen if chosen is not None and 1 <= chosen <= total else None
        if day is None and view.progress is not None:
            day = view.progress.current_day
        topic = curriculum.topic(day, language) if day is not None else None
        titles = {g.chat_id: g.title for g in session.groups}
        groups = [(quote(g.address.chat_id, safe=""), titles.get(g.address.chat_id, "")) for g in view.groups]
        groups += [(quote(g.chat_id, safe=""), g.title) for g in session.groups
                   if g.chat_id not in {s.address.chat_id for s in view.groups}]  # fmt: skip
        shown = form_values(view.sub, learners.new_chat(view.dm, ChatKind.PRIVATE, language))
        return site.page(
            request, "learner.html", language, session=session, view=view, topic=topic, curriculum=curriculum,
            groups=groups, form=shown, state=settings_form.status(learners, view.sub), next_push=next_push(view.sub),
            grid=plan_grid(view.days, day, messages(language), state_names(language)) if view.days else None,
        )  # fmt: skip

    @router.post("/me/settings")
    async def change_settings(request: Request) -> Response:
        session = site.session(request)
        if session is None:
            return signed_out(request)
        form = await site.form(request, session)
        if form is None:
            return site.stale_form(request, session)
        person = session.person
        dm = dm_address(person.platform, person.user_id)
        sub = await learners.chat(dm)
        m = messages(site.language(request, sub.language if sub is not None else None))
        shown = sub or learners.new_chat(dm, ChatKind.PRIVATE, m.language)
        status = settings_form.status(learners, sub)
        typed = settings_form.commands_for(shown, status, form, settings_form.PERSONAL_FORM)
        notes = await settings_form.apply(site.commands, site.origin(session, dm, ChatKind.PRIVATE), typed, m)
        return site.redirect("/me#settings", notes)

    @router.get("/me/export.json")
    async def export(request: Request) -> Response:
        session = site.session(request)
        if session is None:
            return signed_out(request)
        person = session.person
        data = await person_data(site.commands.learners, person.platform, person.user_id, site.language(request))
        body = json.dumps(data, ensure_ascii=False, indent=2)
        response = Response(body, media_type="application/json")
        response.headers["Content-Disposition"] = 'attachment; filename="studybot-export.json"'
        return secure(response)

    @router.post("/me/forget")
    async def forget(request: Request) -> Response:
        session = site.session(request)
        if session is None:
            return signed_out(request)
        form = await site.form(request, session)
        if form is None:
            return site.stale_form(request, session)
        m = messages(site.language(request))
        if form.get("confirm") != "yes":
            unticked = m._("Tick the box to confirm: forgetting cannot be undone.")
            return site.redirect("/me#data", [("problem", unticked)])
        person = session.person
        await site.commands.groups.forget_person(dm_address(person.platform, person.user_id), person.user_id)
        page = site.page(request, "message.html", m.language, title=m._("Everything about you is deleted"),
                         text=m._("Your settings, your days and notes, and the corrections about you are gone. You "
                                  "are signed out; /start in the bot begins anew."))  # fmt: skip
        return site.signed_out(page)


def next_push(sub: Subscription | None) -> str | None:
    """When the next topic comes, in the chat's own zone (as /settings says it)."""
    if sub is None or not sub.active or sub.next_due_at is None:
        return None
    return sub.next_due_at.astimezone(sub.zone).strftime("%Y-%m-%d %H:%M")


def form_values(sub: Subscription | None, defaults: Subscription) -> dict[str, str]:
    """What a settings form shows: the chat's settings, or what it would get."""
    return {field.name: field.value(sub or defaults) for field in settings_form.PERSONAL_FORM}
