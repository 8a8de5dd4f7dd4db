"""Core replies as Telegram messages: HTML text and inline keyboards."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.replies import Button, TopicCard

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# A fan-out sends the same few hundred cards (plan day x language) to everyone; PTB's objects are immutable, so
# each card and keyboard is built once.
@lru_cache(maxsize=1024)
def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    # Telegram allows 64 bytes of callback data; our actions are short ("done:140").
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action) for b in buttons]])


@lru_cache(maxsize=1024)
def card_html(card: TopicCard) -> str:
    parts = [f"<b>{escape(card.heading)}</b>", f"<b>{escape(card.title)}</b>"]
    for section in card.sections:
        parts.append("")
        parts.append(f"<b>{escape(section.label)}</b>")
        parts.extend(f"• {escape(line)}" for line in section.lines)
    if card.footer:
        parts += ["", f"<i>{escape(card.footer)}</i>"]
    return clip("\n".join(parts), TEXT_LIMIT)


def text_html(text: str) -> str:
    return clip(escape(text, quote=False), TEXT_LIMIT)
