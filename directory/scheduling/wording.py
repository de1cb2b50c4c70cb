"""Times in words people read at a glance, in the page's language.

"Every day, 9–10 pm", "Mon–Fri, 7 am", "First Saturday of the month, 10 am"; zones by the names
people know ("Central Time", "British Time") instead of IANA ids. Nothing here reads the database.

Who reads is a ``Clock``: the page's language (a Django language code, "en" or "es") and how
that reader writes times, from the language and the site's country
(``settings.DIRECTORY_DEFAULT_COUNTRY``), never from request headers, so a page's words
depend on its URL only.

- English is written in the house style of US and UK style guides ("7:30 pm", "noon", "Dec 8"),
  by hand, exactly as before; the 12-hour clock, month first in the US. Its zone names are
  CLDR's, as in other languages ("Central Time", "Mountain Standard Time" for Arizona).
- Every other language is written from Unicode CLDR data through Babel: day and month names,
  times, dates, time ranges and zone names come from the locale made of the page's language and
  the site's country (``es_US`` for Spanish on a US site). CLDR is the authority on the clock:
  for ``es_US`` its time format is ``h:mm a`` with the day periods "a.m."/"p.m.", so Spanish
  readers of a US site get the 12-hour clock, "7:30 p.m.", "7–8 p.m." (the issue expected
  "de 19:00 a 20:00": the 24-hour clock is CLDR's for Spanish in Spain, ``es_ES``, not in the
  US, and CLDR writes ranges with a dash, not "de … a …"). A site
  whose country's CLDR locale uses the 24-hour clock gets it without a change here. Times on
  the hour drop ":00" as the English does ("7 p.m.": CLDR's ``h`` skeleton, else ``hm``).
- The words around those data ("Every day", "of the month", "Every 2 weeks on …") are
  gettext messages, translated in the project's catalog; each line is one whole message with
  named placeholders. Spanish weekdays need the plural ("Todos los sábados"), so "Every
  Tuesday" and "First Saturday of the month" are whole messages per weekday and position.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    get_day_names,
    match_skeleton,
)
from babel.lists import format_list
from django.utils.translation import gettext_noop, ngettext

from directory.scheduling import (
    WEEKDAY_NAMES,
    Recurrence,
    duration,
    local_start,
    next_occurrence,
)
from directory.scheduling.clock import Clock, active_clock, in_language, translated
from directory.scheduling.zone_names import in_zone, zone_name

DAY_ABBREVIATIONS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
MONDAY_FIRST = [1, 2, 3, 4, 5, 6, 0]
MONTH_ABBREVIATIONS = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
]  # fmt: skip

# Whole messages per weekday (0 = Sunday) and per monthly position: the words around a day
# name change with it in other languages ("Todos los sábados", "Primer sábado del mes").
EVERY_WEEKDAY = [
    gettext_noop("Every Sunday"),
    gettext_noop("Every Monday"),
    gettext_noop("Every Tuesday"),
    gettext_noop("Every Wednesday"),
    gettext_noop("Every Thursday"),
    gettext_noop("Every Friday"),
    gettext_noop("Every Saturday"),
]
MONTHLY_POSITION = {
    1: gettext_noop("First %(day)s of the month"),
    2: gettext_noop("Second %(day)s of the month"),
    3: gettext_noop("Third %(day)s of the month"),
    4: gettext_noop("Fourth %(day)s of the month"),
    -1: gettext_noop("Last %(day)s of the month"),
}
EVERY_DAY = gettext_noop("Every day")
# Translators: a schedule line: its days ("Every day", "Mon–Fri"), then its hours ("9–10 pm").
DAYS_HOURS = gettext_noop("%(days)s, %(hours)s")
# Translators: a meeting's time in its own zone, which falls on the day before the day shown
# to the reader ("Every Tuesday, 2 am" in New York is "11 pm Pacific Time, the day before").
ZONE_TIME_DAY_BEFORE = gettext_noop("%(time)s %(zone)s, the day before")
# Translators: a meeting's time in its own zone, which falls on the day after the day shown to
# the reader ("Every Monday, 11 pm" in Los Angeles is "2 am Eastern Time, the day after").
ZONE_TIME_DAY_AFTER = gettext_noop("%(time)s %(zone)s, the day after")


def _time_skeleton(value: dt.time, clock: Clock) -> str:
    # The hour alone when it is on the hour ("7 p.m."), as the English does ("7 pm").
    if not clock.twelve_hour:
        return "Hm"
    return "h" if value.minute == 0 else "hm"


# Babel parses CLDR patterns on every call (some 50 µs a date): the few distinct times and
# dates a page shows are written once per process.
@functools.lru_cache(maxsize=4096)
def _cldr_time(value: dt.time, clock: Clock) -> str:
    moment = dt.datetime.combine(dt.date(2000, 1, 1), value)
    return format_skeleton(_time_skeleton(value, clock), moment, locale=clock.locale)


@functools.lru_cache(maxsize=4096)
def _cldr_time_range(start: dt.time, end: dt.time, clock: Clock) -> str:
    skeleton = "hm" if clock.twelve_hour and (start.minute or end.minute) else None
    return format_interval(
        start, end, skeleton or _time_skeleton(start, clock), locale=clock.locale
    )


def _hour_12(value: dt.time) -> tuple[str, str]:
    """("7:30", "pm"), ("noon", ""), ("midnight", "")."""
    if value.minute == 0 and value.hour in {0, 12}:
        return ("midnight" if value.hour == 0 else "noon"), ""
    hour = value.hour % 12 or 12
    digits = f"{hour}" if value.minute == 0 else f"{hour}:{value.minute:02d}"
    return digits, "am" if value.hour < 12 else "pm"


def time_of_day(value: dt.time, clock: Clock | None = None) -> str:
    """ "7 pm", "7:30 am", "noon" — or "19:00" on a 24-hour clock; "7:30 p.m." in Spanish."""
    clock = clock or active_clock()
    if not clock.english:
        return _cldr_time(value.replace(tzinfo=None), clock)
    if not clock.twelve_hour:
        return f"{value.hour:02d}:{value.minute:02d}"
    digits, meridiem = _hour_12(value)
    return f"{digits} {meridiem}".strip()


def time_range(start: dt.time, end: dt.time | None, clock: Clock | None = None) -> str:
    """ "9–10 pm", "11 am–noon", "7:30–8:30 am"; "19:00–20:00" on a 24-hour clock; in other
    languages CLDR's interval format ("7–8 p.m.", "11 a.m. – 1 p.m.")."""
    clock = clock or active_clock()
    if end is None or end == start:
        return time_of_day(start, clock)
    if not clock.english:
        return _cldr_time_range(start.replace(tzinfo=None), end.replace(tzinfo=None), clock)
    if not clock.twelve_hour:
        return f"{time_of_day(start, clock)}–{time_of_day(end, clock)}"
    first, first_meridiem = _hour_12(start)
    last, last_meridiem = _hour_12(end)
    if first_meridiem and first_meridiem == last_meridiem:
        return f"{first}–{last} {last_meridiem}"
    return f"{time_of_day(start, clock)}–{time_of_day(end, clock)}"


