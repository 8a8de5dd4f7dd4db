"""Message catalogs: English source strings, translated from gettext .po files read with Babel at start."""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "studybot"
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"


class Messages:
    """The catalog of one language; `_` and `ngettext` are the names Babel's extractor looks for."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def _(self, message: str, /, **values: object) -> str:
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        return self._translations.ngettext(singular, plural, n).format(n=n, **values)


def _load(language: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def messages(language: str) -> Messages:
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return Messages(language, _load(language))


def language_from_hint(hint: str | None) -> str:
    """Map a platform's locale hint ("zh-hans", "zh_CN", "en-US") to a language we speak."""
    if not hint:
        return DEFAULT_LANGUAGE
    base = hint.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE
