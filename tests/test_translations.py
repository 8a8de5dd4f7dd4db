"""Every message the bot can say has a Chinese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.core.i18n import LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


# The dashboard's templates call the same `_` and `ngettext` (bot/web/dashboard/templates).
TEMPLATES = ROOT / "bot" / "web" / "dashboard" / "templates"


def source_messages() -> set[str]:
    found: set[str] = set()
    python = [("**.py", "python")]
    templates = [("**.html", "jinja2.ext:babel_extract")]
    sources = [(ROOT / "bot", python), (ROOT / "scheduler", python), (TEMPLATES, templates)]
    for folder, methods in sources:
        for _file, _line, message, _comments, _context in extract_from_dir(folder, methods, keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_the_templates_messages_are_found() -> None:
    # A template whose messages were not extracted would go untranslated unnoticed.
    assert "Your data" in source_messages()


def test_every_message_has_a_chinese_translation() -> None:
    with (LOCALES_DIR / "zh" / "LC_MESSAGES" / "studybot.po").open("rb") as handle:
        catalog = read_po(handle)
    translated: dict[str, str] = {}
    for entry in catalog:
        if not entry.id:
            continue
        key = str(entry.id[0] if isinstance(entry.id, tuple) else entry.id)
        text = str(entry.string[0] if isinstance(entry.string, tuple) else entry.string)
        assert "fuzzy" not in entry.flags, key
        translated[key] = text
    missing = sorted(m for m in source_messages() if not translated.get(m))
    assert missing == []
    for key, text in translated.items():
        assert set(re.findall(r"\{(\w+)\}", key)) == set(re.findall(r"\{(\w+)\}", text)), key
    # A Chinese entry that copies the English one shows English to a Chinese reader; only one with no words
    # (an emoji and a placeholder) may stay as it is.
    copied = sorted(key for key, text in translated.items() if text == key and has_words(key))
    assert copied == []


def has_words(message: str) -> bool:
    return re.search(r"[A-Za-z]", re.sub(r"\{\w*\}", "", message)) is not None


def test_a_copied_entry_is_caught_but_a_placeholder_with_an_emoji_is_not() -> None:
    assert has_words("Progress {done}/{total}") and not has_words("🎯 {goal}")
