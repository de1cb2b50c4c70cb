"""iCalendar output: valid for two parsers, recurring as directory.schedules says."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import ics
import pytest
import recurring_ical_events
from django.urls import reverse

from directory.feeds.ical import build_calendar
from directory.models import Listing, Schedule
from directory.scheduling import occurrences
from tests import factories
from tests.feeds_helpers import interval_meeting, monthly_meeting, online_meeting, weekly_meeting

pytestmark = pytest.mark.django_db

AFTER = dt.datetime.now(dt.UTC)
WINDOW = dt.timedelta(days=390)  # a year and more: crosses both daylight-saving changes


def loaded(*listings):
    return list(
        Listing.objects.filter(pk__in=[r.pk for r in listings]).with_card_data().order_by("pk")
    )


def expanded_starts(body: bytes) -> list[dt.datetime]:
    calendar = icalendar.Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(AFTER, AFTER + WINDOW)
    return sorted(e["DTSTART"].dt for e in events if e["DTSTART"].dt >= AFTER)


def expected_starts(schedule: Schedule) -> list[dt.datetime]:
    return [start for start, _ in occurrences(schedule, AFTER) if AFTER <= start < AFTER + WINDOW]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: weekly_meeting(days=[2]), id="weekly"),
        pytest.param(lambda: monthly_meeting(weekday=6, position=1), id="first-saturday"),
        pytest.param(lambda: monthly_meeting(weekday=5, position=-1), id="last-friday"),
        pytest.param(lambda: interval_meeting(anchor=dt.date(2025, 1, 7), weeks=3), id="3-weeks"),
    ],
)
def test_occurrences_match_the_schedule_arithmetic(make):
    listing = make()
    schedule = listing.schedules.get()

    body = build_calendar(loaded(listing), name="Test")

    got = expanded_starts(body)
    want = expected_starts(schedule)
    assert len(want) >= 12
    assert [g.astimezone(dt.UTC) for g in got] == [w.astimezone(dt.UTC) for w in want]
    # Wall-clock time holds across the DST change in March.
    assert {g.astimezone(ZoneInfo("America/Chicago")).time() for g in got} == {dt.time(19)}


def test_rrules_timezones_and_until():
    weekly = weekly_meeting(days=[2])
    factories.schedule(weekly, weekday=4, valid_to=dt.date(2027, 6, 30))
    factories.schedule(weekly, weekday=5, valid_to=dt.date(2020, 1, 1))  # over: no event
    first_sat = monthly_meeting(weekday=6, position=1)
    last_fri = monthly_meeting(weekday=5, position=-1)
    fortnightly = interval_meeting(anchor=dt.date(2025, 1, 7), weeks=2)
    london = weekly_meeting(days=[1], tz="Europe/London")

    body = build_calendar(loaded(weekly, first_sat, last_fri, fortnightly, london), name="All")
    text = body.decode()

    assert "RRULE:FREQ=WEEKLY;BYDAY=TU\r\n" in text
    assert "RRULE:FREQ=MONTHLY;BYDAY=1SA\r\n" in text
    assert "RRULE:FREQ=MONTHLY;BYDAY=-1FR\r\n" in text
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU\r\n" in text
    assert "DTSTART;TZID=America/Chicago:20250107T190000\r\n" in text  # the anchor date
    assert "UNTIL=20270701T000000Z" in text  # 19:00 CDT on 30 June 2027
    calendar = icalendar.Calendar.from_ical(body)
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert zones == {"America/Chicago", "Europe/London"}
    assert len(calendar.walk("VEVENT")) == 6
    assert str(calendar["X-WR-CALNAME"]) == "All"
    # Until means until: the last Thursday is 24 June 2027.
    thursdays = recurring_ical_events.of(calendar).between(
        dt.datetime(2027, 6, 1, tzinfo=dt.UTC), dt.datetime(2027, 9, 1, tzinfo=dt.UTC)
    )
    thursday_starts = [e["DTSTART"].dt for e in thursdays if e["DTSTART"].dt.isoweekday() == 4]
    assert thursday_starts and max(thursday_starts).date() == dt.date(2027, 6, 24)


def test_a_second_independent_parser_reads_it():
    online = online_meeting(name="Night owls", conference_url="https://meet.example.org/owls")
    in_person = weekly_meeting(name="Church hall group")

    body = build_calendar(loaded(online, in_person), name="Two", base_url="https://example.org")

    parsed = ics.Calendar(body.decode())
    events = sorted(parsed.events, key=lambda e: e.name)
    assert [e.name for e in events] == ["Church hall group", "Night owls"]
    hall, owls = events
    assert hall.location == "Community hall, 1 Main Street, Springfield, IL, US"
    assert hall.url == "https://example.org/resources/" + in_person.slug + "/"
    assert owls.url == "https://meet.example.org/owls"
    assert "Join online: https://meet.example.org/owls" in owls.description
    assert "Join by phone: +1 555 0100,,123#" in owls.description
    assert hall.duration == dt.timedelta(hours=1)


def test_listing_calendar_download(client):
    listing = online_meeting(slug="owls", conference_url="https://meet.example.org/owls")

    response = client.get(reverse("directory:listing-ics", args=["owls"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == listing.name
    assert str(event["URL"]) == "https://meet.example.org/owls"
    assert "http://testserver/resources/owls/" in str(event["DESCRIPTION"])
    assert client.get("/resources/nope.ics").status_code == 404
    factories.listing(slug="draft", status="draft")
    assert client.get("/resources/draft.ics").status_code == 404


def test_file_imports_into_a_calendar_as_expected():
    """Read one file as a calendar application would: the next Tuesday at 19:00 local."""
    listing = weekly_meeting(days=[2], name="Tuesday group")
    body = build_calendar(loaded(listing), name="One").decode()
    lines = body.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    event_lines = lines[lines.index("BEGIN:VEVENT") : lines.index("END:VEVENT")]
    assert any(line.startswith("UID:") for line in event_lines)
    assert any(line.startswith("DTSTAMP:") for line in event_lines)
    assert "SUMMARY:Tuesday group" in event_lines
    assert any(line.startswith("DTSTART;TZID=America/Chicago:") for line in event_lines)
    assert all(len(line.encode()) <= 75 for line in lines)
