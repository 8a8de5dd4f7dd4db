"""Cutting plain text and trimming cards to a platform's limit, measured as the platform measures."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.fitting import clip, fit_card, utf16_len
from bot.core.replies import Section, TopicCard


def card(points: int = 5, point: str = "p" * 300, footer: str = "✅ Done so far (1): Ada") -> TopicCard:
    sections = (
        Section("What to learn", tuple(f"{n}. {point}" for n in range(points))),
        Section("Practice", ("x" * 600,)),
        Section("Resources", tuple(f"Book {n} — https://example.com/{'r' * 150}" for n in range(6))),
    )
    return TopicCard(12, "📅 Day 12/140 · Week 2: Objects", "📘 Descriptors", sections, footer)


def test_a_card_that_fits_is_kept_whole() -> None:
    short = card(points=2, point="short")
    assert fit_card(short, 4096, utf16_len) is short


def test_a_long_card_loses_the_end_of_its_sections_not_its_heading_title_or_footer() -> None:
    long = card()
    assert utf16_len(long.plain_text()) > 3000
    fitted = fit_card(long, 3000, utf16_len)
    assert utf16_len(fitted.plain_text()) <= 3000
    assert (fitted.heading, fitted.title, fitted.footer) == (long.heading, long.title, long.footer)
    assert fitted.sections[0] == long.sections[0]  # what to learn comes first and stays whole
    last = fitted.sections[-1].lines[-1]
    assert last.endswith("…") and len(fitted.sections) <= len(long.sections)


def test_a_footer_listing_many_names_leaves_room_for_the_day() -> None:
    crowded = card(footer="✅ Done so far (30): " + ", ".join("N" * 60 for _ in range(80)))
    fitted = fit_card(crowded, 4096, utf16_len)
    assert utf16_len(fitted.plain_text()) <= 4096
    assert utf16_len(fitted.footer) <= 1024 and fitted.footer.endswith("…")
    assert fitted.sections and fitted.sections[0].lines


@given(st.text(max_size=60), st.integers(0, 40))
def test_clip_never_exceeds_its_limit_in_utf16_units(text: str, limit: int) -> None:
    clipped = clip(text, limit, utf16_len)
    assert utf16_len(clipped) <= max(limit, 0)
    assert clipped == text or clipped.endswith("…") or clipped == ""


def test_an_emoji_counts_two_and_is_never_split() -> None:
    assert utf16_len("😀a") == 3
    assert clip("😀😀😀", 4, utf16_len) == "😀…"
