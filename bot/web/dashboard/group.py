"""A group's page (/groups/<chat>): the leaderboard (this week and all time), the week's members x days, the
corrections trail, and, for its admins only (asked of the platform on every request), the group's settings.

Only its members see it: a person whose sign-in link was asked in that group, or who marked a day done there. Any
other chat id answers as if there were no such group."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bot.core.i18n import messages
from bot.core.model import Address
from bot.core.overview import group_overview, member_of
from bot.web.dashboard import settings_form
from bot.web.dashboard.auth import Session
from bot.web.dashboard.learner import form_values
from bot.web.dashboard.pages import state_names
from bot.web.dashboard.site import Site
from bot.web.dashboard.svg import week_rows


def add_routes(router: APIRouter, site: Site) -> None:
    learners, commands = site.learners, site.commands

    async def allowed(session: Session, chat_id: str) -> bool:
        person = session.person
        if session.group(chat_id) is not None:
            return True
        return await member_of(learners, person.platform, person.user_id, chat_id)

    def not_found(request: Request, session: Session | None) -> Response:
        m = messages(site.language(request))
        if session is None:
            why = m._("Send /dashboard in the group: the bot sends you your sign-in link privately.")
            return site.refusal(request, 401, m._("You are not signed in"), why)
        why = m._("A group's page opens for its members: send /dashboard in that group.")
        return site.refusal(request, 404, m._("No such group page"), why, session)

    @router.get("/groups/{chat_id}")
    async def group(request: Request, chat_id: str) -> Response:
        session = site.session(request)
        if session is None or not await allowed(session, chat_id):
            return not_found(request, session)
        address = Address(session.person.platform, chat_id)
        view = await group_overview(commands.groups, address)
        if view is None:
            return not_found(request, session)
        language = site.language(request, view.sub.language)
        m = messages(language)
        topics = learners.curriculum.week_topics(view.week, language)
        titles = [m._("Day {day}", day=t.plan_day) for t in topics]
        members = [(row.standing.name, row.week) for row in view.members]
        admin = await commands.is_admin(address, session.person.user_id)
        title = g.title if (g := session.group(chat_id)) is not None else ""
        return site.page(
            request, "group.html", language, session=session, view=view, admin=admin, topics=topics, title=title,
            chat=quote(chat_id, safe=""), form=form_values(view.sub, view.sub),
            state=settings_form.status(learners, view.sub),
            weeks=learners.curriculum.total_weeks, week_rows=week_rows(members, titles, state_names(language)),
        )  # fmt: skip

    @router.post("/groups/{chat_id}/settings")
    async def change_settings(request: Request, chat_id: str) -> Response:
        session = site.session(request)
        if session is None or not await allowed(session, chat_id):
            return not_found(request, session)
        form = await site.form(request, session)
        if form is None:
            return site.stale_form(request, session)
        m = messages(site.language(request))
        address = Address(session.person.platform, chat_id)
        sub = await learners.chat(address)
        if sub is None:
            return not_found(request, session)
        back = f"/groups/{quote(chat_id, safe='')}#settings"
        if not await commands.is_admin(address, session.person.user_id):
            # Checked again here, not only when the page was shown: rights can change in between.
            return site.redirect(back, [("problem", m._("Only this group's admins can change its settings."))])
        typed = settings_form.commands_for(sub, settings_form.status(learners, sub), form)
        notes = await settings_form.apply(commands, site.origin(session, address, sub.kind), typed, m)
        return site.redirect(back, notes)
