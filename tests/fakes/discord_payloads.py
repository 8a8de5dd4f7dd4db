"""Payload builders, data model and Discord's message limits for the fake Discord server (discord_server.py)."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 64
LOADING = 128
SUPPRESS_EMBEDS = 4
COMPONENTS_V2 = 1 << 15
ADMINISTRATOR = 0x8
VIEW_CHANNEL = 0x400
SEND_MESSAGES = 0x800
EMBED_LINKS = 0x4000
MANAGE_CHANNELS = 0x10
MANAGE_GUILD = 0x20
# Admins get every bit in interaction payloads, which is what permission checks read.
ALL_PERMISSIONS = (1 << 53) - 1
# Roughly Discord's @everyone default: view, send, embed, attach, history, reactions, app commands.
DEFAULT_EVERYONE = 0x400 | 0x800 | 0x4000 | 0x8000 | 0x10000 | 0x40 | (1 << 31)

MemberSpec = tuple[int, str, int] | tuple[int, str, int, Sequence[int]]
ChannelSpec = int | tuple[int, str] | Mapping[str, Any]
RoleSpec = tuple[int, str, int]

_counter = itertools.count()


def snowflake() -> int:
    """A unique, time-ordered snowflake, so discord.py's created_at looks sane."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def error_body(code: int, message: str, errors: JSON | None = None) -> JSON:
    body: JSON = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return body


def user(user_id: int, name: str, *, bot: bool = False) -> JSON:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": None if bot else name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def role(role_id: int, name: str, permissions: int, *, position: int = 0, bot_id: int | None = None) -> JSON:
    data: JSON = {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": bot_id is not None,
        "mentionable": False,
        "flags": 0,
    }
    if bot_id is not None:
        data["tags"] = {"bot_id": str(bot_id)}
    return data


def text_channel(spec: ChannelSpec, guild_id: int, position: int) -> JSON:
    base: JSON = {
        "type": 0,
        "guild_id": str(guild_id),
        "position": position,
        "permission_overwrites": [],
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
    }
    if isinstance(spec, int):
        base.update(id=str(spec), name=f"channel-{position}")
    elif isinstance(spec, tuple):
        base.update(id=str(spec[0]), name=spec[1])
    else:
        base.update(spec)
        base["id"] = str(spec["id"])
        base.setdefault("name", f"channel-{position}")
    return base


def thread_channel(thread_id: int, guild_id: int, parent_id: int, name: str, owner_id: int) -> JSON:
    """An active public thread, as GUILD_CREATE lists it and interactions carry it."""
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": now_iso(),
            "locked": False,
        },
    }


def dm_channel(channel_id: int, recipient: JSON) -> JSON:
    return {"id": str(channel_id), "type": 1, "recipients": [recipient], "last_message_id": None, "flags": 0}


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


def walk_components(components: Sequence[JSON]) -> Iterator[JSON]:
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            yield component["accessory"]


@dataclass(eq=False)
class StoredMessage:
    """A message as Discord holds it; `payload` is updated in place by edits."""

    payload: JSON
    files: dict[int, UploadedFile] = field(default_factory=dict)
    interaction_id: int | None = None
    edits: int = 0
    deleted: bool = False

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def content(self) -> str:
        return str(self.payload["content"])

    @property
    def embeds(self) -> list[JSON]:
        return list(self.payload["embeds"])

    @property
    def components(self) -> list[JSON]:
        return list(self.payload["components"])

    @property
    def flags(self) -> int:
        return int(self.payload["flags"])

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> JSON | None:
        return next((c for c in walk_components(self.components) if c.get("custom_id") == custom_id), None)


@dataclass
class FakeMember:
    user: JSON
    role_ids: list[int]
    joined_at: str = field(default_factory=now_iso)


