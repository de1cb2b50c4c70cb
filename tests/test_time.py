"""Time: "happening now", "starting within the hour", days and next occurrences, across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from directory import scheduling as schedules
from directory.models import Listing, Schedule
from directory.search.freshness import search_index
from directory.search.times import TimeMasks
from tests import factories as f
from tests.search_helpers import EVERY_KIND, parse_find_page

UTC = dt.UTC
NY = ZoneInfo("America/New_York")


def at(year, month, day, hour, minute, zone=UTC):
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def names(client, query: str) -> list[str]:
    response = client.get("/find/?" + "&".join(filter(None, [query, EVERY_KIND])))
    assert response.status_code == 200
    return parse_find_page(response.content.decode()).result_names


def index_in_progress(moment: dt.datetime) -> set[str]:
    """Listings the search index says are under way at ``moment``."""
    index = search_index()
    under_way = index.listings_with(TimeMasks(index, moment, "UTC").in_progress())
    ids = index.ids[under_way].tolist()
    return set(Listing.objects.filter(pk__in=ids).values_list("name", flat=True))


# --- plain Python schedule arithmetic ------------------------------------------------------


def make(**kw) -> Schedule:
    kw.setdefault("kind", "weekly")
    kw.setdefault("start_time", dt.time(19))
    kw.setdefault("end_time", dt.time(20))
    kw.setdefault("timezone", "America/New_York")
    return Schedule(**kw)


def test_descriptions_are_plain_words():
    assert schedules.describe(make(weekday=2)) == "Every Tuesday 19:00–20:00"
    assert (
        schedules.describe(
            make(kind="monthly", weekday=6, week_of_month=1, start_time=dt.time(10), end_time=None)
        )
        == "First Saturday of the month 10:00"
    )
    assert schedules.describe(make(kind="monthly", weekday=5, week_of_month=-1)).startswith(
        "Last Friday of the month"
    )
    assert schedules.describe(
        make(kind="interval", weekday=2, interval_weeks=2, anchor_date=dt.date(2026, 11, 10))
    ).startswith("Every 2 weeks on Tuesday")


def test_monthly_by_position_next_occurrences():
    first_saturday = make(
        kind="monthly", weekday=6, week_of_month=1, start_time=dt.time(10), end_time=dt.time(11)
    )
    starts = [s for s, _ in schedules.occurrences(first_saturday, at(2026, 11, 24, 12, 0))][:3]
    assert [s.date() for s in starts] == [
        dt.date(2026, 12, 5),
        dt.date(2027, 1, 2),
        dt.date(2027, 2, 6),
    ]
    assert starts[0] == dt.datetime(2026, 12, 5, 10, 0, tzinfo=NY)
    last_friday = make(kind="monthly", weekday=5, week_of_month=-1)
    starts = [s.date() for s, _ in schedules.occurrences(last_friday, at(2026, 11, 24, 12, 0))][:3]
    assert starts == [dt.date(2026, 11, 27), dt.date(2026, 12, 25), dt.date(2027, 1, 29)]
    fourth_and_last = make(kind="monthly", weekday=2, week_of_month=4)
    assert next(schedules.occurrences(fourth_and_last, at(2026, 11, 1, 0, 0)))[0].date() == dt.date(
        2026, 11, 24
    )


def test_every_n_weeks_next_occurrences_both_sides_of_the_anchor():
    fortnightly = make(
        kind="interval", weekday=2, interval_weeks=2, anchor_date=dt.date(2026, 11, 10)
    )
    after_meeting = at(2026, 11, 25, 2, 0)  # Tuesday 24th, 21:00 in New York: the 24th is done
    starts = [s.date() for s, _ in schedules.occurrences(fortnightly, after_meeting)][:3]
    assert starts == [dt.date(2026, 12, 8), dt.date(2026, 12, 22), dt.date(2027, 1, 5)]
    before_anchor = [
        s.date() for s, _ in schedules.occurrences(fortnightly, at(2026, 10, 20, 0, 0))
    ][:2]
    assert before_anchor == [dt.date(2026, 10, 27), dt.date(2026, 11, 10)]
    every_three = make(
        kind="interval",
        weekday=0,
        interval_weeks=3,
        anchor_date=dt.date(2026, 11, 1),
        valid_to=dt.date(2026, 12, 31),
    )
    assert [s.date() for s, _ in schedules.occurrences(every_three, at(2026, 11, 2, 2, 0))] == [
        dt.date(2026, 11, 22),
        dt.date(2026, 12, 13),
    ]


def test_wall_clock_time_holds_across_the_dst_change():
    sunday_nine = make(weekday=0, start_time=dt.time(9), end_time=dt.time(10))
    starts = [s for s, _ in schedules.occurrences(sunday_nine, at(2026, 10, 24, 0, 0))][:2]
    # US daylight saving ends on 1 November 2026: 09:00 is 13:00 UTC before, 14:00 UTC after.
    assert [s.astimezone(UTC).hour for s in starts] == [13, 14]


# --- "happening now" and friends in SQL and on the page -----------------------------------


@pytest.mark.django_db
def test_happening_now_and_starting_soon_at_frozen_instants(client):
    chicago = f.listing(name="Chicago Tuesday")
    f.schedule(
        chicago, weekday=2, start_time=dt.time(19), end_time=dt.time(20), timezone="America/Chicago"
    )
    # 19:30 in Chicago (UTC-6 in November) on Tuesday 24 November 2026.
    with time_machine.travel(at(2026, 11, 25, 1, 30), tick=False):
        assert names(client, "when=now") == ["Chicago Tuesday"]
        assert names(client, "when=soon") == []
    with time_machine.travel(at(2026, 11, 25, 0, 15), tick=False):  # 18:15: starts in 45 min
        assert names(client, "when=now") == []
        assert names(client, "when=soon") == ["Chicago Tuesday"]
    with time_machine.travel(at(2026, 11, 25, 2, 5), tick=False):  # 20:05: over
        assert names(client, "when=now") == []
        assert names(client, "when=soon") == []
    with time_machine.travel(at(2026, 12, 2, 1, 30), tick=False):  # a week later: again
        assert names(client, "when=now") == ["Chicago Tuesday"]


@pytest.mark.django_db
def test_happening_now_is_right_on_both_sides_of_a_dst_transition(client):
    sunday = f.listing(name="Sunday Morning")
    f.schedule(
        sunday, weekday=0, start_time=dt.time(9), end_time=dt.time(10), timezone="America/New_York"
    )
    # 25 Oct 2026: EDT (UTC-4), 09:30 local = 13:30 UTC.
    with time_machine.travel(at(2026, 10, 25, 13, 30), tick=False):
        assert names(client, "when=now") == ["Sunday Morning"]
    # 1 Nov 2026, after the 02:00 fall-back: EST (UTC-5). 13:30 UTC is 08:30 local: not yet.
    with time_machine.travel(at(2026, 11, 1, 13, 30), tick=False):
        assert names(client, "when=now") == []
        assert names(client, "when=soon") == ["Sunday Morning"]
    with time_machine.travel(at(2026, 11, 1, 14, 30), tick=False):
        assert names(client, "when=now") == ["Sunday Morning"]
    # Spring forward, 8 March 2026: 09:30 EDT is 13:30 UTC again.
    with time_machine.travel(at(2026, 3, 8, 13, 30), tick=False):
        assert names(client, "when=now") == ["Sunday Morning"]


@pytest.mark.django_db
def test_online_meeting_in_another_time_zone_seen_from_london(client):
    online = f.listing(name="LA Online", attendance="online")
    f.schedule(
        online,
        weekday=2,
        start_time=dt.time(19),
        end_time=dt.time(20),
        timezone="America/Los_Angeles",
    )
    # Tuesday 19:15 in Los Angeles (UTC-8) is Wednesday 03:15 in London.
    with time_machine.travel(at(2026, 11, 25, 3, 15), tick=False):
        assert names(client, "when=now&tz=Europe/London") == ["LA Online"]
        assert names(client, "when=today&tz=Europe/London") == ["LA Online"]
        assert names(client, "day=3&tz=Europe/London") == ["LA Online"]  # Wednesday for London
        assert names(client, "day=2&tz=Europe/London") == []
        assert names(client, "time=night&tz=Europe/London") == ["LA Online"]
        assert names(client, "day=2&time=evening&tz=America/Los_Angeles") == ["LA Online"]
        # The page's language and the site's country choose the clock, not the browser's
        # header: a page says the same to everyone who asks for its URL.
        for header in ("en-GB", "de"):
            html = client.get("/find/?tz=Europe/London", HTTP_ACCEPT_LANGUAGE=header).content
            html = html.decode()
            assert "Wednesday, Nov 25, 3 am</time>" in html and "(7 pm Pacific Time)" in html
    # In the week between the EU (25 Oct) and US (1 Nov) changes, London is only 7 hours ahead.
    with time_machine.travel(at(2026, 10, 28, 2, 15), tick=False):
        assert names(client, "when=now&tz=Europe/London") == ["LA Online"]
        assert names(client, "day=3&time=night&tz=Europe/London") == ["LA Online"]


@pytest.mark.django_db
def test_a_meeting_crossing_midnight_utc_is_in_progress():
    late = f.listing(name="Late Night")
    f.schedule(
        late, weekday=2, start_time=dt.time(23, 30), end_time=None, timezone="America/New_York"
    )
    # Tuesday 23:30 New York + default hour: Wednesday 00:15 local is still in the meeting.
    assert index_in_progress(at(2026, 11, 25, 5, 15)) == {"Late Night"}
    assert index_in_progress(at(2026, 11, 25, 5, 45)) == set()


@pytest.mark.django_db
def test_monthly_and_interval_schedules_are_now_only_on_their_dates(client):
    monthly = f.listing(name="First Saturday")
    f.schedule(
        monthly,
        kind="monthly",
        weekday=6,
        week_of_month=1,
        start_time=dt.time(10),
        end_time=dt.time(11),
        timezone="America/New_York",
    )
    fortnight = f.listing(name="Fortnightly Tuesday")
    f.schedule(
        fortnight,
        kind="interval",
        weekday=2,
        interval_weeks=2,
        anchor_date=dt.date(2026, 11, 10),
        start_time=dt.time(19),
        end_time=dt.time(20),
        timezone="America/New_York",
    )
    ended = f.listing(name="Ended")
    f.schedule(
        ended,
        weekday=6,
        start_time=dt.time(10),
        end_time=dt.time(11),
        timezone="America/New_York",
        valid_to=dt.date(2026, 11, 30),
    )
    assert index_in_progress(at(2026, 12, 5, 15, 30)) == {"First Saturday"}  # 10:30 EST, 1st Sat
    assert index_in_progress(at(2026, 12, 12, 15, 30)) == set()  # second Saturday
    assert index_in_progress(at(2026, 11, 25, 0, 30)) == {"Fortnightly Tuesday"}  # 24 Nov 19:30
    assert index_in_progress(at(2026, 12, 2, 0, 30)) == set()  # 1 Dec: the off week
    assert index_in_progress(at(2026, 11, 4, 0, 30)) == set()  # 3 Nov: off week before anchor
    assert index_in_progress(at(2026, 10, 27, 23, 30)) == {"Fortnightly Tuesday"}  # 19:30 EDT
    # The SQL agrees with the Python arithmetic for every hour of six weeks.
    moment = at(2026, 11, 1, 0, 30)
    all_schedules = list(Schedule.objects.select_related("listing"))
    while moment < at(2026, 12, 13, 0, 0):
        expected = {s.listing.name for s in all_schedules if schedules.is_in_progress(s, moment)}
        assert index_in_progress(moment) == expected, moment
        moment += dt.timedelta(minutes=90)


@pytest.mark.django_db
def test_cards_and_detail_show_the_next_occurrence_in_the_visitors_zone(client):
    listing = f.listing(name="Detail Group", attendance="hybrid")
    f.schedule(
        listing,
        kind="monthly",
        weekday=6,
        week_of_month=1,
        start_time=dt.time(10),
        end_time=dt.time(11),
        timezone="America/New_York",
    )
    with time_machine.travel(at(2026, 11, 24, 12, 0), tick=False):
        html = client.get(
            f"/resources/{listing.slug}/?tz=Europe/London", HTTP_ACCEPT_LANGUAGE="en-GB"
        ).content.decode()
    # A monthly meeting keeps its own words and zone; the next one is on the visitor's clock
    # (10 am in New York is 3 pm in London), with the listing's own time beside it.
    assert "First Saturday of the month, 10–11 am Eastern Time" in html
    assert "Saturday, Dec 5, 3 pm</time> British Time" in html
    assert "(10 am Eastern Time)" in html
    assert "America/New_York" not in html.split("<main", 1)[1]
    assert "Join online" in html


# --- occurrences looks at the schedule's weekday alone: the same as reading every day -------


def _occurrences_day_by_day(schedule, after, days=400):
    """What ``occurrences`` gave when it read every day of the window (the reference)."""
    zone = ZoneInfo(schedule.timezone)
    first_day = after.astimezone(zone).date() - dt.timedelta(days=1)
    length = schedules.duration(schedule)
    for offset in range(days + 1):
        day = first_day + dt.timedelta(days=offset)
        if schedules.occurs_on(schedule, day):
            start = schedules.local_start(schedule, day)
            if start + length > after:
                yield start, start + length


_ZONES = ["America/New_York", "America/Denver", "Pacific/Honolulu", "Europe/London", "UTC"]
_DATES = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))


@st.composite
def _schedules(draw):
    kind = draw(st.sampled_from(["weekly", "monthly", "interval"]))
    whole_minutes = st.times().map(lambda t: t.replace(second=0, microsecond=0))
    start = draw(whole_minutes)
    valid_from = draw(st.none() | _DATES)
    valid_to = draw(st.none() | _DATES)
    return make(
        kind=kind,
        weekday=draw(st.integers(0, 6)),
        start_time=start,
        end_time=draw(st.none() | whole_minutes),
        timezone=draw(st.sampled_from(_ZONES)),
        week_of_month=draw(st.sampled_from([1, 2, 3, 4, 5, -1])) if kind == "monthly" else None,
        interval_weeks=draw(st.integers(1, 8)) if kind == "interval" else None,
        anchor_date=draw(_DATES) if kind == "interval" else None,
        valid_from=valid_from,
        valid_to=valid_to,
    )


@settings(max_examples=300, deadline=None)
@given(
    schedule=_schedules(),
    after=st.datetimes(
        min_value=dt.datetime(2025, 1, 1),
        max_value=dt.datetime(2027, 12, 31),
        timezones=st.sampled_from([ZoneInfo(z) for z in _ZONES]),
    ),
    days=st.sampled_from([0, 1, 6, 7, 8, 30, 400]),
)
def test_occurrences_are_those_of_every_day_read_in_turn(schedule, after, days):
    expected = list(_occurrences_day_by_day(schedule, after, days))
    assert list(schedules.occurrences(schedule, after, days=days)) == expected
    assert schedules.next_occurrence(schedule, after) == next(
        iter(_occurrences_day_by_day(schedule, after)), None
    )
