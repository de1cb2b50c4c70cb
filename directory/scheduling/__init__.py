"""Schedule time arithmetic, in one place: weekdays, times of day, zones, occurrences.

A schedule's times are wall-clock times in its own IANA time zone, so "19:00 every Tuesday"
stays 19:00 across daylight-saving changes. Weekdays count from 0 = Sunday (as in the Meeting
Guide format). The search index (``directory.search.index``) applies the same rules to arrays
of schedules; the calendar feed turns them into RRULEs.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Protocol
from zoneinfo import ZoneInfo


class Recurrence(Protocol):
    """What the arithmetic reads of a schedule: when and how it recurs
    (``directory.models.Schedule`` has it all, as do the search cards' rows)."""

    kind: str
    weekday: int  # 0 = Sunday
    start_time: dt.time
    end_time: dt.time | None
    timezone: str
    week_of_month: int | None
    interval_weeks: int | None
    anchor_date: dt.date | None
    valid_from: dt.date | None
    valid_to: dt.date | None


# Plain English strings, not translated: ``describe`` writes them into the calendar feed and
# HSDS descriptions and the curators' review, which stay English whatever the page's language
# (a lazy translation here would turn feeds Spanish under /es/). Schedule lines visitors read
# are written in the page's language by ``directory.scheduling.wording`` (CLDR day names, and
# gettext messages per weekday); a visible menu of weekdays needs translated labels of its own.
WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# The day count of 1970-01-04 (a Sunday) is the epoch for every-N-weeks schedules.
EPOCH_SUNDAY = dt.date(1970, 1, 4)
# Times of day on the visitor's clock, as [start, end) minute ranges.
TIMES_OF_DAY = {
    "morning": ("Morning (5am–noon)", [(300, 720)]),
    "afternoon": ("Afternoon (noon–5pm)", [(720, 1020)]),
    "evening": ("Evening (5pm–9pm)", [(1020, 1260)]),
    "night": ("Night (9pm–5am)", [(1260, 1440), (0, 300)]),
}
# English, for ``describe`` (see WEEKDAY_NAMES); ``wording.MONTHLY_POSITION`` has the
# translatable "First Saturday of the month" sentences.
POSITION_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
DEFAULT_DURATION = dt.timedelta(hours=1)  # Meeting Guide consumers assume an hour.
SEARCH_DAYS = 7 * 60  # far enough to find the first "every 8 weeks" or "fifth" meeting


def offset_minutes(moment: dt.datetime, zone: str) -> int:
    """The zone's UTC offset at ``moment``, in minutes."""
    return int(moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


def sunday_based_weekday(day: dt.date) -> int:
    return (day.weekday() + 1) % 7


def week_positions(day: dt.date) -> set[int]:
    """The monthly positions a date holds: {2} for the second Tuesday, {4, -1} for a last one."""
    positions = {(day.day - 1) // 7 + 1}
    if day.day + 7 > calendar.monthrange(day.year, day.month)[1]:
        positions.add(-1)
    return positions


def format_time(value: dt.time) -> str:
    return value.strftime("%H:%M")


def describe(schedule: Recurrence) -> str:
    """ "Every Tuesday 19:00–20:00", "First Saturday of the month 10:00", ..."""
    day = WEEKDAY_NAMES[schedule.weekday]
    # An admin form that comes back with errors shows the row's unsaved values (a monthly row
    # without its week): name it anyway rather than fail.
    if schedule.kind == "monthly":
        position = POSITION_NAMES.get(schedule.week_of_month)
        words = f"{position.capitalize()} {day} of the month" if position else f"Monthly on {day}"
    elif schedule.kind == "interval":
        words = f"Every {schedule.interval_weeks or 'N'} weeks on {day}"
        if schedule.anchor_date:
            words += f" (from {schedule.anchor_date:%d %b %Y})"
    else:
        words = f"Every {day}"
    hours = format_time(schedule.start_time)
    if schedule.end_time:
        hours += f"–{format_time(schedule.end_time)}"
    return f"{words} {hours}"


def occurs_on(schedule: Recurrence, day: dt.date) -> bool:
    """Whether the schedule has a meeting starting on this local date."""
    if sunday_based_weekday(day) != schedule.weekday:
        return False
    if schedule.valid_from and day < schedule.valid_from:
        return False
    if schedule.valid_to and day > schedule.valid_to:
        return False
    if schedule.kind == "monthly":
        return schedule.week_of_month in week_positions(day)
    if schedule.kind == "interval":
        if schedule.anchor_date is None or not schedule.interval_weeks:
            return False
        delta = (day - schedule.anchor_date).days
        return delta % (7 * schedule.interval_weeks) == 0
    return True


def local_start(schedule: Recurrence, day: dt.date) -> dt.datetime:
    """The aware start of the meeting on a local date (fold=0 resolves ambiguous times)."""
    return dt.datetime.combine(day, schedule.start_time, tzinfo=ZoneInfo(schedule.timezone))


def duration(schedule: Recurrence) -> dt.timedelta:
    if schedule.end_time is None:
        return DEFAULT_DURATION
    start = dt.datetime.combine(dt.date(2000, 1, 1), schedule.start_time)
    end = dt.datetime.combine(dt.date(2000, 1, 1), schedule.end_time)
    return end - start


def occurrences(
    schedule: Recurrence, after: dt.datetime, *, days: int = 400
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of meetings that end after ``after``, in order, looking ``days`` ahead."""
    tz = ZoneInfo(schedule.timezone)
    # Start a day early so a meeting in progress (or across midnight UTC) is included.
    first_day = after.astimezone(tz).date() - dt.timedelta(days=1)
    length = duration(schedule)
    # Every kind meets on its weekday only: look at those days alone, a week apart.
    first_offset = (schedule.weekday - sunday_based_weekday(first_day)) % 7
    for offset in range(first_offset, days + 1, 7):
        day = first_day + dt.timedelta(days=offset)
        if not occurs_on(schedule, day):
            continue
        start = local_start(schedule, day)
        end = start + length
        if end > after:
            yield start, end


def next_occurrence(
    schedule: Recurrence, after: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    return next(occurrences(schedule, after), None)


def is_in_progress(schedule: Recurrence, moment: dt.datetime) -> bool:
    found = next_occurrence(schedule, moment)
    return found is not None and found[0] <= moment < found[1]


def next_start_after(schedule: Recurrence, after: dt.datetime) -> dt.datetime | None:
    """The first meeting that starts at or after ``after`` (one under way does not count)."""
    return next((start for start, _end in occurrences(schedule, after) if start >= after), None)


def next_start_for_listing(schedules, after: dt.datetime) -> dt.datetime | None:
    """The soonest upcoming start among a listing's schedules (meetings in progress count)."""
    starts = [found[0] for s in schedules if (found := next_occurrence(s, after)) is not None]
    return min(starts) if starts else None


def first_meeting_day(schedule: Recurrence, not_before: dt.date) -> dt.date | None:
    """The first local date on or after ``not_before`` with a meeting, or None."""
    if schedule.kind == "interval" and schedule.anchor_date:
        start = schedule.valid_from or schedule.anchor_date
        if start <= schedule.anchor_date:
            return schedule.anchor_date if occurs_on(schedule, schedule.anchor_date) else None
        not_before = start
    elif schedule.valid_from:
        not_before = schedule.valid_from
    for offset in range(SEARCH_DAYS):
        day = not_before + dt.timedelta(days=offset)
        if schedule.valid_to and day > schedule.valid_to:
            return None
        if occurs_on(schedule, day):
            return day
    return None