@dataclass
class FakeGuild:
    """A guild as the fake server knows it; permissions are role-based as on Discord."""

    id: int
    name: str
    owner_id: int
    locale: str
    channels: dict[int, JSON] = field(default_factory=dict)
    roles: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    threads: dict[int, JSON] = field(default_factory=dict)
    # False once the bot was kicked: its channels refuse the bot's requests, and IDENTIFY leaves the guild out.
    bot_present: bool = True
    # Server Settings > Integrations: command name -> {user, role or the guild's id (@everyone) -> allowed}.
    command_overrides: dict[str, dict[int, bool]] = field(default_factory=dict)

    def grant(self, user_id: int, permissions: int) -> None:
        """Give a member a new role with these permissions, as a server admin would."""
        role_id = snowflake()
        self.roles[role_id] = role(role_id, f"granted-{permissions:#x}", permissions, position=len(self.roles))
        self.members[user_id].role_ids.append(role_id)

    def permissions_of(self, user_id: int) -> int:
        perms = int(self.roles[self.id]["permissions"])
        member = self.members.get(user_id)
        for role_id in member.role_ids if member else []:
            perms |= int(self.roles[role_id]["permissions"])
        if perms & ADMINISTRATOR or user_id == self.owner_id:
            return ALL_PERMISSIONS
        return perms

    def channel_permissions_of(self, channel: JSON, user_id: int) -> int:
        """As Discord computes them: the roles' permissions, then the channel's overwrites for @everyone, the
        member's roles and the member (threads follow their parent channel)."""
        perms = self.permissions_of(user_id)
        if perms == ALL_PERMISSIONS:
            return perms
        if channel.get("parent_id") and int(channel["parent_id"]) in self.channels:
            channel = self.channels[int(channel["parent_id"])]
        member = self.members.get(user_id)
        roles = {str(r) for r in (member.role_ids if member else [])}
        overwrites = channel.get("permission_overwrites") or []
        layers = (
            [o for o in overwrites if o["id"] == str(self.id)],
            [o for o in overwrites if o["type"] == 0 and o["id"] in roles],
            [o for o in overwrites if o["type"] == 1 and o["id"] == str(user_id)],
        )
        for layer in layers:
            deny = allow = 0
            for overwrite in layer:
                deny |= int(overwrite["deny"])
                allow |= int(overwrite["allow"])
            perms = (perms & ~deny) | allow
        return perms

    def member_payload(self, user_id: int, *, with_permissions: bool = False) -> JSON:
        member = self.members[user_id]
        data: JSON = {
            "user": member.user,
            "roles": [str(r) for r in member.role_ids],
            "joined_at": member.joined_at,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_permissions:
            data["permissions"] = str(self.permissions_of(user_id))
        return data

    def gateway_payload(self) -> JSON:
        members = [self.member_payload(uid) for uid in self.members]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": self.locale,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": list(self.roles.values()),
            "channels": list(self.channels.values()),
            "members": members,
            # Equal to len(members) so discord.py considers the guild chunked and asks for nothing.
            "member_count": len(members),
            "large": False,
            "unavailable": False,
            "joined_at": now_iso(),
            "threads": list(self.threads.values()),
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "voice_states": [],
            "presences": [],
        }


def build_guild(
    guild_id: int,
    name: str,
    *,
    bot: JSON,
    channels: Sequence[ChannelSpec],
    members: Sequence[MemberSpec],
    roles: Sequence[RoleSpec],
    everyone_permissions: int,
    bot_permissions: int,
    owner_id: int | None,
    locale: str,
) -> FakeGuild:
    guild = FakeGuild(id=guild_id, name=name, owner_id=owner_id or int(bot["id"]) + 1, locale=locale)
    guild.roles[guild_id] = role(guild_id, "@everyone", everyone_permissions)
    for role_id, role_name, perms in roles:
        guild.roles[role_id] = role(role_id, role_name, perms, position=len(guild.roles))
    for position, spec in enumerate(channels):
        channel = text_channel(spec, guild_id, position)
        guild.channels[int(channel["id"])] = channel
    bot_role = snowflake()
    guild.roles[bot_role] = role(bot_role, bot["username"], bot_permissions, position=1, bot_id=int(bot["id"]))
    guild.members[int(bot["id"])] = FakeMember(user=bot, role_ids=[bot_role])
    # One role per distinct permission value keeps guild_permissions (role-based) and the
    # interaction's member.permissions in agreement.
    perm_roles: dict[int, int] = {}
    for member in members:
        user_id, user_name, perms = member[0], member[1], member[2]
        role_ids = [int(r) for r in member[3]] if len(member) == 4 else []
        if perms:
            if perms not in perm_roles:
                perm_roles[perms] = snowflake()
                guild.roles[perm_roles[perms]] = role(perm_roles[perms], f"perms-{perms:#x}", perms, position=1)
            role_ids.append(perm_roles[perms])
        guild.members[user_id] = FakeMember(user=user(user_id, user_name), role_ids=role_ids)
    return guild