def _day_name(weekday: int, clock: Clock, width: str = "wide") -> str:
    """The weekday (0 = Sunday) in the clock's language: "Tuesday", "martes"; "Tue", "mar"."""
    if clock.english:
        return WEEKDAY_NAMES[weekday] if width == "wide" else DAY_ABBREVIATIONS[weekday]
    context = "format" if width == "wide" else "stand-alone"
    return get_day_names(width, context, locale=clock.locale)[(weekday + 6) % 7]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def days_phrase(days: Iterable[int], clock: Clock | None = None) -> str:
    """ "Every day", "Every Tuesday", "Mon–Fri", "Tue, Thu", "Sat, Sun" (0 = Sunday).

    Other languages: CLDR's abbreviations, joined as CLDR lists words ("Lun–vie",
    "Mar y jue"), the first letter capitalised since the phrase begins a line.
    """
    clock = clock or active_clock()
    chosen = set(days)
    if len(chosen) == 7:
        return translated(clock, EVERY_DAY)
    if len(chosen) == 1:
        return translated(clock, EVERY_WEEKDAY[next(iter(chosen))])
    runs: list[list[int]] = []
    for position, day in enumerate(MONDAY_FIRST):
        if day not in chosen:
            continue
        if runs and MONDAY_FIRST.index(runs[-1][-1]) == position - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        names = [_day_name(day, clock, "abbreviated") for day in run]
        if len(run) >= 3:
            parts.append(f"{names[0]}–{names[-1]}")
        else:
            parts.extend(names)
    if clock.english:
        return ", ".join(parts)
    return _capitalised(format_list(parts, "standard", locale=clock.locale))


def _notes(schedule: Recurrence) -> str:
    notes = getattr(schedule, "notes", "") or ""
    return f" – {notes}" if notes else ""


def _pattern(schedule: Recurrence, clock: Clock) -> str:
    """ "Every Tuesday", "First Saturday of the month", "Every 2 weeks on Tuesday"."""
    day = _day_name(schedule.weekday, clock)
    if schedule.kind == "monthly":
        return translated(clock, MONTHLY_POSITION[schedule.week_of_month]) % {"day": day}
    weeks = schedule.interval_weeks
    if weeks and weeks > 1:
        with in_language(clock):
            # Translators: a meeting every 2 (or more) weeks; %(day)s is a weekday ("Tuesday").
            return ngettext(
                "Every %(weeks)s week on %(day)s", "Every %(weeks)s weeks on %(day)s", weeks
            ) % {"weeks": weeks, "day": day}
    return translated(clock, EVERY_WEEKDAY[schedule.weekday])


