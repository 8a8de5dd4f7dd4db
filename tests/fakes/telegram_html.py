"""What the fake Telegram server checks in a message before it takes it, as the Bot API does: HTML entity parsing
(the tags Telegram knows, balanced), the lengths after parsing in UTF-16 units, inline keyboards, commands.

Modelled on TDLib's parser, which the Bot API uses: only '<' and '&' are special; an '&' that starts no entity
is a literal '&', and a '<' must start a tag Telegram supports.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .telegram_objects import ApiError, Params, utf16_len

TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_DATA_BYTES, TOAST_LIMIT = 4096, 1024, 64, 200
ROW_BUTTONS, KEYBOARD_BUTTONS = 8, 100
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
TAGS = frozenset({"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "tg-emoji",
                  "code", "pre", "blockquote"})  # fmt: skip
PARSE_MODES = frozenset({"HTML", "Markdown", "MarkdownV2"})
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_START = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_END = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")


def _refuse(problem: str, at: int, text: str) -> ApiError:
    offset = len(text[:at].encode())
    return ApiError(400, f"Bad Request: can't parse entities: {problem} at byte offset {offset}")


def parse_html(text: str) -> str:
    """The text a reader sees, or the Bot API's 400 for markup it cannot parse."""
    out: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            entity = _ENTITY.match(text, i)
            out.append(html.unescape(entity.group(0)) if entity else "&")
            i = entity.end() if entity else i + 1
        elif char != "<":
            out.append(char)
            i += 1
        elif (end := _END.match(text, i)) is not None:
            name = end.group(1).lower()
            if not open_tags:
                raise _refuse(f'Unexpected end tag "{name}"', i, text)
            if open_tags[-1] != name:
                raise _refuse(f'Unmatched end tag, expected "</{open_tags[-1]}>", found "</{name}>"', i, text)
            open_tags.pop()
            i = end.end()
        elif (start := _START.match(text, i)) is not None:
            name = start.group(1).lower()
            if name not in TAGS:
                raise _refuse(f'Unsupported start tag "{name}"', i, text)
            if name == "span" and "tg-spoiler" not in start.group(2):
                raise _refuse('Tag "span" must have class "tg-spoiler"', i, text)
            open_tags.append(name)
            i = start.end()
        else:
            raise _refuse("Unclosed start tag" if text[i + 1 : i + 2].isalpha() else "Unsupported start tag", i, text)
    if open_tags:
        raise ApiError(400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag '
                            f'"{open_tags[-1]}"')  # fmt: skip
    return "".join(out)


def shown_text(params: Params, field: str) -> str:
    """`text` or `caption` as the reader sees it, after the message's parse_mode."""
    value = str(params.get(field) or "")
    mode = params.get("parse_mode")
    if mode is None or mode == "":
        return value
    if mode not in PARSE_MODES:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r}")
    return parse_html(value) if mode == "HTML" else value


def check_text(params: Params, *, edit: bool = False) -> None:
    text = shown_text(params, "text")
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG" if edit else "Bad Request: message is too long")


def check_edited_text(params: Params) -> None:
    check_text(params, edit=True)


def check_caption(params: Params) -> None:
    if utf16_len(shown_text(params, "caption")) > CAPTION_LIMIT:
        raise ApiError(400, "Bad Request: message caption is too long")


def check_keyboard(params: Params) -> None:
    """Inline keyboards: each button has a label and one action; callback_data is 1-64 bytes; at most 8 buttons in
    a row and 100 in all (tginfo/Telegram-Limits#228; Telegram answers "reply markup is too long")."""
    markup: Any = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return
    rows = markup["inline_keyboard"]
    if any(len(row) > ROW_BUTTONS for row in rows) or sum(len(row) for row in rows) > KEYBOARD_BUTTONS:
        raise ApiError(400, "Bad Request: reply markup is too long")
    for row in rows:
        for button in row:
            if not str(button.get("text") or "").strip():
                raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
            actions = [k for k in ("callback_data", "url", "switch_inline_query", "login_url", "web_app", "pay",
                                   "copy_text", "callback_game", "switch_inline_query_current_chat",
                                   "switch_inline_query_chosen_chat") if k in button]  # fmt: skip
            if len(actions) != 1:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                                    "in the inline keyboard")  # fmt: skip
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def check_toast(params: Params) -> None:
    if utf16_len(str(params.get("text") or "")) > TOAST_LIMIT:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")


def check_commands(params: Params) -> None:
    commands = list(params.get("commands") or [])
    if len(commands) > 100:
        raise ApiError(400, "Bad Request: too many commands")
    for command in commands:
        if not COMMAND_NAME.match(str(command.get("command") or "")):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise ApiError(400, "Bad Request: command description must be 1-256 characters")
