"""Fitting text into a platform's length limit: cut plain text (never markup), and trim a topic card by section.

A plan day may be longer than one message (a valid plan allows ~4,300 characters of card). The card keeps its
heading, title and footer (the live "done so far" and the buttons' hint), and loses the end of its sections:
whole lines first, then the end of the last line that fits, marked with "…".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.core.replies import Section, TopicCard

Measure = Callable[[str], int]
MORE = "…"
# Heading and title are a line each; a footer may list many names, but leaves the most room to the day itself.
LINE_LIMIT = 256
FOOTER_SHARE = 4


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji outside the BMP counts 2 (a lone surrogate 1).
    Encoded in C: counting in Python took ~1% of a webhook update's CPU."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, limit: int, measure: Measure = len) -> str:
    """`text` if it fits in `limit`, else as much of its start as fits with "…" (plain text: cut before escaping)."""
    if measure(text) <= limit:
        return text
    room = limit - measure(MORE)
    kept: list[str] = []
    used = 0
    for char in text:
        size = measure(char)
        if used + size > room:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + MORE if room > 0 else MORE[: max(limit, 0)]


def fit_card(card: TopicCard, limit: int, measure: Measure = len) -> TopicCard:
    """The card, trimmed by section so that its plain text measures at most `limit`."""
    if measure(card.plain_text()) <= limit:
        return card
    base = replace(card, heading=clip(card.heading, LINE_LIMIT, measure), title=clip(card.title, LINE_LIMIT, measure),
                   footer=clip(card.footer, limit // FOOTER_SHARE, measure), sections=())  # fmt: skip

    def size(sections: tuple[Section, ...]) -> int:
        return measure(replace(base, sections=sections).plain_text())

    kept: tuple[Section, ...] = ()
    for section in card.sections:
        lines: tuple[str, ...] = ()
        for line in section.lines:
            if size((*kept, Section(section.label, (*lines, line)))) <= limit:
                lines += (line,)
                continue
            room = limit - size((*kept, Section(section.label, (*lines, ""))))
            if room > measure(MORE):
                return replace(base, sections=(*kept, Section(section.label, (*lines, clip(line, room, measure)))))
            return _marked(base, (*kept, Section(section.label, lines)) if lines else kept, measure)
        kept += (Section(section.label, lines),)
    return replace(base, sections=kept)  # only the heading, title or footer were cut


def _marked(base: TopicCard, sections: tuple[Section, ...], measure: Measure) -> TopicCard:
    """`sections` with the last line cut short by one character, so that "…" says the rest is missing."""
    if not sections or not sections[-1].lines:
        return replace(base, sections=sections)
    last = sections[-1]
    line = last.lines[-1]
    cut = clip(line, measure(line) - 1, measure) if measure(line) > 1 else MORE
    return replace(base, sections=(*sections[:-1], Section(last.label, (*last.lines[:-1], cut))))
