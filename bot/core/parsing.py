"""Reading what users type: commands, numbers, times of day, time zones and language codes."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from zoneinfo import available_timezones

from bot.core.i18n import LANGUAGES
from bot.core.zones import offset_name, valid_offset

_TIME = re.compile(r"^([0-9]{1,2})[:：.h]([0-9]{2})$")
# A Chinese keyboard types full-width digits and colon (０８：３０); they are read as the ASCII ones, and no other
# script's digits are.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])([0-9]{1,2})(?:[:：]?([0-9]{2}))?$", re.IGNORECASE)
# A word that starts like a time ("8am", "25:99", "7.30pm") is a wrong time, not a wrong zone.
_TIMELIKE = re.compile(r"^[0-9０-９]")


@dataclass(frozen=True)
class CommandText:
    name: str
    args: str


def split_command(text: str) -> CommandText | None:
    """'/done@studybot  great day' -> ('done', 'great day'); None if the text is not a command."""
    text = text.strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return CommandText(name, rest.strip())


def parse_number(text: str, *, digits: int = 6) -> int | None:
    """'12' -> 12; None for anything else. ASCII digits only: str.isdigit() also accepts '²' and '١', which int()
    refuses or reads in ways nobody typing a plan day means."""
    value = text.strip()
    if not 1 <= len(value) <= digits or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def parse_time(text: str) -> time | None:
    """'8:30', '08:30', '20.15' -> a time; None for anything else (25:99, 8, noon)."""
    match = _TIME.match(text.strip().translate(_FULL_WIDTH_DIGITS))
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


@cache
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_zone(text: str) -> str | None:
    """An IANA zone name in any case ('asia/shanghai'), 'UTC', or an offset: 'UTC+8', 'UTC+5:30', '+05:45'.

    An offset comes back in the form people type ('UTC+5:30'), which `bot.core.zones` reads."""
    raw = text.strip()
    if not raw:
        return None
    found = _zones_by_lower().get(raw.lower())
    if found:
        return found
    match = _OFFSET.match(raw)
    if match is None:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    minutes = minutes if match.group(1) == "+" else -minutes
    return offset_name(minutes) if valid_offset(minutes) else None


def looks_like_time(word: str) -> bool:
    """Whether a word that is neither a time nor a zone was meant as a time: it starts with a digit."""
    return bool(_TIMELIKE.match(word.strip()))


def suggest_zones(text: str, limit: int = 3) -> list[str]:
    """Close IANA names for a misspelt zone, so the reply can say 'did you mean Asia/Shanghai?'."""
    lowered = text.strip().lower()
    if not lowered:
        return []
    by_lower = _zones_by_lower()
    # Match the city alone too: people type "shanghai" or "new york".
    cities = {key.rsplit("/", 1)[-1].replace("_", " "): key for key in by_lower}
    close = difflib.get_close_matches(lowered.replace("_", " "), list(cities), n=limit, cutoff=0.75)
    names = [by_lower[cities[c]] for c in close]
    for key in difflib.get_close_matches(lowered, list(by_lower), n=limit, cutoff=0.75):
        if by_lower[key] not in names:
            names.append(by_lower[key])
    return names[:limit]


def parse_language(text: str) -> str | None:
    value = text.strip().lower()
    aliases = {"中文": "zh", "chinese": "zh", "english": "en", "英文": "en", "cn": "zh"}
    value = aliases.get(value, value)
    return value if value in LANGUAGES else None


_REGIONS = ("africa/", "america/", "antarctica/", "arctic/", "asia/", "atlantic/", "australia/", "europe/", "indian/",
            "pacific/")  # fmt: skip


def _offered(lower: str) -> bool:
    # Legacy aliases (PRC, US/Pacific, Etc/GMT-8) only crowd a list people pick from.
    return lower == "utc" or lower.startswith(_REGIONS)


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone a list to pick from offers (the dashboard's search box): UTC and the regions' IANA names."""
    return tuple(sorted(name for lower, name in _zones_by_lower().items() if _offered(lower)))


def zone_choices(prefix: str, limit: int = 25) -> list[str]:
    """IANA names for an autocomplete box: 'asia/sh' or 'shang' -> ['Asia/Shanghai']; '' -> common zones.

    Names that start with the text come first, then cities that do, then names that merely contain it;
    an offset such as 'UTC+8' is offered as typed, since /timezone accepts it.
    """
    typed = prefix.strip()
    if not typed:
        common = ("UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                  "Asia/Seoul", "Asia/Kolkata", "Asia/Dubai", "Europe/London", "Europe/Paris", "Europe/Berlin",
                  "Europe/Moscow", "Africa/Lagos", "Africa/Cairo", "America/New_York", "America/Chicago",
                  "America/Denver", "America/Los_Angeles", "America/Sao_Paulo", "Australia/Sydney",
                  "Pacific/Auckland")  # fmt: skip
        return list(common[:limit])
    if _OFFSET.match(typed) and (offset := parse_zone(typed)) is not None:
        return [offset]
    wanted = typed.lower().replace(" ", "_")
    ranked: list[tuple[int, str]] = []
    for lower, name in _zones_by_lower().items():
        if not _offered(lower):
            continue
        if lower.startswith(wanted):
            ranked.append((0, name))
        elif lower.rsplit("/", 1)[-1].startswith(wanted):
            ranked.append((1, name))
        elif wanted in lower:
            ranked.append((2, name))
    return [name for _, name in sorted(ranked)[:limit]]
