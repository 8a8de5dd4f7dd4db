"""Zones by name: offsets people type keep their name and behave as fixed-offset zones."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.parsing import parse_zone, zone_choices
from bot.core.zones import zone_label, zone_named


def test_offsets_in_whole_and_part_hours_are_read_and_named_as_typed() -> None:
    typed = ["UTC+8", "utc+05:30", "GMT+5:45", "+0530", "UTC-3:30", "UTC+0", "UTC-12", "UTC+14"]
    assert [parse_zone(t) for t in typed] == ["UTC+8", "UTC+5:30", "UTC+5:45", "UTC+5:30", "UTC-3:30", "UTC",
                                              "UTC-12", "UTC+14"]  # fmt: skip
    assert [parse_zone(t) for t in ("UTC+5:31", "UTC+15", "UTC-13", "UTC+14:30", "UTC+")] == [None] * 5


def test_an_offset_zone_is_that_far_from_utc_all_year() -> None:
    for name, minutes in (("UTC+5:30", 330), ("UTC+5:45", 345), ("UTC-3:30", -210), ("UTC+8", 480)):
        zone = zone_named(name)
        for month in (1, 7):
            offset = datetime(2026, month, 1, tzinfo=UTC).astimezone(zone).utcoffset()
            assert offset is not None and offset.total_seconds() == minutes * 60, name


def test_older_etc_names_are_shown_the_way_people_write_offsets() -> None:
    assert [zone_label(n) for n in ("Etc/GMT-8", "Etc/GMT+5", "Asia/Tokyo", "UTC+5:30")] == [
        "UTC+8", "UTC-5", "Asia/Tokyo", "UTC+5:30"]  # fmt: skip
    assert zone_choices("utc+5:30") == ["UTC+5:30"]
