"""Times in words people read at a glance (directory.scheduling.wording), in English: time
ranges on the 12- and 24-hour clocks, CLDR's zone names, days, whole schedules summarised,
moments, a visitor in another zone, and the listing and search pages a US visitor reads.
The Spanish wording is in tests/test_wording_spanish.py."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.scheduling import clock, zone_names
from directory.scheduling import wording as w
from tests.wording_helpers import NOW, S, T


@pytest.mark.parametrize(
    ("start", "end", "twelve", "twenty_four"),
    [
        (T(21), T(22), "9–10 pm", "21:00–22:00"),
        (T(7), None, "7 am", "07:00"),
        (T(7, 30), T(8, 30), "7:30–8:30 am", "07:30–08:30"),
        (T(11), T(13), "11 am–1 pm", "11:00–13:00"),
        (T(11), T(12), "11 am–noon", "11:00–12:00"),
        (T(12), T(13), "noon–1 pm", "12:00–13:00"),
        (T(23), T(0), "11 pm–midnight", "23:00–00:00"),
        (T(0, 15), T(1), "12:15–1 am", "00:15–01:00"),
        (T(12, 30), T(13, 30), "12:30–1:30 pm", "12:30–13:30"),
    ],
)
def test_time_ranges(start, end, twelve, twenty_four):
    assert w.time_range(start, end, clock.US_CLOCK) == twelve
    assert w.time_range(start, end, clock.DAY_FIRST_24H) == twenty_four


@given(st.times(), st.times())
def test_every_12_hour_range_says_which_half_of_the_day(start, end):
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    text = w.time_range(start, end, clock.US_CLOCK)
    assert text.endswith(("am", "pm", "noon", "midnight"))
    assert ":00" not in text
    assert "/" not in text


# English zone names are CLDR's (Babel, en_US), with CLDR's capitals ("Central Time"); they
# replaced a hand-written table ("Central time", "Arizona time", "UK time").
@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("America/Chicago", "Central Time"),
        ("America/New_York", "Eastern Time"),
        ("America/Denver", "Mountain Time"),
        ("America/Los_Angeles", "Pacific Time"),
        ("America/Anchorage", "Alaska Time"),
        ("America/Detroit", "Eastern Time"),
        ("US/Central", "Central Time"),
        # Zones that keep one clock all year get CLDR's standard name, not the generic one
        # their neighbours share ("Mountain Time" would claim Arizona's summer change).
        ("America/Phoenix", "Mountain Standard Time"),
        ("Pacific/Honolulu", "Hawaii Time"),  # CLDR's own metazone since Adak keeps DST
        ("America/Adak", "Hawaii-Aleutian Time"),
        ("America/Puerto_Rico", "Atlantic Standard Time"),
        ("Europe/London", "British Time"),
        ("Europe/Dublin", "Irish Time"),
        ("Europe/Berlin", "Central European Time"),
        ("Pacific/Auckland", "New Zealand Time"),
        ("Asia/Kolkata", "India Standard Time"),
        # Every zone with a CLDR name takes it, not only the ones a table listed.
        ("America/Mexico_City", "Central Standard Time"),
        ("America/Argentina/Buenos_Aires", "Argentina Standard Time"),
        # A name that is also the zone's location is still CLDR's name (Babel's fallback for
        # a zone without one is the location, "Venezuela Time" too).
        ("America/Caracas", "Venezuela Time"),
        ("Asia/Jerusalem", "Israel Time"),
        # The time scale, not CLDR's "Coordinated Universal Time".
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Etc/GMT", "UTC"),
    ],
)
def test_zone_names_people_know(zone, name):
    assert zone_names.zone_name(zone) == name
    assert zone_names.zone_name(zone, clock.US_CLOCK) == name
    assert zone_names.zone_name(zone, clock.UK_CLOCK) == name  # en_GB names these zones alike


@pytest.mark.parametrize("zone", ["Asia/Amman", "Asia/Damascus", "Pacific/Bougainville"])
def test_a_zone_cldr_has_no_name_for_is_named_after_its_city(zone):
    """CLDR gives these zones no metazone: the reader sees the city in CLDR's English pattern
    "{0} Time" ("Amman Time"), in CLDR's capitals like every other name."""
    city = zone.rsplit("/", 1)[1]
    assert zone_names.zone_name(zone, clock.US_CLOCK) == f"{city} Time"


