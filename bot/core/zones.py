"""Time zones by name: IANA names, and fixed UTC offsets ('UTC+8', 'UTC+5:30') for people who think in offsets.

IANA's own fixed-offset zones (Etc/GMT-8) cover whole hours only and read backwards, so an offset is kept under
the name people type and shown back the same way. It is still a ZoneInfo (built from a one-rule TZif file), so
everything that takes a zone takes it.
"""

from __future__ import annotations

import io
import re
import struct
from functools import lru_cache
from zoneinfo import ZoneInfo

_NAME = re.compile(r"^UTC([+-])([0-9]{1,2})(?::([0-9]{2}))?$")
_ETC = re.compile(r"^Etc/GMT([+-])([0-9]{1,2})$")
# The offsets in use anywhere: -12:00 .. +14:00, in whole hours, half hours (India) or 45 minutes (Nepal).
MIN_OFFSET, MAX_OFFSET = -12 * 60, 14 * 60
PART_HOURS = (0, 30, 45)


def offset_name(minutes: int) -> str:
    """330 -> 'UTC+5:30', 480 -> 'UTC+8', -210 -> 'UTC-3:30', 0 -> 'UTC'."""
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def valid_offset(minutes: int) -> bool:
    return MIN_OFFSET <= minutes <= MAX_OFFSET and abs(minutes) % 60 in PART_HOURS


def offset_of(name: str) -> int | None:
    """The offset in minutes of a name made by `offset_name`; None for any other name."""
    match = _NAME.match(name)
    if match is None:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    return minutes if match.group(1) == "+" else -minutes


def zone_label(name: str) -> str:
    """How a stored zone is shown: IANA's inverted 'Etc/GMT-8' (kept by older versions) as 'UTC+8'."""
    match = _ETC.match(name)
    if match is None:
        return name
    hours = int(match.group(2))
    return offset_name(hours * 60 if match.group(1) == "-" else -hours * 60)


def _fixed(minutes: int, key: str) -> ZoneInfo:
    """A ZoneInfo whose only rule is `minutes` east of UTC: a TZif v2 file with no transitions (RFC 8536)."""
    hours, rest = divmod(abs(minutes), 60)
    east = minutes >= 0
    abbreviation = f"{'+' if east else '-'}{hours:02d}{rest:02d}"
    # POSIX TZ strings count west of UTC as positive: UTC+5:30 is "<+0530>-5:30".
    rule = f"<{abbreviation}>{'-' if east else ''}{hours}:{rest:02d}"
    chars = abbreviation.encode() + b"\0"
    block = b"TZif2" + bytes(15) + struct.pack(">6l", 0, 0, 0, 0, 1, len(chars))
    block += struct.pack(">lBB", minutes * 60, 0, 0) + chars
    return ZoneInfo.from_file(io.BytesIO(block + block + f"\n{rule}\n".encode()), key=key)


@lru_cache(maxsize=1024)
def zone_named(name: str) -> ZoneInfo:
    """The zone a subscription names. Cached: ZoneInfo keeps its own cache, but its constructor still costs more
    than a pass's per-push arithmetic."""
    minutes = offset_of(name)
    if minutes is not None and valid_offset(minutes):
        return _fixed(minutes, name)
    return ZoneInfo(name)
