"""Times in words people read at a glance (directory.scheduling.wording), in Spanish (issue
23): CLDR's times, dates, days and zone names for es_US, the catalog's words around them, the
daylight-saving changes between zones, and the page's language choosing the clock. The
English wording is in tests/test_wording_english.py."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.scheduling import clock, zone_names
from directory.scheduling import wording as w
from tests.wording_helpers import NOW, S, T

# Spanish (issue 23). CLDR gives the day and month names, times, dates and zone names (Babel,
# locale es_US: the page's language on a US site); gettext gives the words around them
# ("Todos los martes", "del mes") from the project's catalog.

ES = clock.page_clock("es", "US")
NB = "\u202f"  # CLDR's narrow no-break space between the time and "a.m."/"p.m."
TO = "\u2009–\u2009"  # CLDR's range dash when both ends say "a.m." or "p.m."


@pytest.fixture
def spanish():
    """A Spanish page: its clock, with the project's catalog (locale/es)."""
    from django.utils import translation

    with translation.override("es"):
        yield ES


def test_the_spanish_clock_is_cldrs_for_spanish_in_the_us():
    from babel import Locale

    # CLDR writes es_US times on the 12-hour clock ("h:mm a", "7:30 p.m."), not "19:30".
    assert "h" in Locale.parse("es_US").time_formats["short"].pattern
    assert ES == clock.Clock(twelve_hour=True, month_first=False, language="es", locale="es_US")
    # The same language on a site in Spain would follow CLDR's es_ES: the 24-hour clock.
    assert clock.page_clock("es", "ES").twelve_hour is False
    assert clock.page_clock("es-mx", "US").locale == "es_MX"
    # English is the house style, as before, whatever CLDR says of en_US.
    assert clock.page_clock("en", "US") == clock.US_CLOCK
    assert clock.page_clock("en-us", "US") == clock.US_CLOCK
    assert clock.page_clock("en", "GB") == clock.UK_CLOCK
    assert clock.page_clock("", "US") == clock.US_CLOCK


@pytest.mark.parametrize(
    ("start", "end", "spanish"),
    [
        (T(21), T(22), f"9–10{NB}p.m."),
        (T(7), None, f"7{NB}a.m."),
        (T(7, 30), None, f"7:30{NB}a.m."),
        (T(7, 30), T(8, 30), f"7:30–8:30{NB}a.m."),
        (T(11), T(13), f"11{NB}a.m.{TO}1{NB}p.m."),
        (T(12), T(13), f"12–1{NB}p.m."),
        (T(23), T(0), f"11{NB}p.m.{TO}12{NB}a.m."),
        (T(10), T(11, 30), f"10:00–11:30{NB}a.m."),
    ],
)
def test_spanish_time_ranges_as_cldr_writes_them(start, end, spanish):
    assert w.time_range(start, end, ES) == spanish


def test_spanish_times_of_day_on_each_clock():
    assert w.time_of_day(T(19, 30), ES) == f"7:30{NB}p.m."
    assert w.time_of_day(T(19), ES) == f"7{NB}p.m."
    assert w.time_of_day(T(19, 30), clock.page_clock("es", "ES")) == "19:30"
    assert w.time_range(T(19), T(20), clock.page_clock("es", "ES")) == "19:00–20:00"


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("America/Chicago", "hora central"),
        ("America/New_York", "hora oriental"),
        ("America/Los_Angeles", "hora del Pacífico"),
        ("America/Denver", "hora de las Montañas Rocosas"),
        # Zones that keep one clock all year get CLDR's standard name, not the generic one
        # their neighbours share ("Mountain Time" would claim Arizona's summer change).
        ("America/Phoenix", "hora estándar de las Montañas Rocosas"),
        ("Pacific/Honolulu", "hora de Hawái"),
        ("America/Puerto_Rico", "hora estándar del Atlántico"),
        ("America/Anchorage", "hora de Alaska"),
        ("Europe/London", "hora británica"),
        ("Europe/Berlin", "hora de Europa central"),
        ("UTC", "UTC"),
        ("US/Central", "hora central"),
        ("America/Mexico_City", "hora estándar central"),
        # No CLDR name: the catalog's "%(city)s time" with CLDR's Spanish name of the city.
        ("Asia/Amman", "hora de Ammán"),
    ],
)
def test_spanish_zone_names_from_cldr(zone, name):
    assert zone_names.zone_name(zone, ES) == name


@given(st.sampled_from(sorted(__import__("zoneinfo").available_timezones())))
def test_no_spanish_zone_name_is_an_iana_id(zone):
    assert "/" not in zone_names.zone_name(zone, ES)
    assert "_" not in zone_names.zone_name(zone, ES)