def _line(clock: Clock, days: str, hours: str) -> str:
    """ "Every day, 9–10 pm": the days, then the hours."""
    return translated(clock, DAYS_HOURS) % {
        "days": days,
        "hours": hours,
    }


def summarise(schedules: Iterable[Recurrence], clock: Clock | None = None) -> list[str]:
    """One line per distinct time: weekly meetings at the same hours, zone and dates join up.

    Lines keep the order of each group's first weekday, Monday first.
    """
    clock = clock or active_clock()
    groups: dict[tuple, set[int]] = {}
    others: list[tuple[tuple, str]] = []
    for schedule in schedules:
        hours = time_range(schedule.start_time, schedule.end_time, clock)
        if schedule.kind == "weekly":
            key = (
                hours,
                schedule.timezone,
                schedule.valid_from,
                schedule.valid_to,
                _notes(schedule),
            )
            groups.setdefault(key, set()).add(schedule.weekday)
        else:
            sort_key = (MONDAY_FIRST.index(schedule.weekday), schedule.start_time)
            text = _line(clock, _pattern(schedule, clock), hours) + _notes(schedule)
            others.append((sort_key, text))
    lines = []
    for (hours, _zone, _from, _to, notes), days in groups.items():
        first = min(MONDAY_FIRST.index(day) for day in days)
        lines.append(((first, dt.time.min), _line(clock, days_phrase(days, clock), hours) + notes))
    return [text for _key, text in sorted(lines + others, key=lambda pair: pair[0])]


@functools.lru_cache(maxsize=1024)
def _cldr_weekday_month_day(date: dt.date, locale: str) -> tuple[str, str]:
    """("martes, 8 de dic", "{1}, {0}"): the date in words, and how CLDR joins a date and a
    time."""
    words = format_date(date, _weekday_month_day(locale), locale=locale)
    return words, str(Locale.parse(locale).datetime_formats["medium"])


@functools.lru_cache(maxsize=16)
def _weekday_month_day(locale: str) -> str:
    """CLDR's pattern for "weekday, day month" with the weekday in full ("EEEE, d 'de' MMM").

    CLDR lists the skeleton with the short weekday (MMMEd); as UTS #35 says of matching a
    skeleton, the matched pattern's fields take the requested widths (EEEE).
    """
    skeletons = Locale.parse(locale).datetime_skeletons
    pattern = skeletons[match_skeleton("MMMEEEEd", skeletons)].pattern
    parts = pattern.split("'")
    parts[::2] = [re.sub("E+", "EEEE", part) for part in parts[::2]]
    return "'".join(parts)


def moment(value: dt.datetime, zone: str, clock: Clock | None = None) -> str:
    """ "Tuesday, Dec 8, 7:30 pm" (US) / "Tuesday 8 Dec, 7:30 pm" / "Tuesday 8 Dec, 19:30";
    in other languages as CLDR writes them ("martes, 8 de dic, 7:30 p.m." for es_US)."""
    clock = clock or active_clock()
    local = value.astimezone(ZoneInfo(zone))
    if not clock.english:
        date, glue = _cldr_weekday_month_day(local.date(), clock.locale)
        return glue.replace("{1}", date).replace("{0}", time_of_day(local.time(), clock))
    day = WEEKDAY_NAMES[(local.weekday() + 1) % 7]
    month = MONTH_ABBREVIATIONS[local.month - 1]
    date = f"{day}, {month} {local.day}" if clock.month_first else f"{day} {local.day} {month}"
    return f"{date}, {time_of_day(local.time(), clock)}"


def day(value: dt.date | dt.datetime, clock: Clock | None = None) -> str:
    """ "Feb 10, 2026" (US) or "10 Feb 2026"; "10 feb 2026" in Spanish (CLDR's yMMMd)."""
    clock = clock or active_clock()
    if not clock.english:
        return _cldr_day(dt.date(value.year, value.month, value.day), clock.locale)
    month = MONTH_ABBREVIATIONS[value.month - 1]
    return (
        f"{month} {value.day}, {value.year}"
        if clock.month_first
        else f"{value.day} {month} {value.year}"
    )


@functools.lru_cache(maxsize=1024)
def _cldr_day(date: dt.date, locale: str) -> str:
    return format_skeleton("yMMMd", date, locale=locale)