def ready(bot: JSON, session_id: str, resume_url: str, guild_ids: Sequence[int], application_id: int) -> JSON:
    return {
        "v": 10,
        "user": {**bot, "verified": True, "mfa_enabled": False, "flags": 0},
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "application": {"id": str(application_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
    }


def application_info(application_id: int, bot: JSON, owner: JSON) -> JSON:
    return {
        "id": str(application_id),
        "name": bot["username"],
        "icon": None,
        "description": "",
        "summary": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": owner,
        "team": None,
        "flags": 0,
        "bot": bot,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
    }


def command(body: Mapping[str, Any], application_id: int, guild_id: int | None, command_id: int) -> JSON:
    """What Discord returns for a synced command: ids, version and string permissions added."""
    data: JSON = {"type": 1, "description": "", "options": [], "nsfw": False, **body}
    data.update(id=str(command_id), application_id=str(application_id), version=str(snowflake()))
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    perms = data.get("default_member_permissions")
    data["default_member_permissions"] = None if perms is None else str(perms)
    return data


def attachment(attachment_id: int, filename: str, size: int, url: str, content_type: str | None) -> JSON:
    data: JSON = {"id": str(attachment_id), "filename": filename, "size": size, "url": url, "proxy_url": url}
    if content_type:
        data["content_type"] = content_type
    return data


def pings_everyone(body: Mapping[str, Any]) -> bool:
    """Whether Discord would notify the whole server: "@everyone" or "@here" in the content, unless the message's
    allowed_mentions leave "everyone" out (with none, every mention written in the text notifies)."""
    content = str(body.get("content") or "")
    if "@everyone" not in content and "@here" not in content:
        return False
    allowed = body.get("allowed_mentions")
    return not isinstance(allowed, Mapping) or "everyone" in (allowed.get("parse") or [])


def message(
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: JSON,
    body: Mapping[str, Any],
    attachments: list[JSON],
    *,
    message_type: int = 0,
) -> JSON:
    data: JSON = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": body.get("content") or "",
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": pings_everyone(body),
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments,
        "embeds": list(body.get("embeds") or []),
        "components": list(body.get("components") or []),
        "pinned": False,
        "type": message_type,
        "flags": int(body.get("flags") or 0),
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    for key in ("nonce", "message_reference", "poll", "sticker_items"):
        if body.get(key) is not None:
            data[key] = body[key]
    if "message_reference" in data:
        data["type"] = 19
    return data


def interaction(
    *,
    interaction_id: int,
    interaction_type: int,
    application_id: int,
    token: str,
    data: JSON,
    channel: JSON,
    guild: FakeGuild | None,
    user_id: int,
    user_payload: JSON,
    app_permissions: int,
    locale: str,
    message_payload: JSON | None = None,
) -> JSON:
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": interaction_type,
        "data": data,
        "token": token,
        "version": 1,
        "channel_id": channel["id"],
        "channel": channel,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if guild is not None:
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": guild.locale, "features": []},
            guild_locale=guild.locale,
            member=guild.member_payload(user_id, with_permissions=True),
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,
        )
    else:
        payload.update(user=user_payload, authorizing_integration_owners={"0": "0"}, context=1)
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


def _too_long(errors: JSON, path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors[path] = {
            "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]
        }


def _embed_errors(errors: JSON, index: int, embed: Mapping[str, Any]) -> int:
    prefix = f"embeds.{index}"
    _too_long(errors, f"{prefix}.title", embed.get("title"), 256)
    _too_long(errors, f"{prefix}.description", embed.get("description"), 4096)
    _too_long(errors, f"{prefix}.footer.text", (embed.get("footer") or {}).get("text"), 2048)
    _too_long(errors, f"{prefix}.author.name", (embed.get("author") or {}).get("name"), 256)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors[f"{prefix}.fields"] = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Max 25 fields."}]}
    total = sum(len(str(embed.get(k) or "")) for k in ("title", "description"))
    total += len(str((embed.get("footer") or {}).get("text") or ""))
    total += len(str((embed.get("author") or {}).get("name") or ""))
    for n, f in enumerate(fields):
        _too_long(errors, f"{prefix}.fields.{n}.name", f.get("name"), 256)
        _too_long(errors, f"{prefix}.fields.{n}.value", f.get("value"), 1024)
        total += len(str(f.get("name") or "")) + len(str(f.get("value") or ""))
    return total


def validate_message(body: Mapping[str, Any], *, has_files: bool, editing: bool) -> JSON | None:
    """The 400 error Discord would give for this message body, or None if it is acceptable."""
    errors: JSON = {}
    _too_long(errors, "content", body.get("content"), 2000)
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Max 10 embeds."}]}
    if sum(_embed_errors(errors, i, e) for i, e in enumerate(embeds)) > 6000:
        errors["embeds"] = {"_errors": [{"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds 6000."}]}
    rows = body.get("components") or []
    custom_ids: list[str] = []
    if len(rows) > 5 and not int(body.get("flags") or 0) & COMPONENTS_V2:
        errors["components"] = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Max 5 action rows."}]}
    for r, row in enumerate(rows):
        children = (row.get("components") or []) if row.get("type") == 1 else []
        if len(children) > 5:
            errors[f"components.{r}"] = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Max 5."}]}
        for c, child in enumerate(children):
            _too_long(errors, f"components.{r}.components.{c}.label", child.get("label"), 80)
            _too_long(errors, f"components.{r}.components.{c}.custom_id", child.get("custom_id"), 100)
            if child.get("custom_id") is not None:
                custom_ids.append(child["custom_id"])
    if len(custom_ids) != len(set(custom_ids)):
        errors["components"] = {"_errors": [{"code": "COMPONENT_CUSTOM_ID_DUPLICATED", "message": "Duplicate."}]}
    if errors:
        return error_body(50035, "Invalid Form Body", errors)
    content_keys = ("content", "embeds", "components", "sticker_ids", "poll", "attachments")
    if not editing and not has_files and not any(body.get(k) for k in content_keys):
        return error_body(50006, "Cannot send an empty message")
    return None


def validate_choices(body: Mapping[str, Any]) -> JSON | None:
    choices = (body.get("data") or {}).get("choices") or []
    errors: JSON = {}
    if len(choices) > 25:
        errors["data.choices"] = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Max 25 choices."}]}
    for n, choice in enumerate(choices):
        _too_long(errors, f"data.choices.{n}.name", choice.get("name"), 100)
        _too_long(errors, f"data.choices.{n}.value", choice.get("value"), 100)
    return error_body(50035, "Invalid Form Body", errors) if errors else None


def member_chunk(guild: FakeGuild | None, request: Mapping[str, Any]) -> JSON:
    """GUILD_MEMBERS_CHUNK answering a REQUEST_MEMBERS (op 8), all in one chunk."""
    members = [] if guild is None else [guild.member_payload(uid) for uid in guild.members]
    if request.get("user_ids"):
        wanted = {str(u) for u in request["user_ids"]}
        members = [m for m in members if m["user"]["id"] in wanted]
    else:
        query = str(request.get("query") or "").lower()
        members = [m for m in members if m["user"]["username"].lower().startswith(query)]
        members = members[: request.get("limit") or None]
    chunk: JSON = {"guild_id": str(request["guild_id"]), "members": members, "chunk_index": 0, "chunk_count": 1}
    return {**chunk, "not_found": [], "nonce": request.get("nonce")}


def rate_limit_headers(retry_after: float) -> dict[str, str]:
    # discord.py treats a 429 without Via as a Cloudflare ban and does not retry.
    return {
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": "fakebucket",
        "X-RateLimit-Scope": "user",
        "Via": "1.1 google",
    }


def apply_attachments(
    message: StoredMessage,
    spec: Sequence[JSON] | None,
    uploads: Mapping[int, UploadedFile],
    url_for: Callable[[int, int, str], str],
) -> None:
    """`attachments` names kept attachments by snowflake and new ones by their files[N] index."""
    existing = {a["id"]: a for a in message.payload["attachments"]}
    if spec is None:
        spec = [{"id": key} for key in existing] + [{"id": index} for index in uploads]
    kept: list[JSON] = []
    files: dict[int, UploadedFile] = {}
    for entry in spec:
        key = entry.get("id")
        if str(key) in existing:
            kept.append(existing[str(key)])
            if int(str(key)) in message.files:
                files[int(str(key))] = message.files[int(str(key))]
        elif key is not None and int(key) in uploads:
            upload = uploads[int(key)]
            attachment_id = snowflake()
            url = url_for(message.channel_id, attachment_id, upload.filename)
            data = attachment(attachment_id, upload.filename, len(upload.data), url, upload.content_type)
            if entry.get("description"):
                data["description"] = entry["description"]
            kept.append(data)
            files[attachment_id] = upload
    message.payload["attachments"] = kept
    message.files = files


def option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    return 10 if isinstance(value, float) else 3


def command_options(
    command: JSON | None, parts: Sequence[str], options: Mapping[str, Any] | Sequence[JSON] | None
) -> list[JSON]:
    """Interaction options for `parts` ("group", "sub"...); a mapping takes its types from the synced command."""
    schema: list[JSON] = command.get("options", []) if command else []
    for part in parts[1:]:
        schema = next((o.get("options", []) for o in schema if o["name"] == part), [])
    if isinstance(options, Mapping):
        types = {o["name"]: o["type"] for o in schema}
        leaf = [{"name": k, "type": types.get(k) or option_type(v), "value": v} for k, v in options.items()]
    else:
        leaf = [dict(o) for o in options or []]
    for depth in range(len(parts) - 1, 0, -1):
        leaf = [{"name": parts[depth], "type": 1 if depth == len(parts) - 1 else 2, "options": leaf}]
    return leaf


def command_denial(command: JSON, guild: FakeGuild | None, user_id: int) -> str | None:
    """Why Discord would not even show this synced command to the user, or None."""
    contexts = command.get("contexts")
    if (contexts is not None and (0 if guild else 1) not in contexts) or (
        guild is None and command.get("dm_permission") is False
    ):
        return f"/{command['name']} is not available in {'guilds' if guild else 'DMs'}"
    override = _override(command["name"], guild, user_id) if guild is not None else None
    if override is not None:
        return None if override else f"the server's admins turned /{command['name']} off for user {user_id}"
    required = command.get("default_member_permissions")
    if guild is not None and required is not None:
        have = guild.permissions_of(user_id)
        # "0" means admins only; admins carry every bit.
        if have != ALL_PERMISSIONS and (int(required) == 0 or have & int(required) != int(required)):
            return f"user {user_id} lacks default_member_permissions {required} for /{command['name']}"
    return None


def _override(name: str, guild: FakeGuild, user_id: int) -> bool | None:
    """A server admin's setting for this command and user: by user, else by role, else for @everyone."""
    overrides = guild.command_overrides.get(name, {})
    member = guild.members.get(user_id)
    roles = [overrides[r] for r in (member.role_ids if member else []) if r in overrides]
    if user_id in overrides:
        return overrides[user_id]
    if roles:
        return any(roles)
    return overrides.get(guild.id)