@pytest.mark.parametrize(
    ("days", "phrase"),
    [
        ({1, 2, 3, 4, 5}, "Lun–vie"),
        ({2, 4}, "Mar y jue"),
        ({6, 0}, "Sáb y dom"),
        ({1, 2, 3, 5}, "Lun–mié y vie"),
        ({5, 6, 0}, "Vie–dom"),
    ],
)
def test_spanish_days_in_cldr_abbreviations_and_lists(days, phrase):
    assert w.days_phrase(days, ES) == phrase


def test_a_spanish_moment_and_day():
    value = dt.datetime(2026, 12, 8, 19, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert w.moment(value, "America/Chicago", ES) == f"martes, 8 de dic, 7:30{NB}p.m."
    assert w.moment(value, "Europe/Berlin", ES) == f"miércoles, 9 de dic, 2:30{NB}a.m."
    assert w.day(dt.date(2026, 2, 10), ES) == "10 feb 2026"
    assert w.day(value, ES) == "8 dic 2026"
    assert w.local_time_note(value, "America/Chicago", "America/New_York", ES) == (
        f"7:30{NB}p.m. hora central"
    )
    assert w.local_time_note(value, "America/Chicago", "America/Chicago", ES) == ""


@pytest.mark.parametrize(
    ("now", "next_meeting"),
    [
        # The Saturday before the March change, and the hour of Sunday 8 March when New York
        # has changed (2 am Eastern) and Chicago not yet (2 am Central, an hour later).
        (dt.datetime(2026, 3, 7, 20, 0, tzinfo=dt.UTC), f"domingo, 8 de mar, 8{NB}p.m."),
        (dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC), f"domingo, 8 de mar, 8{NB}p.m."),
        (dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC), f"lunes, 9 de mar, 8{NB}p.m."),
        # The November change (Sunday 1 November), and the hour between the two zones'.
        (dt.datetime(2026, 10, 31, 20, 0, tzinfo=dt.UTC), f"domingo, 1 de nov, 8{NB}p.m."),
        (dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC), f"domingo, 1 de nov, 8{NB}p.m."),
        (dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC), f"lunes, 2 de nov, 8{NB}p.m."),
    ],
)
def test_a_chicago_meeting_seen_from_new_york_across_daylight_saving_changes(now, next_meeting):
    from directory.scheduling import next_start_for_listing

    chicago = [S(0, T(19), T(20), "America/Chicago"), S(1, T(19), T(20), "America/Chicago")]
    lines = w.summarise_for_visitor(chicago, now, "America/New_York", ES)
    assert lines == [w.Line(f"Lun y dom, 8–9{NB}p.m.", f"7–8{NB}p.m. hora central")]
    start = next_start_for_listing(chicago, now)
    assert w.moment(start, "America/New_York", ES) == next_meeting
    assert w.local_time_note(start, "America/Chicago", "America/New_York", ES) == (
        f"7{NB}p.m. hora central"
    )


def test_arizona_differs_from_denver_only_in_summer():
    winter = dt.datetime(2026, 1, 13, 19, 0, tzinfo=ZoneInfo("America/Phoenix"))
    summer = dt.datetime(2026, 7, 14, 19, 0, tzinfo=ZoneInfo("America/Phoenix"))
    assert w.local_time_note(winter, "America/Phoenix", "America/Denver", ES) == ""
    assert w.local_time_note(summer, "America/Phoenix", "America/Denver", ES) == (
        f"7{NB}p.m. hora estándar de las Montañas Rocosas"
    )


def test_english_stays_english_whatever_the_active_language():
    from django.utils import translation

    daily = [S(day, T(21), T(22)) for day in range(7)]
    with translation.override("es"):
        assert w.summarise(daily, clock.US_CLOCK) == ["Every day, 9–10 pm"]
        assert zone_names.zone_name("America/Chicago", clock.US_CLOCK) == "Central Time"
        # Without a clock, the active language's.
        assert zone_names.zone_name("America/Chicago") == "hora central"
    assert zone_names.zone_name("America/Chicago") == "Central Time"


def test_spanish_every_day_and_one_day(spanish):
    daily = [S(day, T(21), T(22)) for day in range(7)]
    assert w.summarise(daily, spanish) == [f"Todos los días, 9–10{NB}p.m."]
    assert w.summarise([S(2, T(19), T(20))], spanish) == [f"Todos los martes, 7–8{NB}p.m."]
    assert w.summarise([S(6, T(10))], spanish) == [f"Todos los sábados, 10{NB}a.m."]
    assert w.days_phrase({0}, spanish) == "Todos los domingos"


def test_spanish_several_days_monthly_and_every_n_weeks(spanish):
    schedules = [S(day, T(7)) for day in (1, 2, 3, 4, 5)]
    schedules.append(S(6, T(10), T(11, 30), kind="monthly", week_of_month=1))
    schedules.append(S(5, T(19), T(20), kind="monthly", week_of_month=-1))
    schedules.append(
        S(2, T(18), kind="interval", interval_weeks=2, anchor_date=dt.date(2026, 1, 6))
    )
    assert w.summarise(schedules, spanish) == [
        f"Lun–vie, 7{NB}a.m.",
        f"Un martes cada 2 semanas, 6{NB}p.m.",
        f"Último viernes del mes, 7–8{NB}p.m.",
        f"Primer sábado del mes, 10:00–11:30{NB}a.m.",
    ]