def same_clock(value: dt.datetime, zone_a: str, zone_b: str) -> bool:
    """Whether two zones show the same wall-clock time at this instant."""
    return (
        value.astimezone(ZoneInfo(zone_a)).utcoffset()
        == value.astimezone(ZoneInfo(zone_b)).utcoffset()
    )


def local_time_note(
    value: dt.datetime, listing_zone: str, visitor_zone: str, clock: Clock | None = None
) -> str:
    """ "7:30 pm Central Time" when the listing's clock differs from the visitor's, else ""."""
    if same_clock(value, listing_zone, visitor_zone):
        return ""
    clock = clock or active_clock()
    local = value.astimezone(ZoneInfo(listing_zone))
    return in_zone(time_of_day(local.time(), clock), listing_zone, clock)


def upcoming_in_zone(schedule: Recurrence, now: dt.datetime, zone: str):
    """The schedule's next meeting as (start, end) on the visitor's clock, or None."""
    found = next_occurrence(schedule, now)
    if found is None:
        return None
    tz = ZoneInfo(zone)
    return found[0].astimezone(tz), found[1].astimezone(tz)


@dataclass(frozen=True)
class Line:
    """One summarised schedule line on the visitor's clock, with the listing's own time when
    its clock differs ("7–8 pm Central Time"), else ``local`` is empty."""

    text: str
    local: str = ""


def summarise_for_visitor(
    schedules: Iterable[Recurrence],
    now: dt.datetime,
    visitor_zone: str,
    clock: Clock | None = None,
) -> list[Line]:
    """The listing's schedules in one zone, the visitor's.

    A weekly meeting is converted at its next occurrence (exact for the weeks ahead; a
    daylight-saving change in only one of the two zones moves it by an hour, which the next
    meeting shown beside it always gets right). Monthly and every-N-weeks meetings stay in the
    listing's own words and time ("First Saturday of the month, 10 am Central Time") when the
    clocks differ: converted, "the first Saturday" could fall on another day's position.
    """
    clock = clock or active_clock()
    schedules = list(schedules)
    upcoming = [next_occurrence(schedule, now) for schedule in schedules]
    # Whether two clocks agree is judged when the meeting starts: in the hour between two
    # zones' daylight-saving changes (New York's at 6:00 UTC on 1 November, Chicago's at
    # 7:00) they agree now but not at tonight's meeting.
    agree = [
        same_clock(found[0] if found else now, schedule.timezone, visitor_zone)
        for schedule, found in zip(schedules, upcoming, strict=True)
    ]
    if all(agree):
        return [Line(text) for text in summarise(schedules, clock)]
    visitor_tz = ZoneInfo(visitor_zone)
    groups: dict[tuple, set[int]] = {}
    others: list[tuple[tuple, Line]] = []
    for schedule, found, same in zip(schedules, upcoming, agree, strict=True):
        hours_local = time_range(schedule.start_time, schedule.end_time, clock)
        if same:
            if schedule.kind == "weekly":
                key = (hours_local, "", _notes(schedule))
                groups.setdefault(key, set()).add(schedule.weekday)
            else:
                key = (MONDAY_FIRST.index(schedule.weekday), schedule.start_time)
                text = _line(clock, _pattern(schedule, clock), hours_local) + _notes(schedule)
                others.append((key, Line(text)))
            continue
        if schedule.kind != "weekly":
            key = (MONDAY_FIRST.index(schedule.weekday), schedule.start_time)
            hours = in_zone(hours_local, schedule.timezone, clock)
            text = _line(clock, _pattern(schedule, clock), hours) + _notes(schedule)
            others.append((key, Line(text)))
            continue
        if found is None:  # past its last date: convert at today's date
            begin = local_start(schedule, now.astimezone(ZoneInfo(schedule.timezone)).date())
            found = (begin, begin + duration(schedule))
        start, end = (moment.astimezone(visitor_tz) for moment in found)
        shift = ((start.weekday() + 1) % 7 - schedule.weekday) % 7
        hours = time_range(start.time(), end.time() if schedule.end_time else None, clock)
        if shift not in {1, 6}:
            local = in_zone(hours_local, schedule.timezone, clock)
        else:
            message = ZONE_TIME_DAY_BEFORE if shift == 1 else ZONE_TIME_DAY_AFTER
            local = translated(clock, message) % {
                "time": hours_local,
                "zone": zone_name(schedule.timezone, clock),
            }
        key = (hours, local, _notes(schedule))
        groups.setdefault(key, set()).add((start.weekday() + 1) % 7)
    lines = []
    for (hours, local, notes), days in groups.items():
        first = min(MONDAY_FIRST.index(day) for day in days)
        text = _line(clock, days_phrase(days, clock), hours) + notes
        lines.append(((first, dt.time.min), Line(text, local)))
    return [line for _key, line in sorted(lines + others, key=lambda pair: pair[0])]
