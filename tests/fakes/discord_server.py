"""Fake Discord (REST + gateway websocket) on 127.0.0.1 that a real discord.py 2.7 client logs in to.

Tests inject slash commands, button presses and autocompletes, then inspect what the bot sent back. Clients may
shard: each IDENTIFY with `shard: [id, count]` gets the servers of that shard (guild_id >> 22) % count == id, and
each event goes to the session of its server's shard (a DM's to shard 0), as on Discord.
"""

# ruff: noqa: ASYNC109 - `timeout=` on each wait is this fake's API and reads better in tests than asyncio.timeout.
from __future__ import annotations

import asyncio
import contextlib
import http
import json
import logging
import mimetypes
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import discord
import yarl
from aiohttp import BodyPartReader, WSMsgType, web
from discord.gateway import DiscordWebSocket
from discord.http import Route

from . import discord_payloads as p
from .discord_payloads import (
    EPHEMERAL,
    JSON,
    LOADING,
    ChannelSpec,
    FakeGuild,
    MemberSpec,
    RecordedRequest,
    RoleSpec,
    StoredMessage,
    UploadedFile,
)

__all__ = ["FakeDiscord", "FakeGuild", "FakeInteraction", "RecordedRequest", "StoredMessage", "UploadedFile"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
API_PREFIX = "/api/v10"
OptionsArg = Mapping[str, Any] | Sequence[JSON] | None


@dataclass(eq=False)
class FakeInteraction:
    """An injected interaction and everything the bot answered to it."""

    id: int
    token: str
    payload: JSON
    server: FakeDiscord
    callbacks: list[JSON] = field(default_factory=list)
    original: StoredMessage | None = None
    followups: list[StoredMessage] = field(default_factory=list)

    async def response(self, timeout: float = 5.0) -> JSON:
        """The callback body ({"type": 4, "data": {...}}) once the bot has acknowledged."""
        return await self.server._wait(lambda: self.callbacks[0] if self.callbacks else None, timeout, "a callback")

    async def followup(self, index: int = 0, timeout: float = 5.0) -> StoredMessage:
        def check() -> StoredMessage | None:
            return self.followups[index] if len(self.followups) > index else None

        return await self.server._wait(check, timeout, f"followup #{index}")

    async def original_message(self, timeout: float = 5.0) -> StoredMessage:
        """The @original message once it is no longer a deferred 'is thinking...' placeholder."""

        def check() -> StoredMessage | None:
            done = self.original is not None and not self.original.flags & LOADING
            return self.original if done else None

        return await self.server._wait(check, timeout, "the original response")


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: JSON
    remaining: int
    retry_after: float


@dataclass
class _Call:
    method: str
    params: dict[str, str]
    body: Any
    files: dict[int, UploadedFile]


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, body: JSON | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body or p.error_body(code, message)


@dataclass(eq=False)
class _Session:
    id: str
    token: str
    ws: web.WebSocketResponse | None
    seq: int = 0
    # Kept so a RESUME can replay what the client missed, as Discord does.
    sent: list[tuple[int, str]] = field(default_factory=list)
    shard: tuple[int, int] | None = None  # (id, count) when the client shards

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session's shard gets the events of that server (None: a DM's, which shard 0 gets)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return shard_id == (0 if guild_id is None else (guild_id >> 22) % count)


_Handler = Callable[[_Call], tuple[int, Any]]


def _respond(status: int, data: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    # Exactly "application/json": with "; charset=utf-8" discord.py treats the body as text.
    headers = {**(headers or {}), "Content-Type": "application/json"}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=headers)


async def _read_body(request: web.Request) -> tuple[Any, dict[int, UploadedFile]]:
    files: dict[int, UploadedFile] = {}
    if not request.content_type.startswith("multipart/"):
        raw = await request.read()
        return (json.loads(raw) if raw else None), files
    body: Any = None
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = bytes(await part.read(decode=False))
        if part.name == "payload_json":
            body = json.loads(data)
        elif part.name and part.name.startswith("files["):
            # discord.py labels every file application/octet-stream; Discord guesses from the name.
            name = part.filename or "file"
            guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
            files[int(part.name[6:-1])] = UploadedFile(name, guessed, data)
    return body, files


