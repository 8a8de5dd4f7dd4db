"""Core replies as Telegram messages: HTML text and inline keyboards.

Telegram counts a message's length after parsing its HTML, in UTF-16 units (4,096; a caption 1,024), and refuses
markup cut in the middle. So plain text is cut (or a card trimmed by section) first, then escaped and marked up.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.fitting import clip as clip_plain
from bot.core.fitting import fit_card, utf16_len
from bot.core.replies import Button, TopicCard

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
TOAST_LIMIT = 200
# Telegram's inline keyboards: at most 8 buttons in a row.
ROW_LIMIT = 8


def clip(text: str, limit: int) -> str:
    """Plain text cut to `limit` UTF-16 units, as Telegram counts them."""
    return clip_plain(text, limit, utf16_len)


# A fan-out sends the same few hundred cards (plan day x language) to everyone; PTB's objects are immutable, so
# each card and keyboard is built once.
@lru_cache(maxsize=1024)
def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    # Telegram allows 64 bytes of callback data; the core's actions are short ("done:140", "forget:-100…:42").
    rows: dict[int, list[InlineKeyboardButton]] = {}
    for b in buttons:
        rows.setdefault(b.row, []).append(InlineKeyboardButton(b.label, callback_data=b.action))
    return InlineKeyboardMarkup(
        [row[i : i + ROW_LIMIT] for _, row in sorted(rows.items()) for i in range(0, len(row), ROW_LIMIT)]
    )


_SEEN_CARDS: dict[int, tuple[TopicCard, str]] = {}


def card_html(card: TopicCard) -> str:
    """The card as Telegram HTML. A fan-out passes the very same card object for everyone on a plan day, so it is
    looked up by identity first: hashing a card's every line for the value cache was 1.6% of a push's CPU."""
    seen = _SEEN_CARDS.get(id(card))
    if seen is not None and seen[0] is card:
        return seen[1]
    html = _card_html(card)
    if len(_SEEN_CARDS) >= 1024:
        _SEEN_CARDS.clear()
    _SEEN_CARDS[id(card)] = (card, html)  # the card is held, so its id is not reused while it is here
    return html


@lru_cache(maxsize=1024)
def _card_html(card: TopicCard) -> str:
    card = fit_card(card, TEXT_LIMIT, utf16_len)
    parts = [f"<b>{escape(card.heading)}</b>", f"<b>{escape(card.title)}</b>"]
    for section in card.sections:
        parts.append("")
        parts.append(f"<b>{escape(section.label)}</b>")
        parts.extend(f"• {escape(line)}" for line in section.lines)
    if card.footer:
        parts += ["", f"<i>{escape(card.footer)}</i>"]
    return "\n".join(parts)


def text_html(text: str) -> str:
    return escape(clip(text, TEXT_LIMIT), quote=False)
