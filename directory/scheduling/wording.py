"""Times in the words people read at a glance.

"Every day, 9–10 pm", "Mon–Fri, 7 am", "First Saturday of the month, 10 am"; zones by the names
people know ("Central time", "UK time") instead of IANA ids; the 12-hour clock for visitors who
read English (as the US and UK style guides write times: "7:30 pm", "noon"), 24-hour for the
languages whose readers expect "19:30". Nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from directory.scheduling import (
    POSITION_NAMES,
    WEEKDAY_NAMES,
    Schedule,
    duration,
    local_start,
    next_occurrence,
)

DAY_ABBREVIATIONS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
MONDAY_FIRST = [1, 2, 3, 4, 5, 6, 0]
MONTH_ABBREVIATIONS = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
]  # fmt: skip


@dataclass(frozen=True)
class Clock:
    """How one visitor reads times and dates."""

    twelve_hour: bool = True
    month_first: bool = True  # "Tue, Dec 8" (US) rather than "Tue 8 Dec"


US_CLOCK = Clock(twelve_hour=True, month_first=True)
UK_CLOCK = Clock(twelve_hour=True, month_first=False)
DAY_FIRST_24H = Clock(twelve_hour=False, month_first=False)
# English outside North America and the Philippines writes the day first ("8 Dec").
MONTH_FIRST_REGIONS = {"us", "ca", "ph", "fm", "mh", "pw", "as", "gu", "mp", "pr", "um", "vi"}


def clock_for(accept_language: str, default_region: str = "us") -> Clock:
    """The clock of the visitor's first preferred language (the Accept-Language header).

    English readers get the 12-hour clock, month first in the US (and without a region, on a
    site whose default country is the US); other languages the 24-hour clock, day first.
    """
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip().lower().replace("_", "-")
    language, _, region = first.partition("-")
    if language in {"", "*"}:
        language, region = "en", ""
    if language != "en":
        return DAY_FIRST_24H
    region = region or default_region.lower()
    return US_CLOCK if region in MONTH_FIRST_REGIONS else UK_CLOCK


def _hour_12(value: dt.time) -> tuple[str, str]:
    """("7:30", "pm"), ("noon", ""), ("midnight", "")."""
    if value.minute == 0 and value.hour in {0, 12}:
        return ("midnight" if value.hour == 0 else "noon"), ""
    hour = value.hour % 12 or 12
    digits = f"{hour}" if value.minute == 0 else f"{hour}:{value.minute:02d}"
    return digits, "am" if value.hour < 12 else "pm"


def time_of_day(value: dt.time, clock: Clock = US_CLOCK) -> str:
    """ "7 pm", "7:30 am", "noon" — or "19:00" on a 24-hour clock."""
    if not clock.twelve_hour:
        return f"{value.hour:02d}:{value.minute:02d}"
    digits, meridiem = _hour_12(value)
    return f"{digits} {meridiem}".strip()


def time_range(start: dt.time, end: dt.time | None, clock: Clock = US_CLOCK) -> str:
    """ "9–10 pm", "11 am–noon", "7:30–8:30 am"; "19:00–20:00" on a 24-hour clock."""
    if end is None or end == start:
        return time_of_day(start, clock)
    if not clock.twelve_hour:
        return f"{time_of_day(start, clock)}–{time_of_day(end, clock)}"
    first, first_meridiem = _hour_12(start)
    last, last_meridiem = _hour_12(end)
    if first_meridiem and first_meridiem == last_meridiem:
        return f"{first}–{last} {last_meridiem}"
    return f"{time_of_day(start, clock)}–{time_of_day(end, clock)}"


ZONE_NAMES = {
    "Eastern time": [
        "America/New_York", "America/Detroit", "America/Toronto", "America/Nassau",
        "America/Indiana/Indianapolis", "America/Indiana/Marengo", "America/Indiana/Petersburg",
        "America/Indiana/Vevay", "America/Indiana/Vincennes", "America/Indiana/Winamac",
        "America/Kentucky/Louisville", "America/Kentucky/Monticello", "America/Iqaluit",
        "US/Eastern",
    ],
    "Central time": [
        "America/Chicago", "America/Winnipeg", "America/Indiana/Knox",
        "America/Indiana/Tell_City", "America/Menominee", "America/North_Dakota/Beulah",
        "America/North_Dakota/Center", "America/North_Dakota/New_Salem", "America/Rankin_Inlet",
        "America/Matamoros", "US/Central",
    ],
    "Mountain time": [
        "America/Denver", "America/Boise", "America/Edmonton", "America/Ojinaga", "US/Mountain",
    ],
    "Arizona time": ["America/Phoenix", "US/Arizona"],
    "Pacific time": ["America/Los_Angeles", "America/Vancouver", "America/Tijuana", "US/Pacific"],
    "Alaska time": [
        "America/Anchorage", "America/Juneau", "America/Sitka", "America/Nome",
        "America/Yakutat", "America/Metlakatla", "US/Alaska",
    ],
    "Hawaii time": ["Pacific/Honolulu", "US/Hawaii"],
    "Atlantic time": ["America/Halifax", "America/Moncton", "America/Puerto_Rico"],
    "Newfoundland time": ["America/St_Johns"],
    "UK time": ["Europe/London", "Europe/Belfast", "GB"],
    "Irish time": ["Europe/Dublin"],
    "Central European time": [
        "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam",
        "Europe/Brussels", "Europe/Vienna", "Europe/Zurich", "Europe/Stockholm", "Europe/Oslo",
        "Europe/Copenhagen", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest",
        "Europe/Luxembourg", "Europe/Belgrade", "Europe/Zagreb", "Europe/Ljubljana",
        "Europe/Bratislava", "Europe/Malta", "Europe/Monaco",
    ],
    "Eastern European time": [
        "Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Kiev", "Europe/Bucharest",
        "Europe/Sofia", "Europe/Riga", "Europe/Tallinn", "Europe/Vilnius",
    ],
    "Australian Eastern time": [
        "Australia/Sydney", "Australia/Melbourne", "Australia/Hobart", "Australia/Canberra",
    ],
    "Queensland time": ["Australia/Brisbane"],
    "Australian Central time": ["Australia/Adelaide", "Australia/Darwin"],
    "Western Australia time": ["Australia/Perth"],
    "New Zealand time": ["Pacific/Auckland"],
    "India time": ["Asia/Kolkata", "Asia/Calcutta"],
    "UTC": ["UTC", "Etc/UTC", "Etc/GMT", "GMT"],
}  # fmt: skip
_ZONE_NAME_OF = {zone: name for name, zones in ZONE_NAMES.items() for zone in zones}


def zone_name(zone: str) -> str:
    """ "Central time" for America/Chicago; "Mexico City time" for a zone without a common
    name (its city, as the IANA id names it)."""
    if zone in _ZONE_NAME_OF:
        return _ZONE_NAME_OF[zone]
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time" if city else "local time"


def days_phrase(days: Iterable[int]) -> str:
    """ "Every day", "Every Tuesday", "Mon–Fri", "Tue, Thu", "Sat, Sun" (0 = Sunday)."""
    chosen = set(days)
    if len(chosen) == 7:
        return "Every day"
    if len(chosen) == 1:
        return f"Every {WEEKDAY_NAMES[next(iter(chosen))]}"
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
        if len(run) >= 3:
            parts.append(f"{DAY_ABBREVIATIONS[run[0]]}–{DAY_ABBREVIATIONS[run[-1]]}")
        else:
            parts.extend(DAY_ABBREVIATIONS[day] for day in run)
    return ", ".join(parts)


def _notes(schedule: Schedule) -> str:
    notes = getattr(schedule, "notes", "") or ""
    return f" – {notes}" if notes else ""


def _pattern(schedule: Schedule) -> str:
    day = WEEKDAY_NAMES[schedule.weekday]
    if schedule.kind == "monthly":
        return f"{POSITION_NAMES[schedule.week_of_month].capitalize()} {day} of the month"
    weeks = schedule.interval_weeks
    return f"Every {weeks} weeks on {day}" if weeks and weeks > 1 else f"Every {day}"


def summarise(schedules: Iterable[Schedule], clock: Clock = US_CLOCK) -> list[str]:
    """One line per distinct time: weekly meetings at the same hours, zone and dates join up.

    Lines keep the order of each group's first weekday, Monday first.
    """
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
            others.append((sort_key, f"{_pattern(schedule)}, {hours}{_notes(schedule)}"))
    lines = []
    for (hours, _zone, _from, _to, notes), days in groups.items():
        first = min(MONDAY_FIRST.index(day) for day in days)
        lines.append(((first, dt.time.min), f"{days_phrase(days)}, {hours}{notes}"))
    return [text for _key, text in sorted(lines + others, key=lambda pair: pair[0])]


def moment(value: dt.datetime, zone: str, clock: Clock = US_CLOCK) -> str:
    """ "Tuesday, Dec 8, 7:30 pm" (US) / "Tuesday 8 Dec, 7:30 pm" / "Tuesday 8 Dec, 19:30"."""
    local = value.astimezone(ZoneInfo(zone))
    day = WEEKDAY_NAMES[(local.weekday() + 1) % 7]
    month = MONTH_ABBREVIATIONS[local.month - 1]
    date = f"{day}, {month} {local.day}" if clock.month_first else f"{day} {local.day} {month}"
    return f"{date}, {time_of_day(local.time(), clock)}"


def day(value: dt.date | dt.datetime, clock: Clock = US_CLOCK) -> str:
    """ "Feb 10, 2026" (US) or "10 Feb 2026"."""
    month = MONTH_ABBREVIATIONS[value.month - 1]
    return (
        f"{month} {value.day}, {value.year}"
        if clock.month_first
        else f"{value.day} {month} {value.year}"
    )


def same_clock(value: dt.datetime, zone_a: str, zone_b: str) -> bool:
    """Whether two zones show the same wall-clock time at this instant."""
    return (
        value.astimezone(ZoneInfo(zone_a)).utcoffset()
        == value.astimezone(ZoneInfo(zone_b)).utcoffset()
    )


def local_time_note(value: dt.datetime, listing_zone: str, visitor_zone: str, clock: Clock) -> str:
    """ "7:30 pm Central time" when the listing's clock differs from the visitor's, else ""."""
    if same_clock(value, listing_zone, visitor_zone):
        return ""
    local = value.astimezone(ZoneInfo(listing_zone))
    return f"{time_of_day(local.time(), clock)} {zone_name(listing_zone)}"


def upcoming_in_zone(schedule: Schedule, now: dt.datetime, zone: str):
    """The schedule's next meeting as (start, end) on the visitor's clock, or None."""
    found = next_occurrence(schedule, now)
    if found is None:
        return None
    tz = ZoneInfo(zone)
    return found[0].astimezone(tz), found[1].astimezone(tz)


@dataclass(frozen=True)
class Line:
    """One summarised schedule line on the visitor's clock, with the listing's own time when
    its clock differs ("7–8 pm Central time"), else ``local`` is empty."""

    text: str
    local: str = ""


def summarise_for_visitor(
    schedules: Iterable[Schedule], now: dt.datetime, visitor_zone: str, clock: Clock = US_CLOCK
) -> list[Line]:
    """The listing's schedules in one zone, the visitor's.

    A weekly meeting is converted at its next occurrence (exact for the weeks ahead; a
    daylight-saving change in only one of the two zones moves it by an hour, which the next
    meeting shown beside it always gets right). Monthly and every-N-weeks meetings stay in the
    listing's own words and time ("First Saturday of the month, 10 am Central time") when the
    clocks differ: converted, "the first Saturday" could fall on another day's position.
    """
    schedules = list(schedules)
    if all(same_clock(now, s.timezone, visitor_zone) for s in schedules):
        return [Line(text) for text in summarise(schedules, clock)]
    visitor_tz = ZoneInfo(visitor_zone)
    groups: dict[tuple, set[int]] = {}
    others: list[tuple[tuple, Line]] = []
    for schedule in schedules:
        hours_local = time_range(schedule.start_time, schedule.end_time, clock)
        if same_clock(now, schedule.timezone, visitor_zone):
            if schedule.kind == "weekly":
                key = (hours_local, "", _notes(schedule))
                groups.setdefault(key, set()).add(schedule.weekday)
            else:
                key = (MONDAY_FIRST.index(schedule.weekday), schedule.start_time)
                text = f"{_pattern(schedule)}, {hours_local}{_notes(schedule)}"
                others.append((key, Line(text)))
            continue
        if schedule.kind != "weekly":
            key = (MONDAY_FIRST.index(schedule.weekday), schedule.start_time)
            text = f"{_pattern(schedule)}, {hours_local} {zone_name(schedule.timezone)}"
            text += _notes(schedule)
            others.append((key, Line(text)))
            continue
        found = next_occurrence(schedule, now)
        if found is None:  # past its last date: convert at today's date
            begin = local_start(schedule, now.astimezone(ZoneInfo(schedule.timezone)).date())
            found = (begin, begin + duration(schedule))
        start, end = (moment.astimezone(visitor_tz) for moment in found)
        shift = ((start.weekday() + 1) % 7 - schedule.weekday) % 7
        hours = time_range(start.time(), end.time() if schedule.end_time else None, clock)
        local = f"{hours_local} {zone_name(schedule.timezone)}"
        if shift == 1:
            local += ", the day before"
        elif shift == 6:
            local += ", the day after"
        key = (hours, local, _notes(schedule))
        groups.setdefault(key, set()).add((start.weekday() + 1) % 7)
    lines = []
    for (hours, local, notes), days in groups.items():
        first = min(MONDAY_FIRST.index(day) for day in days)
        lines.append(((first, dt.time.min), Line(f"{days_phrase(days)}, {hours}{notes}", local)))
    return [line for _key, line in sorted(lines + others, key=lambda pair: pair[0])]