class FakeDiscord:
    """One fake Discord per test: `async with FakeDiscord() as dc:` then `with dc.patch_client():`."""

    def __init__(
        self,
        *,
        application_id: int = 100000000000000001,
        bot_user_id: int = 100000000000000002,
        bot_name: str = "StudyBot",
        token: str | None = None,
        heartbeat_interval_ms: int = 41250,
        shards: int = 1,
        attachment_limit: int = 10 * 1024 * 1024,
    ) -> None:
        self.application_id = application_id
        # A bot's upload limit per file where the server has no boost (Discord answers 413, code 40005, above it).
        self.attachment_limit = attachment_limit
        self.bot = p.user(bot_user_id, bot_name, bot=True)
        self.owner = p.user(bot_user_id + 1, "owner")
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.guilds: dict[int, FakeGuild] = {}
        self.users: dict[int, JSON] = {bot_user_id: self.bot, bot_user_id + 1: self.owner}
        self.channels: dict[int, JSON] = {}
        self.dm_channels: dict[int, int] = {}
        self.messages: dict[int, StoredMessage] = {}
        self._by_channel: dict[int, list[StoredMessage]] = {}
        self.commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[tuple[str, str]] = []
        self.server_errors: list[BaseException] = []
        self.identify_payloads: list[JSON] = []
        self.gateway_frames: list[JSON] = []
        self.resumes = 0
        self.port = 0
        self._faults: list[_Fault] = []
        self._sessions: dict[str, _Session] = {}
        self._current: _Session | None = None
        # GET /gateway/bot's recommendation; a client identifying with fewer shards is refused (4011), as Discord
        # refuses a bot in too many servers for its shard count.
        self.shards = shards
        self._sockets: set[web.WebSocketResponse] = set()
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self._routes = [(m, re.compile(rx), h, auth) for m, rx, h, auth in self._route_table()]

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.root + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def identify_intents(self) -> int | None:
        return self.identify_payloads[-1].get("intents") if self.identify_payloads else None

    @contextlib.contextmanager
    def patch_client(self) -> Iterator[None]:
        """Point discord.py (REST, webhooks, interaction callbacks and gateway) at this server."""
        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    @contextlib.asynccontextmanager
    async def running(
        self, client: discord.Client, token: str = "fake-token", timeout: float = 5.0
    ) -> AsyncIterator[None]:
        """Log `client` in, connect it until on_ready, and close it cleanly afterwards."""
        await client.login(self.token or token)
        task = asyncio.create_task(client.connect())
        ready = asyncio.ensure_future(client.wait_until_ready())
        try:
            await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task.done():  # connect() ended before on_ready: surface why instead of timing out
                task.result()
                raise RuntimeError("the client stopped before it was ready")
            if not ready.done():
                raise TimeoutError(f"the client was not ready after {timeout}s")
            yield
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout)

    # -- model -----------------------------------------------------------------------------

    def add_user(self, user_id: int, name: str) -> JSON:
        return self.users.setdefault(user_id, p.user(user_id, name))

    def add_guild(
        self,
        guild_id: int,
        name: str,
        *,
        channels: Sequence[ChannelSpec] = (),
        members: Sequence[MemberSpec] = (),
        roles: Sequence[RoleSpec] = (),
        everyone_permissions: int = p.DEFAULT_EVERYONE,
        bot_permissions: int = p.DEFAULT_EVERYONE,
        owner_id: int | None = None,
        locale: str = "en-US",
    ) -> FakeGuild:
        """Add before the client connects. channels: id | (id, name) | dict; members: (id, name, perms[, role_ids])."""
        guild = p.build_guild(
            guild_id, name, bot=self.bot, channels=channels, members=members, roles=roles,
            everyone_permissions=everyone_permissions, bot_permissions=bot_permissions,
            owner_id=owner_id or int(self.owner["id"]), locale=locale,
        )  # fmt: skip
        self.guilds[guild_id] = guild
        self.channels.update(guild.channels)
        for member in guild.members.values():
            self.users.setdefault(int(member.user["id"]), member.user)
        return guild

    def add_thread(self, guild_id: int, thread_id: int, parent_id: int, name: str) -> JSON:
        """An active thread under `parent_id`, listed in GUILD_CREATE from the next (re)connect on."""
        guild = self.guilds[guild_id]
        thread = p.thread_channel(thread_id, guild_id, parent_id, name, owner_id=guild.owner_id)
        guild.threads[thread_id] = self.channels[thread_id] = thread
        return thread

    def dm_channel_id(self, user_id: int) -> int:
        """The DM channel between the bot and `user_id`, opened on first use as Discord does."""
        if user_id not in self.dm_channels:
            channel_id = p.snowflake()
            self.channels[channel_id] = p.dm_channel(channel_id, self._user(user_id))
            self.dm_channels[user_id] = channel_id
        return self.dm_channels[user_id]

    async def remove_bot(self, guild_id: int, *, tell_client: bool = True) -> None:
        """Kick the bot from a guild: its channels answer 403 Missing Access from now on. Discord sends
        GUILD_DELETE (without `unavailable`); `tell_client=False` is a kick the client missed, e.g. while offline."""
        self.guilds[guild_id].bot_present = False
        if tell_client:
            await self.dispatch("GUILD_DELETE", {"id": str(guild_id)})

    async def deny_bot(self, channel_id: int, permissions: int, *, tell_client: bool = True) -> None:
        """An admin overwrites the bot's permissions in a channel (0 lifts it): its posts are then refused as on
        Discord (50001 without View Channel, 50013 without Send Messages or, for embeds, Embed Links);
        CHANNEL_UPDATE tells the client."""
        channel = self.channels[channel_id]
        bot_id = str(self.bot["id"])
        kept = [o for o in channel["permission_overwrites"] if o["id"] != bot_id]
        if permissions:
            kept.append({"id": bot_id, "type": 1, "allow": "0", "deny": str(permissions)})
        channel["permission_overwrites"] = kept
        if tell_client:
            await self.dispatch("CHANNEL_UPDATE", channel)

    async def add_bot_back(self, guild_id: int) -> None:
        """Invite the bot again: GUILD_CREATE without `unavailable`, which discord.py reports as a join."""
        guild = self.guilds[guild_id]
        guild.bot_present = True
        joined = guild.gateway_payload()
        del joined["unavailable"]
        await self.dispatch("GUILD_CREATE", joined)

    def messages_in(self, channel_id: int) -> list[StoredMessage]:
        return [m for m in self._by_channel.get(channel_id, []) if not m.deleted]

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        code: int = 0,
        message: str = "",
        *,
        count: int = 1,
        retry_after: float | None = None,
        errors: JSON | None = None,
    ) -> None:
        r"""Answer the next `count` requests matching `method` ("*" = any) and `path_regex`
        (re.search on the path after /api/v10, e.g. r"^/channels/\d+/messages$") with this error."""
        body = p.error_body(code, message or f"{status}: {http.HTTPStatus(status).phrase}", errors)
        wait = 0.05 if retry_after is None else retry_after
        if status == 429:
            body.update({"message": message or "You are being rate limited.", "retry_after": wait, "global": False})
        self._faults.append(_Fault(method.upper(), re.compile(path_regex), status, body, count, wait))

    # -- waiting ---------------------------------------------------------------------------

    def _notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def _wait(self, check: Callable[[], _T | None], timeout: float, what: str) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (result := check()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [(r.method, r.path, r.status) for r in self.requests[-6:]]
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}; recent requests: {recent}")
            waiter = loop.create_future()
            self._waiters.append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, remaining)
        return result

    async def wait_for_message(
        self, channel_id: int, predicate: Callable[[StoredMessage], bool] | None = None, timeout: float = 5.0
    ) -> StoredMessage:
        """First message in the channel (already stored ones count) matching `predicate`."""

        def check() -> StoredMessage | None:
            for message in self.messages_in(channel_id):
                if not message.flags & LOADING and (predicate is None or predicate(message)):
                    return message
            return None

        return await self._wait(check, timeout, f"a message in channel {channel_id}")

    async def wait_until_ready(self, timeout: float = 5.0) -> None:
        """Until a client has identified (or resumed) and its websocket is open."""
        await self._wait(self._live_session, timeout, "a connected gateway client")

    # -- gateway ---------------------------------------------------------------------------

    def _live_session(self) -> _Session | None:
        current = self._current
        return current if current is not None and current.ws is not None and not current.ws.closed else None

    def _live_sessions(self) -> list[_Session]:
        return [s for s in self._sessions.values() if s.ws is not None and not s.ws.closed]

    def _session_for(self, guild_id: int | None) -> _Session | None:
        """The connected session that gets this server's events: the one client, or the owner of its shard."""
        sharded = [s for s in self._live_sessions() if s.shard is not None]
        if not sharded:
            return self._live_session()
        return next((s for s in sharded if s.owns(guild_id)), None)

    @property
    def connected_shards(self) -> set[int]:
        return {s.shard[0] for s in self._live_sessions() if s.shard is not None}

    async def wait_for_shards(self, shard_ids: set[int], timeout: float = 5.0) -> None:
        """Until clients hold exactly these shards, each session open."""
        await self._wait(lambda: True if self.connected_shards == shard_ids else None, timeout, f"shards {shard_ids}")

    async def _send(self, session: _Session, event: str, data: Any) -> None:
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.sent.append((session.seq, frame))
        if session.ws is not None and not session.ws.closed:
            with contextlib.suppress(ConnectionError):
                await session.ws.send_str(frame)

    async def dispatch(self, event: str, data: Any, timeout: float = 5.0) -> None:
        """Send a DISPATCH event to the connected client (the one holding the event's server's shard), waiting for
        one to connect if needed."""
        guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        guild = None if guild_id is None else int(guild_id)
        session = await self._wait(lambda: self._session_for(guild), timeout, f"a connected gateway client for {event}")
        await self._send(session, event, data)

    async def disconnect_clients(self, *, code: int = 4000, resumable: bool = True) -> None:
        """Drop every gateway websocket; discord.py then RESUMEs (or re-IDENTIFYs if not resumable)."""
        if not resumable:
            self._sessions.clear()
        for ws in list(self._sockets):
            await ws.close(code=code)
        self._notify()

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        # Uncompressed TEXT frames whatever ?compress= says: discord.py only inflates BINARY frames.
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
        session: _Session | None = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                    continue
                self.gateway_frames.append(frame)
                if op == 2:
                    session = await self._identify(ws, data)
                elif op == 6:
                    session = await self._resume(ws, data)
                elif op == 8 and session is not None:
                    chunk = p.member_chunk(self.guilds.get(int(data["guild_id"])), data)
                    await self._send(session, "GUILD_MEMBERS_CHUNK", chunk)
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            self._notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        self.identify_payloads.append(data)
        if self.token is not None and data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard = None
        if "shard" in data:
            shard_id, count = (int(n) for n in data["shard"])
            if not 0 <= shard_id < count:
                await ws.close(code=4010, message=b"Invalid shard.")
                return None
            if count < self.shards:
                await ws.close(code=4011, message=b"Sharding required.")
                return None
            shard = (shard_id, count)
        elif self.shards > 1:
            await ws.close(code=4011, message=b"Sharding required.")
            return None
        session = _Session(id=uuid.uuid4().hex, token=str(data.get("token")), ws=ws, shard=shard)
        self._sessions[session.id] = session
        present = [guild for guild in self.guilds.values() if guild.bot_present and session.owns(guild.id)]
        ready = p.ready(self.bot, session.id, self.gateway_url, [g.id for g in present], self.application_id)
        if shard is not None:
            ready["shard"] = list(shard)
        await self._send(session, "READY", ready)
        for guild in present:
            await self._send(session, "GUILD_CREATE", guild.gateway_payload())
        self._current = session
        self._notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != session.token:
            # d=false: not resumable, the client must IDENTIFY again.
            await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            return None
        self.resumes += 1
        session.ws = ws
        for seq, frame in session.sent:
            if seq > int(data.get("seq") or 0):
                await ws.send_str(frame)
        await self._send(session, "RESUMED", {})
        self._current = session
        self._notify()
        return session

    # -- REST ------------------------------------------------------------------------------

    def _route_table(self) -> list[tuple[str, str, _Handler, bool]]:
        channel, message = r"/channels/(?P<channel>\d+)", r"/messages/(?P<message>\d+)"
        app, guild = r"/applications/(?P<app>\d+)", r"/guilds/(?P<guild>\d+)"
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        me = {**self.bot, "verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}
        return [
            ("GET", r"/gateway", lambda c: (200, {"url": self.gateway_url}), False),
            ("GET", r"/gateway/bot", self._gateway_bot, True),
            ("GET", r"/users/@me", lambda c: (200, me), True),
            ("GET", r"/users/(?P<user>\d+)", lambda c: (200, self._user(int(c.params["user"]))), True),
            ("POST", r"/users/@me/channels", self._open_dm, True),
            ("GET", r"/oauth2/applications/@me", self._app_info, True),
            ("GET", app + r"/commands", self._commands, True),
            ("PUT", app + r"/commands", self._commands, True),
            ("GET", app + guild + r"/commands", self._commands, True),
            ("PUT", app + guild + r"/commands", self._commands, True),
            ("GET", channel, lambda c: (200, self._channel(c)), True),
            ("POST", channel + r"/typing", lambda c: (204, self._channel(c)), True),
            ("POST", channel + r"/messages", self._post_message, True),
            ("GET", channel + message, lambda c: (200, self._message(c).payload), True),
            ("PATCH", channel + message, self._patch_message, True),
            ("DELETE", channel + message, self._delete_message, True),
            ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", self._callback, False),
            ("POST", hook, self._followup, False),
            ("GET", hook + r"/messages/(?P<message>@original|\d+)", self._webhook_message, False),
            ("PATCH", hook + r"/messages/(?P<message>@original|\d+)", self._webhook_message, False),
            ("DELETE", hook + r"/messages/(?P<message>@original|\d+)", self._webhook_message, False),
        ]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/attachments/"):
            return self._attachment_file(request.path)
        try:
            body, files = await _read_body(request)
        except ValueError:
            return _respond(400, p.error_body(50109, "The request body contains invalid JSON."))
        if any(len(f.data) > self.attachment_limit for f in files.values()):
            return _respond(413, p.error_body(40005, "Request entity too large"))
        path = request.path.removeprefix(API_PREFIX)
        record = RecordedRequest(request.method, path, dict(request.query), body)
        self.requests.append(record)
        status, data, headers = self._handle(request, path, _Call(request.method, {}, body, files))
        record.status = status
        self._notify()
        return _respond(status, data, headers)

    def _handle(self, request: web.Request, path: str, call: _Call) -> tuple[int, Any, dict[str, str]]:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in ("*", call.method) and fault.pattern.search(path):
                fault.remaining -= 1
                headers = p.rate_limit_headers(fault.retry_after) if fault.status == 429 else {}
                return fault.status, fault.body, headers
        for method, pattern, handler, auth in self._routes:
            match = pattern.fullmatch(path) if request.path.startswith(API_PREFIX + "/") else None
            if method != call.method or match is None:
                continue
            if auth and self.token is not None and request.headers.get("Authorization") != f"Bot {self.token}":
                return 401, p.error_body(0, "401: Unauthorized"), {}
            call.params = match.groupdict()
            try:
                status, data = handler(call)
            except _ApiError as exc:
                return exc.status, exc.body, {}
            except Exception as exc:  # a bug in the fake: 400 so discord.py does not retry like a 500
                _log.exception("fake Discord failed on %s %s", call.method, path)
                self.server_errors.append(exc)
                return 400, p.error_body(0, f"fake server bug: {exc!r}"), {}
            return status, data, {}
        self.unknown_routes.append((call.method, path))
        return 404, p.error_body(0, "404: Not Found"), {}

    def _attachment_url(self, channel_id: int, attachment_id: int, filename: str) -> str:
        return f"{self.root}/attachments/{channel_id}/{attachment_id}/{quote(filename)}"

    def _attachment_file(self, path: str) -> web.Response:
        parts = path.split("/")
        if len(parts) >= 5 and parts[2].isdigit() and parts[3].isdigit():
            for message in self.messages_in(int(parts[2])):
                upload = message.files.get(int(parts[3]))
                if upload is not None:
                    return web.Response(body=upload.data, headers={"Content-Type": upload.content_type})
        return _respond(404, p.error_body(0, "404: Not Found"))

    def _user(self, user_id: int) -> JSON:
        # Any snowflake is an existing user on real Discord; tests rarely want Unknown User.
        return self.users.get(user_id) or self.add_user(user_id, f"user{user_id}")

    def _channel(self, call: _Call) -> JSON:
        channel = self.channels.get(int(call.params["channel"]))
        if channel is None:
            raise _ApiError(404, 10003, "Unknown Channel")
        guild = self.guilds.get(int(channel["guild_id"])) if channel.get("guild_id") else None
        if guild is not None and not guild.bot_present:
            raise _ApiError(403, 50001, "Missing Access")
        return channel

    def _message(self, call: _Call) -> StoredMessage:
        self._channel(call)  # an unknown channel, or one the bot was removed from, answers as for a new message
        message = self.messages.get(int(call.params["message"]))
        if message is None or message.deleted or message.channel_id != int(call.params["channel"]):
            raise _ApiError(404, 10008, "Unknown Message")
        return message

    def _gateway_bot(self, call: _Call) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": self.shards, "session_start_limit": limit}

    def _open_dm(self, call: _Call) -> tuple[int, Any]:
        return 200, self.channels[self.dm_channel_id(int(call.body["recipient_id"]))]

    def _app_info(self, call: _Call) -> tuple[int, Any]:
        return 200, p.application_info(self.application_id, self.bot, self.owner)

    def _commands(self, call: _Call) -> tuple[int, Any]:
        if int(call.params["app"]) != self.application_id:
            raise _ApiError(403, 50001, "Missing Access")
        guild_id = int(call.params["guild"]) if "guild" in call.params else None
        if guild_id is not None and guild_id not in self.guilds:
            raise _ApiError(403, 50001, "Missing Access")
        current = self.commands if guild_id is None else self.guild_commands.get(guild_id, [])
        if call.method == "GET":
            return 200, current
        ids = {(c["name"], c["type"]): int(c["id"]) for c in current}
        synced = [
            p.command(c, self.application_id, guild_id, ids.get((c["name"], c.get("type", 1))) or p.snowflake())
            for c in call.body
        ]
        if guild_id is None:
            self.commands = synced
        else:
            self.guild_commands[guild_id] = synced
        return 200, synced

    def _post_message(self, call: _Call) -> tuple[int, Any]:
        channel = self._channel(call)
        guild = self.guilds.get(int(channel["guild_id"])) if channel.get("guild_id") else None
        if guild is not None:
            perms = guild.channel_permissions_of(channel, int(self.bot["id"]))
            if not perms & p.VIEW_CHANNEL:
                raise _ApiError(403, 50001, "Missing Access")
            if not perms & p.SEND_MESSAGES or ((call.body or {}).get("embeds") and not perms & p.EMBED_LINKS):
                raise _ApiError(403, 50013, "Missing Permissions")
        return 200, self._create_message(channel, call.body or {}, call.files).payload

    def _patch_message(self, call: _Call) -> tuple[int, Any]:
        message = self._message(call)
        self._edit_message(message, call.body or {}, call.files)
        return 200, message.payload

    def _delete_message(self, call: _Call) -> tuple[int, Any]:
        self._message(call).deleted = True
        return 204, None

    def _create_message(
        self,
        channel: JSON,
        body: Mapping[str, Any],
        files: dict[int, UploadedFile],
        interaction: FakeInteraction | None = None,
    ) -> StoredMessage:
        flags = int(body.get("flags") or 0)
        error = None if flags & LOADING else p.validate_message(body, has_files=bool(files), editing=False)
        if error is not None:
            raise _ApiError(400, error["code"], error["message"], error)
        channel_id, guild_id = int(channel["id"]), channel.get("guild_id")
        message_type = 0
        if interaction is not None:
            message_type = 20 if interaction.payload["type"] == 2 else 0
        payload = p.message(
            p.snowflake(), channel_id, None if guild_id is None else int(guild_id), self.bot, body, [],
            message_type=message_type,
        )  # fmt: skip
        stored = StoredMessage(payload, interaction_id=None if interaction is None else interaction.id)
        if interaction is not None:
            invoker = interaction.payload.get("member", interaction.payload).get("user")
            payload.update(webhook_id=str(self.application_id), application_id=str(self.application_id))
            payload["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.payload["type"],
                "user": invoker,
                "authorizing_integration_owners": interaction.payload["authorizing_integration_owners"],
            }
        p.apply_attachments(stored, body.get("attachments"), files, self._attachment_url)
        self.messages[stored.id] = stored
        self._by_channel.setdefault(channel_id, []).append(stored)
        channel["last_message_id"] = str(stored.id)
        return stored

    def _edit_message(self, message: StoredMessage, body: Mapping[str, Any], files: dict[int, UploadedFile]) -> None:
        error = p.validate_message(body, has_files=bool(files), editing=True)
        if error is not None:
            raise _ApiError(400, error["code"], error["message"], error)
        for key, empty in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:
                message.payload[key] = body[key] if body[key] is not None else empty
        # The first edit of a deferred reply ends "is thinking..."; only a few flags may change.
        message.payload["flags"] = message.flags & ~LOADING
        if body.get("flags") is not None:
            editable = p.SUPPRESS_EMBEDS | p.COMPONENTS_V2
            message.payload["flags"] = (message.flags & ~editable) | (int(body["flags"]) & editable)
        if "attachments" in body or files:
            p.apply_attachments(message, body.get("attachments"), files, self._attachment_url)
        message.payload["edited_timestamp"] = p.now_iso()
        message.edits += 1

    def _callback(self, call: _Call) -> tuple[int, Any]:
        interaction = self.interactions.get(int(call.params["id"]))
        if interaction is None or interaction.token != call.params["token"]:
            raise _ApiError(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
        body: JSON = dict(call.body or {})
        kind, data = int(body.get("type", 0)), dict(body.get("data") or {})
        if kind == 8 and (error := p.validate_choices(body)) is not None:
            raise _ApiError(400, error["code"], error["message"], error)
        channel = self.channels[int(interaction.payload["channel_id"])]
        resource: JSON = {"type": kind}
        if kind in (4, 5):
            if kind == 5:
                data = {"flags": (int(data.get("flags") or 0) & EPHEMERAL) | LOADING}
            interaction.original = self._create_message(channel, data, call.files, interaction)
            resource["message"] = interaction.original.payload
        elif kind in (6, 7) and "message" in interaction.payload:
            # For component interactions @original is the message the component is on.
            interaction.original = self.messages.get(int(interaction.payload["message"]["id"]))
            if kind == 7 and interaction.original is not None:
                self._edit_message(interaction.original, data, call.files)
                resource["message"] = interaction.original.payload
        interaction.callbacks.append(body)
        info: JSON = {"id": str(interaction.id), "type": interaction.payload["type"]}
        info.update(response_message_loading=kind == 5, response_message_ephemeral=bool(data.get("flags", 0) & 64))
        if interaction.original is not None:
            info["response_message_id"] = str(interaction.original.id)
        return 200, {"interaction": info, "resource": resource}

    def _webhook_interaction(self, call: _Call) -> FakeInteraction:
        token = call.params["token"]
        found = next((i for i in self.interactions.values() if i.token == token), None)
        # Like Discord, the token only works as a webhook once the interaction was acknowledged.
        if found is None or int(call.params["app"]) != self.application_id or not found.callbacks:
            raise _ApiError(404, 10015, "Unknown Webhook")
        return found

    def _followup(self, call: _Call) -> tuple[int, Any]:
        interaction = self._webhook_interaction(call)
        channel = self.channels[int(interaction.payload["channel_id"])]
        message = self._create_message(channel, call.body or {}, call.files, interaction)
        interaction.followups.append(message)
        return 200, message.payload

    def _webhook_message(self, call: _Call) -> tuple[int, Any]:
        interaction = self._webhook_interaction(call)
        key = call.params["message"]
        if key == "@original":
            message = interaction.original
        else:
            message = next((m for m in interaction.followups if m.id == int(key)), None)
        if message is None or message.deleted:
            raise _ApiError(404, 10008, "Unknown Message")
        if call.method == "PATCH":
            self._edit_message(message, call.body or {}, call.files)
        elif call.method == "DELETE":
            message.deleted = True
            return 204, None
        return 200, message.payload

    def allow_command(self, guild_id: int, name: str, target_id: int | None = None, allowed: bool = True) -> None:
        """A server admin sets who may use a command (Server Settings > Integrations): a user, a role, or
        everyone (no target); it overrides the command's default_member_permissions."""
        guild = self.guilds[guild_id]
        guild.command_overrides.setdefault(name, {})[guild_id if target_id is None else target_id] = allowed

    # -- injecting interactions ------------------------------------------------------------

    async def slash_command(
        self,
        name: str,
        options: OptionsArg = None,
        *,
        user_id: int,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        resolved: JSON | None = None,
        timeout: float = 5.0,
    ) -> FakeInteraction:
        """Dispatch a CHAT_INPUT command. `name` may be "group sub"; `options` a {name: value} mapping
        (types come from the synced command) or raw option dicts. No guild and no channel = the user's DM."""
        guild, channel = self._context(user_id, guild_id, channel_id)
        parts = name.split()
        command = self._find_command(parts[0], guild, user_id)
        data: JSON = {"id": command["id"] if command else str(p.snowflake()), "name": parts[0], "type": 1}
        data["options"] = p.command_options(command, parts, options)
        if command is not None and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return await self._inject(2, data, guild, channel, user_id, locale, None, timeout)

    async def autocomplete(
        self,
        name: str,
        option_name: str,
        value: Any,
        *,
        options: Mapping[str, Any] | None = None,
        user_id: int,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> FakeInteraction:
        """Dispatch an autocomplete for `option_name` (focused) with the other `options` filled in."""
        guild, channel = self._context(user_id, guild_id, channel_id)
        parts = name.split()
        command = self._find_command(parts[0], guild, user_id)
        data: JSON = {"id": command["id"] if command else str(p.snowflake()), "name": parts[0], "type": 1}
        data["options"] = p.command_options(command, parts, {**(options or {}), option_name: value})
        leaf = data["options"]
        while leaf and leaf[0]["type"] in (1, 2):
            leaf = leaf[0]["options"]
        for option in leaf:
            option["focused"] = option["name"] == option_name
        if command is not None and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return await self._inject(4, data, guild, channel, user_id, locale, None, timeout)

    async def press_button(
        self,
        custom_id: str,
        message_id: int,
        channel_id: int | None = None,
        *,
        user_id: int,
        guild_id: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> FakeInteraction:
        """Press a button on a stored message (the guild comes from the message's channel)."""
        return await self._component(custom_id, None, message_id, channel_id, user_id, guild_id, locale, timeout)

    async def select(
        self,
        custom_id: str,
        values: Sequence[str],
        message_id: int,
        *,
        user_id: int,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> FakeInteraction:
        """Choose `values` in a select menu on a stored message."""
        return await self._component(custom_id, list(values), message_id, None, user_id, None, locale, timeout)

    async def _component(
        self,
        custom_id: str,
        values: list[str] | None,
        message_id: int,
        channel_id: int | None,
        user_id: int,
        guild_id: int | None,
        locale: str,
        timeout: float,
    ) -> FakeInteraction:
        message = self.messages.get(message_id)
        if message is None or message.deleted or channel_id not in (None, message.channel_id):
            raise LookupError(f"no message {message_id} in channel {channel_id}")
        component = message.find_component(custom_id)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}; it has {message.custom_ids}")
        if component.get("disabled") or (values is None) != (component["type"] == 2):
            raise ValueError(f"component {custom_id!r} cannot be used that way: {component}")
        guild, channel = self._context(user_id, guild_id, message.channel_id)
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        return await self._inject(3, data, guild, channel, user_id, locale, message.payload, timeout)

    def _context(self, user_id: int, guild_id: int | None, channel_id: int | None) -> tuple[FakeGuild | None, JSON]:
        if channel_id is not None:
            channel = self.channels.get(channel_id)
            if channel is None:
                raise LookupError(f"unknown channel {channel_id}")
            guild = self.guilds[int(channel["guild_id"])] if channel.get("guild_id") else None
            if guild_id is not None and (guild is None or guild.id != guild_id):
                raise ValueError(f"channel {channel_id} is not in guild {guild_id}")
        elif guild_id is not None:
            guild = self.guilds[guild_id]
            channel = next(iter(guild.channels.values()))
        else:
            guild, channel = None, self.channels[self.dm_channel_id(user_id)]
        if guild is not None and user_id not in guild.members:
            raise LookupError(f"user {user_id} is not a member of guild {guild.id}")
        return guild, channel

    def _find_command(self, name: str, guild: FakeGuild | None, user_id: int) -> JSON | None:
        """The synced command, checked the way Discord decides whether a user can even see it."""
        candidates = (self.guild_commands.get(guild.id, []) if guild else []) + self.commands
        command = next((c for c in candidates if c["name"] == name and c["type"] == 1), None)
        if command is None:
            return None  # not synced: still delivered, so tests need not sync first
        denial = p.command_denial(command, guild, user_id)
        if denial is not None:
            raise PermissionError(denial)
        return command

    async def _inject(
        self,
        kind: int,
        data: JSON,
        guild: FakeGuild | None,
        channel: JSON,
        user_id: int,
        locale: str,
        message: JSON | None,
        timeout: float,
    ) -> FakeInteraction:
        interaction_id = p.snowflake()
        token = f"aW50ZXJhY3Rpb24.{uuid.uuid4().hex}"
        bot_id = int(self.bot["id"])
        payload = p.interaction(
            interaction_id=interaction_id, interaction_type=kind, application_id=self.application_id,
            token=token, data=data, channel=channel, guild=guild, user_id=user_id,
            user_payload=self._user(user_id),
            app_permissions=guild.permissions_of(bot_id) if guild else p.DEFAULT_EVERYONE,
            locale=locale, message_payload=message,
        )  # fmt: skip
        interaction = FakeInteraction(interaction_id, token, payload, self)
        self.interactions[interaction_id] = interaction
        await self.dispatch("INTERACTION_CREATE", payload, timeout)
        return interaction
