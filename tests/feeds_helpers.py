"""Factories and checks shared by the feed tests (Meeting Guide, HSDS, iCalendar)."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo

from directory.models import Listing, Schedule
from tests import factories

ADDRESS_FIELDS = ("formatted_address", "address", "city", "state", "postal_code", "country")
DAY_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
UPDATED_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def coded_feature(code: str, category: str = "format", **kw):
    kw.setdefault("name", f"Type {code}")
    kw.setdefault("slug", f"type-{code.lower()}")
    return factories.feature(category, code=code, **kw)


def weekly_meeting(*, days=(2,), start=dt.time(19), end=dt.time(20), tz="America/Chicago", **kw):
    """A published listing meeting every week on ``days`` (0 = Sunday)."""
    listing = factories.listing(**kw)
    for day in days:
        factories.schedule(listing, weekday=day, start_time=start, end_time=end, timezone=tz)
    return listing


def monthly_meeting(*, weekday=6, position=1, **kw):
    listing = factories.listing(**kw)
    factories.schedule(listing, kind=Schedule.Kind.MONTHLY, weekday=weekday, week_of_month=position)
    return listing


def interval_meeting(*, anchor=dt.date(2025, 1, 7), weeks=2, **kw):
    listing = factories.listing(**kw)
    factories.schedule(
        listing,
        kind=Schedule.Kind.INTERVAL,
        weekday=(anchor.weekday() + 1) % 7,
        interval_weeks=weeks,
        anchor_date=anchor,
    )
    return listing


def online_meeting(**kw):
    kw.setdefault("attendance", Listing.Attendance.ONLINE)
    kw.setdefault("conference_phone", "+1 555 0100,,123#")
    return weekly_meeting(**kw)


def known_types() -> set[str]:
    with open("fixtures/reference/meeting-guide/types.json", encoding="utf-8") as handle:
        return set(json.load(handle))


def assert_meeting_guide_row(row: dict) -> None:
    """The spec's rules for one meeting object (FORMAT.md)."""
    assert isinstance(row["name"], str) and 0 < len(row["name"]) <= 255
    assert isinstance(row["slug"], str | int) and 0 < len(str(row["slug"])) <= 64
    assert re.fullmatch(r"[A-Za-z0-9_-]+", str(row["slug"]))
    # One day per record (clients fail on lists); none for a meeting by appointment.
    if "day" in row:
        assert isinstance(row["day"], int) and 0 <= row["day"] <= 6
        assert DAY_RE.match(row["time"])
        if "end_time" in row:
            assert DAY_RE.match(row["end_time"])
        assert row["timezone"] in zoneinfo.available_timezones()
    else:
        assert "time" not in row and "end_time" not in row
    # Every record has an address field: clients drop one with none.
    assert any(row.get(key) for key in ADDRESS_FIELDS), row
    assert set(row["types"]) <= known_types()
    assert "ONL" not in row["types"]
    assert row["approximate"] in {"yes", "no"}
    assert UPDATED_RE.match(row["updated"])
    assert row["attendance_option"] in {"in_person", "hybrid", "online", "inactive"}
    if row["attendance_option"] in {"online", "hybrid"}:
        assert row.get("conference_url") or row.get("conference_phone")
    if row.get("conference_phone"):
        assert re.fullmatch(r"[0-9+,*# ()\-.]+", row["conference_phone"])
    if "latitude" in row:
        assert round(row["latitude"], 5) == row["latitude"]
        assert round(row["longitude"], 5) == row["longitude"]
    assert row["url"].startswith("http")
    assert row["feedback_url"].startswith("http")
