"""The dashboard as `studybot web` builds it (bootstrap's WEB role), asked over HTTP by an httpx client that keeps its
cookies like a browser; people and groups made by typing chat commands on the pretend platform."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
from pydantic import SecretStr

from bot.bootstrap import Process, Role, build
from bot.core.clock import ManualClock
from bot.core.model import ChatKind
from bot.settings import Settings
from bot.web.dashboard.auth import Group, Person, Signing
from bot.web.dashboard.site import SESSION_COOKIE
from curriculum.loader import Curriculum
from tests.support import Chat, RecordingGateway

PLATFORM = "test"
ROOT = "http://testserver"


@dataclass
class Dashboard:
    process: Process
    client: httpx.AsyncClient
    gateway: RecordingGateway
    link_clock: ManualClock

    @property
    def links(self) -> Signing:
        assert self.process.links is not None
        return self.process.links

    def dm(self, user_id: str, name: str) -> Chat:
        return Chat(self.process.app, chat_id=user_id, user_id=user_id, user_name=name, platform=PLATFORM)

    def member(self, group: str, user_id: str, name: str) -> Chat:
        return Chat(self.process.app, chat_id=group, user_id=user_id, user_name=name, kind=ChatKind.GROUP,
                    platform=PLATFORM)  # fmt: skip

    def link(self, user_id: str, name: str, group: str | None = None, title: str = "") -> str:
        place = None if group is None else Group(group, title)
        return "/sign-in/" + self.links.link_token(Person(PLATFORM, user_id, name), place)

    async def sign_in(self, user_id: str, name: str, group: str | None = None, title: str = "") -> httpx.Response:
        return await self.client.get(self.link(user_id, name, group, title))

    def csrf(self) -> str:
        session = self.links.read_session(self.client.cookies.get(SESSION_COOKIE))
        assert session is not None, "not signed in"
        return session.csrf

    async def post(self, path: str, values: Mapping[str, str | list[str]] | None = None, *, csrf: bool = True,
                   **fields: str | list[str]) -> httpx.Response:  # fmt: skip
        """Submit a form: `values` and `fields` (a list is a field sent once a value, as checkboxes are)."""
        form = {**(values or {}), **fields}
        data = {**form, "csrf": self.csrf()} if csrf else form
        return await self.client.post(path, data=data)

    async def page(self, path: str) -> str:
        response = await self.client.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.text


def notes(html: str) -> list[str]:
    """The notes a page shows once after a form (what the bot answered)."""
    found = re.findall(r'<p class="note [a-z]+">(.*?)</p>', html, re.S)
    return [unescape(re.sub(r"\s+", " ", n).strip()) for n in found]


@contextlib.asynccontextmanager
async def dashboard(
    database_url: str, clock: ManualClock, curriculum: Curriculum, link_clock: ManualClock, **settings: Any
) -> AsyncIterator[Dashboard]:
    values: dict[str, Any] = {"database_url": SecretStr(database_url), "web_port": 0, "default_timezone": "UTC",
                              "public_url": "http://studybot.test"}  # fmt: skip
    process = await build(Settings(_env_file=None, **(values | settings)), Role.WEB, clock=clock,
                          curriculum=curriculum, migrate=False, link_clock=link_clock)  # fmt: skip
    gateway = RecordingGateway(platform=PLATFORM)
    process.app.gateways.connected(gateway)
    assert process.web is not None
    transport = httpx.ASGITransport(app=process.web.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=ROOT) as client:
            yield Dashboard(process, client, gateway, link_clock)
    finally:
        await process.close()
