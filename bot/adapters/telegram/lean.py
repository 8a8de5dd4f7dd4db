"""A text message sent without parsing the sent Message back: the one place that uses python-telegram-bot's private
`_post` and `_merge_api_rl_kwargs`.

PTB's typed `send_message` turns every answer into a `Message` (its chat, sender, entities and keyboard as objects):
~77 µs of CPU per push measured here, a quarter of a whole send, where a push needs only the message id; and it
turns the same keyboard into a dict for every chat. `ExtBot.do_api_request` would return the raw answer publicly, but
warns on every call that `send_message` exists. The request still goes through the bot's rate limiter (and so the
on-the-wire hook) and its request object, and Bot API errors raise the same `telegram.error` types. Pinned with
python-telegram-bot 22 (pyproject.toml); tests/adapters/test_telegram_lean.py is the canary.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import ExtBot

from bot.adapters.telegram.format import keyboard
from bot.core.ports import OnWire
from bot.core.replies import Button


@lru_cache(maxsize=1024)
def keyboard_object(buttons: tuple[Button, ...]) -> dict[str, Any] | None:
    """The inline keyboard as the object PTB would send, once per set of buttons (cards share them); never
    changed once made, as every send of those buttons shares it."""
    markup = keyboard(buttons)
    return None if markup is None else markup.to_dict()


async def send_html(
    bot: ExtBot[Any],
    chat_id: int,
    text: str,
    buttons: tuple[Button, ...],
    *,
    paid: bool,
    on_wire: OnWire | None,
) -> str:
    """sendMessage with HTML text (and an inline keyboard); the sent message's id."""
    data: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML.value}
    if (markup := keyboard_object(buttons)) is not None:
        data["reply_markup"] = markup
    if paid:
        data["allow_paid_broadcast"] = True
    answer = await bot._post("sendMessage", data, api_kwargs=bot._merge_api_rl_kwargs(None, on_wire))
    return str(answer["message_id"])
