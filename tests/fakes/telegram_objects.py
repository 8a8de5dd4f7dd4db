"""Helpers of the fake Telegram server (telegram_server.py): request decoding, Bot API JSON shapes,
the message record, and the fault and rate-limit bookkeeping.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

Params = dict[str, Any]

# PTB sends every non-string parameter JSON-encoded inside the form, and strings raw, so
# the server cannot tell the text "42" from the number 42. These fields are always strings
# in the Bot API and must never be JSON-decoded.
STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "data",
        "language_code", "url", "title", "description", "short_description", "name", "query",
        "emoji", "question", "custom_title", "business_connection_id", "message_effect_id",
        "photo", "document", "video", "audio", "animation", "voice", "sticker", "thumbnail",
        "file_id", "action", "first_name", "last_name", "phone_number", "address", "secret_token",
    }
)  # fmt: skip
_JSON_START = frozenset('{["-0123456789tfn')

# Update kinds Telegram sends only to a bot that lists them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MEMBER_STATUSES = frozenset({"administrator", "creator", "member", "left", "kicked"})
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional `parameters`."""

    def __init__(self, status: int, description: str, parameters: Params | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}

    def body(self) -> Params:
        body: Params = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(slots=True)
class Call:
    """One Bot API request as the server saw it; `time` is time.monotonic() at arrival."""

    method: str
    params: Params
    time: float
    status: int = 200
    error: str | None = None
    index: int = 0

    @property
    def failed(self) -> bool:
        return self.status != 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass(slots=True, frozen=True)
class UploadedFile:
    """A multipart file part (e.g. sendPhoto's `photo`), kept with its bytes."""

    filename: str
    content_type: str
    data: bytes


# ----- requests -----


def decode_value(name: str, value: str) -> Any:
    """Undo PTB's form encoding of one parameter."""
    if name in STRING_FIELDS or not value or value[0] not in _JSON_START:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id "@channel"


async def read_params(request: web.Request) -> Params:
    """Parameters from the query string and a urlencoded, multipart or JSON body."""
    params: Params = {k: decode_value(k, v) for k, v in request.query.items()}
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
        else:
            params[key] = decode_value(key, value if isinstance(value, str) else value.decode())
    for key, value in params.items():
        # Files sent with attach=True travel under a random part name.
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params


def update_kind(update: Params) -> str:
    return next((key for key in update if key != "update_id"), "")


def allowed(update: Params, kinds: frozenset[str] | None) -> bool:
    """Whether Telegram delivers `update` to a bot whose allowed_updates is `kinds` (None: never set, or empty)."""
    kind = update_kind(update)
    return kind not in OPT_IN_UPDATES if kinds is None else kind in kinds


def parse_chat_id(params: Params) -> int | str:
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(chat_id, str) and not chat_id.startswith("@"):
        try:
            return int(chat_id)  # a JSON body may carry ids as strings
        except ValueError:
            raise ApiError(400, "Bad Request: chat not found") from None
    return chat_id if isinstance(chat_id, str) else int(chat_id)


def commands_key(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def utf16_len(text: str) -> int:
    # Telegram measures entity offsets and lengths in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


# ----- Bot API objects -----


def user_json(user_id: int, first_name: str, username: str | None = None, language_code: str | None = None) -> Params:
    user: Params = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username is not None:
        user["username"] = username
    if language_code is not None:
        user["language_code"] = language_code
    return user


def chat_json(chat_id: int | str, config: Params) -> Params:
    chat_type = config.get("type") or default_chat_type(chat_id)
    chat: Params = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = config.get("first_name") or "User"
    else:
        chat["title"] = config.get("title") or f"Chat {chat_id}"
    if config.get("username"):
        chat["username"] = config["username"]
    return chat


def default_chat_type(chat_id: int | str) -> str:
    if isinstance(chat_id, str):
        return "channel"  # only channels (and public supergroups) are addressed by @username
    if chat_id > 0:
        return "private"
    # Supergroup and channel ids are -100xxxxxxxxxx; basic groups are small negatives.
    return "supergroup" if chat_id <= -1_000_000_000_000 else "group"


def chat_full_info_json(chat: Params) -> Params:
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {**dict.fromkeys(gifts, False), "gifts_from_channels": False},
    }


def member_json(status: str, user: Params) -> Params:
    member: Params = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        rights = (
            "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_promote_members", "can_change_info",
            "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
            "can_pin_messages",
        )  # fmt: skip
        member.update(dict.fromkeys(rights, True), can_be_edited=False, is_anonymous=False)
    elif status == "kicked":
        member["until_date"] = 0  # 0 = banned forever
    return member


def new_record(chat_id: int | str, message_id: int, params: Params, **content: Any) -> Params:
    """What the fake stores for a message the bot sent (see FakeTelegram.messages)."""
    record: Params = {
        "message_id": message_id, "chat_id": chat_id, "date": int(time.time()), "text": None,
        "caption": None, "entities": None, "parse_mode": params.get("parse_mode"),
        "reply_markup": params.get("reply_markup"), "photo": None, "photo_ref": None,
        "photo_sizes": None, "edits": 0, "edit_date": None,
    }  # fmt: skip
    record.update(content)
    return record