def test_zone_names_are_looked_up_once():
    zone_names.zone_name("America/Chicago", clock.US_CLOCK)
    before = zone_names._zone_name.cache_info().hits
    assert zone_names.zone_name("America/Chicago", clock.US_CLOCK) == "Central Time"
    assert zone_names._zone_name.cache_info().hits == before + 1


@given(st.sampled_from(sorted(__import__("zoneinfo").available_timezones())))
def test_no_zone_name_is_an_iana_id(zone):
    assert "/" not in zone_names.zone_name(zone)
    assert "_" not in zone_names.zone_name(zone)


@pytest.mark.parametrize(
    ("days", "phrase"),
    [
        ({0, 1, 2, 3, 4, 5, 6}, "Every day"),
        ({1, 2, 3, 4, 5}, "Mon–Fri"),
        ({2}, "Every Tuesday"),
        ({2, 4}, "Tue, Thu"),
        ({6, 0}, "Sat, Sun"),
        ({1, 2, 3, 5}, "Mon–Wed, Fri"),
        ({5, 6, 0}, "Fri–Sun"),
    ],
)
def test_days(days, phrase):
    assert w.days_phrase(days) == phrase


def test_a_daily_meeting_is_one_line():
    daily = [S(day, T(21), T(22)) for day in range(7)]
    assert w.summarise(daily) == ["Every day, 9–10 pm"]


def test_weekday_mornings_and_a_monthly_meeting():
    schedules = [S(day, T(7)) for day in (1, 2, 3, 4, 5)]
    schedules.append(S(6, T(10), T(11, 30), kind="monthly", week_of_month=1))
    schedules.append(S(5, T(19), T(20), kind="monthly", week_of_month=-1))
    schedules.append(
        S(2, T(18), kind="interval", interval_weeks=2, anchor_date=dt.date(2026, 1, 6))
    )
    assert w.summarise(schedules) == [
        "Mon–Fri, 7 am",
        "Every 2 weeks on Tuesday, 6 pm",
        "Last Friday of the month, 7–8 pm",
        "First Saturday of the month, 10–11:30 am",
    ]


def test_meetings_at_different_hours_stay_apart():
    schedules = [S(2, T(19), T(20)), S(4, T(19), T(20)), S(6, T(10), T(11))]
    assert w.summarise(schedules, clock.DAY_FIRST_24H) == [
        "Tue, Thu, 19:00–20:00",
        "Every Saturday, 10:00–11:00",
    ]


def test_the_visitors_zone_with_the_local_time_in_brackets_only_when_clocks_differ():
    chicago = [S(2, T(19), T(20), "America/Chicago"), S(4, T(19), T(20), "America/Chicago")]
    lines = w.summarise_for_visitor(chicago, NOW, "America/New_York")
    assert lines == [w.Line("Tue, Thu, 8–9 pm", "7–8 pm Central Time")]
    same = w.summarise_for_visitor(chicago, NOW, "America/Winnipeg")
    assert same == [w.Line("Tue, Thu, 7–8 pm")]


def test_a_late_meeting_moves_to_the_next_day_for_a_visitor_further_east():
    pacific = [S(1, T(23), T(23, 59), "America/Los_Angeles")]
    (line,) = w.summarise_for_visitor(pacific, NOW, "America/New_York")
    assert line.text == "Every Tuesday, 2–2:59 am"
    assert line.local == "11–11:59 pm Pacific Time, the day before"


def test_monthly_meetings_keep_their_own_words_and_zone_when_clocks_differ():
    first_saturday = [S(6, T(10), None, "Europe/London", kind="monthly", week_of_month=1)]
    (line,) = w.summarise_for_visitor(first_saturday, NOW, "America/New_York")
    assert line == w.Line("First Saturday of the month, 10 am British Time")


def test_a_moment_in_each_clock():
    value = dt.datetime(2026, 12, 8, 19, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert w.moment(value, "America/Chicago", clock.US_CLOCK) == "Tuesday, Dec 8, 7:30 pm"
    assert w.moment(value, "Europe/London", clock.UK_CLOCK) == "Wednesday 9 Dec, 1:30 am"
    assert w.moment(value, "Europe/Berlin", clock.DAY_FIRST_24H) == "Wednesday 9 Dec, 02:30"
    assert w.local_time_note(value, "America/Chicago", "America/New_York", clock.US_CLOCK) == (
        "7:30 pm Central Time"
    )
    assert w.local_time_note(value, "America/Chicago", "America/Chicago", clock.US_CLOCK) == ""


@pytest.mark.django_db
def test_a_listing_page_for_a_us_visitor_reads_at_a_glance(client):
    import re

    import time_machine

    from tests import factories as f

    listing = f.listing(name="Night Owls")
    for day in range(7):
        f.schedule(
            listing, weekday=day, start_time=T(21), end_time=T(22), timezone="America/Chicago"
        )
    with time_machine.travel(dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC), tick=False):
        html = client.get(
            listing.get_absolute_url() + "?tz=America/New_York",
            HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
        ).content.decode()
    main = html.split("<main", 1)[1]
    visible = re.sub(r"<[^>]+>", " ", main)
    assert "Every day, 10–11 pm" in visible and "(9–10 pm Central Time)" in visible
    assert visible.count("Every") == 1, "a daily meeting is one line"
    assert "Tuesday, Dec 1, 10 pm" in visible and "Eastern Time" in visible
    assert not re.search(r"\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b", visible), "no IANA id in the text"
    assert not re.search(r"\b\d{2}:\d{2}\b", visible), "no 24-hour times for a US visitor"


@pytest.mark.django_db
def test_find_results_for_a_us_visitor_read_at_a_glance(client):
    import re

    import time_machine

    from tests import factories as f

    online = f.listing(name="Night Owls Online", attendance="online")
    for day in range(7):
        f.schedule(online, weekday=day, start_time=T(21), end_time=T(22), timezone="Europe/London")
    with time_machine.travel(dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC), tick=False):
        html = client.get(
            "/find/?tz=America/Chicago", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
        ).content.decode()
        handout = client.get(
            "/find/print/?tz=America/Chicago", HTTP_ACCEPT_LANGUAGE="en-US"
        ).content.decode()
    results = html.split('id="results"', 1)[1].split('id="filters"', 1)[0]
    visible = re.sub(r"<[^>]+>", " ", results)
    assert "Night Owls Online" in visible
    assert "Tuesday, Dec 1, 3 pm" in visible and "(9 pm British Time)" in visible
    assert "Times are Central Time" in visible
    assert not re.search(r"\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b", visible), "no IANA id in the text"
    assert not re.search(r"\b\d{2}:\d{2}\b", visible), "no 24-hour times for a US visitor"
    # The handout gives each meeting's own time, in words, a daily meeting on one line.
    printed = re.sub(r"<[^>]+>", " ", handout.split("<tbody>", 1)[1])
    assert "Every day, 9–10 pm British Time" in printed and printed.count("Every") == 1


def test_the_hour_between_two_zones_daylight_saving_changes():
    """At 6:30 UTC on 1 November 2026 New York has left daylight time and Chicago not yet: the
    clocks agree for that hour, but not at the evening's meeting."""
    chicago = [S(0, T(19), T(20), "America/Chicago")]
    between = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    assert w.summarise_for_visitor(chicago, between, "America/New_York") == [
        w.Line("Every Sunday, 8–9 pm", "7–8 pm Central Time")
    ]