@pytest.mark.parametrize(
    ("position", "words"),
    [
        (1, "Primer domingo del mes"),
        (2, "Segundo domingo del mes"),
        (3, "Tercer domingo del mes"),
        (4, "Cuarto domingo del mes"),
        (-1, "Último domingo del mes"),
    ],
)
def test_spanish_monthly_positions(spanish, position, words):
    monthly = S(0, T(18), T(19), kind="monthly", week_of_month=position)
    assert w.summarise([monthly], spanish) == [f"{words}, 6–7{NB}p.m."]


def test_spanish_lines_for_a_visitor_in_another_zone(spanish):
    pacific = [S(1, T(23), T(23, 59), "America/Los_Angeles")]
    (line,) = w.summarise_for_visitor(pacific, NOW, "America/New_York", spanish)
    assert line.text == f"Todos los martes, 2:00–2:59{NB}a.m."
    assert line.local == f"11:00–11:59{NB}p.m. hora del Pacífico, el día anterior"
    first_saturday = [S(6, T(10), None, "Europe/London", kind="monthly", week_of_month=1)]
    (line,) = w.summarise_for_visitor(first_saturday, NOW, "America/New_York", spanish)
    assert line == w.Line(f"Primer sábado del mes, 10{NB}a.m. hora británica")
    # CLDR names Mexico City too (one clock all year: the standard name); a zone it has no
    # name for is written after its city, in CLDR's Spanish for it.
    assert zone_names.zone_name("America/Mexico_City", spanish) == "hora estándar central"
    assert zone_names.zone_name("Asia/Amman", spanish) == "hora de Ammán"


def test_spanish_between_the_us_and_uk_changes(spanish):
    """US clocks go forward on 8 March 2026, the UK's on 29 March: for three weeks a Tuesday
    7 pm meeting in Chicago is midnight in London, not 1 am."""
    chicago = [S(2, T(19), T(20), "America/Chicago")]
    gap = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    (line,) = w.summarise_for_visitor(chicago, gap, "Europe/London", spanish)
    assert line == w.Line(
        f"Todos los miércoles, 12–1{NB}a.m.", f"7–8{NB}p.m. hora central, el día anterior"
    )
    after = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
    (line,) = w.summarise_for_visitor(chicago, after, "Europe/London", spanish)
    assert line.text == f"Todos los miércoles, 1–2{NB}a.m."


def test_the_page_clock_follows_the_page_language_not_the_header(rf):
    from django.utils import translation

    from directory import selectors

    for header in ("en-GB,en;q=0.8", "de", "es-MX", ""):
        request = rf.get("/", HTTP_ACCEPT_LANGUAGE=header)
        assert selectors.visitor_clock(request) == clock.US_CLOCK
        with translation.override("es"):
            assert selectors.visitor_clock(request) == ES


@pytest.mark.parametrize(
    ("header", "country"),
    [
        ("en-GB,en;q=0.8", "GB"),
        ("en_AU", "AU"),
        ("fr;q=0.5, es-MX", "MX"),  # the most preferred first, not the first written
        ("zh-Hant-TW", "TW"),
        ("es-419,en-US;q=0.5", "US"),  # a region that is not a country is skipped
        ("es,en", "US"),  # no region: the site's default
        ("*", "US"),
        ("", "US"),
    ],
)
def test_crisis_lines_country_from_the_header(rf, header, country):
    from directory import selectors

    assert selectors.visitor_country(rf.get("/", HTTP_ACCEPT_LANGUAGE=header)) == country
    assert selectors.visitor_country(rf.get("/?country=ie", HTTP_ACCEPT_LANGUAGE=header)) == "IE"


@pytest.mark.django_db
def test_find_results_on_a_spanish_page_write_times_in_spanish(client):
    import re

    import time_machine

    from tests import factories as f

    online = f.listing(name="Night Owls Online", attendance="online")
    for day in range(7):
        f.schedule(online, weekday=day, start_time=T(21), end_time=T(22), timezone="Europe/London")
    with time_machine.travel(dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC), tick=False):
        # The Spanish page, whatever the browser prefers.
        html = client.get("/es/find/?tz=America/Chicago", HTTP_ACCEPT_LANGUAGE="en-US").content
    results = html.decode().split('id="results"', 1)[1].split('id="filters"', 1)[0]
    visible = re.sub(r"<[^>]+>", " ", results)
    assert f"martes, 1 de dic, 3{NB}p.m." in visible and f"(9{NB}p.m. hora británica)" in visible
    assert "hora central" in visible