def photo_sizes(file_key: str, size: int) -> list[Params]:
    # Telegram answers a photo upload with several thumbnails, the original last.
    return [
        {"file_id": f"{file_key}-s", "file_unique_id": f"{file_key}s", "width": 90,
         "height": 90, "file_size": min(size, 1024)},
        {"file_id": f"{file_key}-x", "file_unique_id": f"{file_key}x", "width": 800,
         "height": 800, "file_size": size},
    ]  # fmt: skip


# Bots upload files of at most 50 MB (a photo: 10 MB).
UPLOAD_LIMIT = 50 * 1024 * 1024


def document_json(file_key: str, document: UploadedFile | str) -> Params:
    """The Document Telegram answers a sendDocument with: the uploaded file's name, type and size."""
    if isinstance(document, UploadedFile):
        return {"file_id": f"{file_key}-{len(document.data)}", "file_unique_id": f"{file_key}u",
                "file_name": document.filename, "mime_type": document.content_type, "file_size": len(document.data)}
    return {"file_id": document, "file_unique_id": f"{file_key}u"}  # fmt: skip


def apply_edit(record: Params, params: Params, field_name: str | None) -> None:
    """editMessageText/Caption (field_name "text"/"caption") or ReplyMarkup (None), in place."""
    # Telegram drops the inline keyboard of an edited message unless it is sent again.
    new: Params = {"reply_markup": params.get("reply_markup")}
    if field_name is not None:
        if record[field_name] is None:
            raise ApiError(400, f"Bad Request: there is no {field_name} in the message to edit")
        entities = "entities" if field_name == "text" else "caption_entities"
        new[field_name] = params.get(field_name)
        new.update(parse_mode=params.get("parse_mode"), entities=params.get(entities))
        if not str(new[field_name] or "").strip():
            raise ApiError(400, "Bad Request: message text is empty")
    if all(record[key] == value for key, value in new.items()):
        raise ApiError(400, NOT_MODIFIED)
    record.update(new, edits=record["edits"] + 1, edit_date=int(time.time()))


def message_json(record: Params, chat: Params, sender: Params) -> Params:
    """The Bot API Message for a stored message record."""
    msg: Params = {
        "message_id": record["message_id"],
        "date": record["date"],
        "chat": chat,
        "from": sender,
    }
    if record["text"] is not None:
        msg["text"] = record["text"]
        if record["entities"]:
            msg["entities"] = record["entities"]
    if record["caption"] is not None:
        msg["caption"] = record["caption"]
        if record["entities"]:
            msg["caption_entities"] = record["entities"]
    if record["photo_sizes"]:
        msg["photo"] = record["photo_sizes"]
    if record.get("document_info"):
        msg["document"] = record["document_info"]
    markup = record["reply_markup"]
    # Message.reply_markup can only be an inline keyboard; reply keyboards are not echoed.
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        msg["reply_markup"] = markup
    if record["edit_date"] is not None:
        msg["edit_date"] = record["edit_date"]
    return msg


# ----- faults and rate limits -----


@dataclass(slots=True)
class Fault:
    """An error to answer for the next `remaining` calls (to `chat_id` only, if set)."""

    error: ApiError
    remaining: int
    chat_id: int | str | None


def take_fault(faults: list[Fault], params: Params) -> ApiError | None:
    for fault in faults:
        if fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id")):
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            return fault.error
    return None


class RateLimits:
    """One bot's flood limits on send* methods as sliding windows (O(1) amortised per call): `global_rate` a second
    for ordinary messages, `paid_rate` a second for paid broadcasts (`allow_paid_broadcast`, which Telegram lets
    through beyond the ordinary limit, up to 1,000 a second), and `group_rate_per_min` to each group."""

    def __init__(self, global_rate: float | None, group_rate_per_min: int | None, paid_rate: float | None) -> None:
        self.global_rate = global_rate
        self.group_rate_per_min = group_rate_per_min
        self.paid_rate = paid_rate
        self._global: deque[float] = deque()
        self._paid: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}

    def check(self, method: str, chat_id: Any, *, paid: bool = False) -> int | None:
        """Admit the call and return None, or return the retry_after (s) of a 429."""
        if not method.startswith("send") or method == "sendChatAction":
            return None
        now = time.monotonic()
        windows: list[deque[float]] = []
        window, rate = (self._paid, self.paid_rate) if paid else (self._global, self.global_rate)
        if rate is not None:
            windows.append(window)
            if (wait := _wait(window, now, 1.0, rate)) is not None:
                return wait
        if self.group_rate_per_min is not None and isinstance(chat_id, int) and chat_id < 0:
            group = self._groups.setdefault(chat_id, deque())
            windows.append(group)
            if (wait := _wait(group, now, 60.0, self.group_rate_per_min)) is not None:
                return wait
        for admitted in windows:
            admitted.append(now)
        return None


def _wait(window: deque[float], now: float, span: float, limit: float) -> int | None:
    while window and window[0] <= now - span:
        window.popleft()
    if len(window) < limit:
        return None
    return max(1, math.ceil(window[0] + span - now))
