"""SQL conditions on schedules for "happening now", "starting soon", days and times of day.

A schedule's times are wall-clock times in its own zone. For an instant we group the zones in
use by their UTC offsets (zones that agree share the same local clock), and for each group
ask about its local date and minute. That is exact across daylight-saving changes, and the
number of conditions grows with the number of distinct offsets (a few dozen), not with rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db.models import F, Q, Value
from django.db.models.functions import Mod
from django.db.models.lookups import Exact

from directory.scheduling import EPOCH_SUNDAY, sunday_based_weekday, week_positions

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

# Times of day in the visitor's zone, as [start, end) minute ranges.
TIMES_OF_DAY = {
    "morning": ("Morning (5am–noon)", [(300, 720)]),
    "afternoon": ("Afternoon (noon–5pm)", [(720, 1020)]),
    "evening": ("Evening (5pm–9pm)", [(1020, 1260)]),
    "night": ("Night (9pm–5am)", [(1260, 1440), (0, 300)]),
}
NOTHING = Q(pk__in=[])


def _offset_minutes(moment: dt.datetime, zone: str) -> int:
    return int(moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


def group_zones(zones: Iterable[str], *moments: dt.datetime) -> dict[tuple[int, ...], list[str]]:
    """Zones keyed by their UTC offsets at each of ``moments``."""
    groups: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for zone in zones:
        groups[tuple(_offset_minutes(m, zone) for m in moments)].append(zone)
    return groups


def occurs_on_q(day: dt.date) -> Q:
    """Schedules with a meeting starting on this local date."""
    validity = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    day_number = (day - EPOCH_SUNDAY).days
    pattern = (
        Q(kind="weekly")
        | Q(kind="monthly", week_of_month__in=sorted(week_positions(day)))
        | (
            Q(kind="interval")
            & Q(
                Exact(
                    Mod(Value(day_number) - F("anchor_day"), F("interval_weeks") * 7),
                    0,
                )
            )
        )
    )
    return Q(weekday=sunday_based_weekday(day)) & validity & pattern


def _combine(parts: list[Q]) -> Q:
    result = NOTHING
    for part in parts:
        result |= part
    return result


def starts_between(zones: Iterable[str], start: dt.datetime, end: dt.datetime) -> Q:
    """Schedules with a meeting starting in [start, end) (aware datetimes, at most a few days)."""
    parts = []
    for _, group in group_zones(zones, start, end).items():
        tz = ZoneInfo(group[0])
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        day = local_start.date()
        while day <= local_end.date():
            low = local_start.hour * 60 + local_start.minute if day == local_start.date() else 0
            high = (
                local_end.hour * 60 + local_end.minute
                if day == local_end.date()
                else MINUTES_PER_DAY
            )
            if low < high:
                parts.append(
                    Q(timezone__in=group)
                    & occurs_on_q(day)
                    & Q(start_minute__gte=low, start_minute__lt=high)
                )
            day += dt.timedelta(days=1)
    return _combine(parts)


def in_progress(zones: Iterable[str], moment: dt.datetime) -> Q:
    """Schedules with a meeting under way at ``moment`` (including ones that began yesterday)."""
    parts = []
    for _, group in group_zones(zones, moment).items():
        local = moment.astimezone(ZoneInfo(group[0]))
        minute = local.hour * 60 + local.minute
        today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
        parts.append(
            Q(timezone__in=group)
            & (
                (occurs_on_q(today) & Q(start_minute__lte=minute, end_minute__gt=minute))
                | (occurs_on_q(yesterday) & Q(end_minute__gt=minute + MINUTES_PER_DAY))
            )
        )
    return _combine(parts)


def _wrapped_ranges(low: int, high: int, modulo: int) -> list[tuple[int, int]]:
    """[low, high) on a circular clock of ``modulo`` minutes, as one or two plain ranges."""
    length = high - low
    if length >= modulo:
        return [(0, modulo)]
    low %= modulo
    end = low + length
    if end <= modulo:
        return [(low, end)]
    return [(low, modulo), (0, end - modulo)]


def _shifted(
    zones: Iterable[str],
    moment: dt.datetime,
    visitor_zone: str,
    ranges: list[tuple[int, int]],
    field: str,
    modulo: int,
) -> Q:
    """Schedules whose start, seen on the visitor's clock, falls in one of ``ranges``."""
    visitor_offset = _offset_minutes(moment, visitor_zone)
    parts = []
    for (offset,), group in group_zones(zones, moment).items():
        shift = visitor_offset - offset  # visitor clock = zone clock + shift
        ranges_here: list[tuple[int, int]] = []
        for low, high in ranges:
            ranges_here += _wrapped_ranges(low - shift, high - shift, modulo)
        condition = NOTHING
        for low, high in ranges_here:
            condition |= Q(**{f"{field}__gte": low, f"{field}__lt": high})
        parts.append(Q(timezone__in=group) & condition)
    return _combine(parts)


def on_weekdays(zones, moment, visitor_zone: str, weekdays: Iterable[int]) -> Q:
    """Weekly patterns that start on these weekdays (0 = Sunday) in the visitor's zone."""
    ranges = [(d * MINUTES_PER_DAY, (d + 1) * MINUTES_PER_DAY) for d in sorted(set(weekdays))]
    return _shifted(zones, moment, visitor_zone, ranges, "start_week_minute", MINUTES_PER_WEEK)


def at_times_of_day(zones, moment, visitor_zone: str, names: Iterable[str]) -> Q:
    ranges = [r for name in names for r in TIMES_OF_DAY[name][1]]
    return _shifted(zones, moment, visitor_zone, ranges, "start_minute", MINUTES_PER_DAY)


def visitor_day_bounds(moment: dt.datetime, visitor_zone: str) -> tuple[dt.datetime, dt.datetime]:
    local = moment.astimezone(ZoneInfo(visitor_zone))
    start = dt.datetime.combine(local.date(), dt.time(0), tzinfo=ZoneInfo(visitor_zone))
    end = dt.datetime.combine(
        local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(visitor_zone)
    )
    return start, end


def _week_shifts(zones, moment: dt.datetime, visitor_zone: str) -> list[tuple[list[str], int]]:
    """(zones, minutes to add to a zone's clock to read the visitor's clock) per offset group."""
    visitor_offset = _offset_minutes(moment, visitor_zone)
    return [
        (group, visitor_offset - offset) for (offset,), group in group_zones(zones, moment).items()
    ]


def visitor_clock(zones, moment, visitor_zone: str, field: str, modulo: int):
    """A SQL expression: the schedule's start on the visitor's clock (week or day minutes)."""
    from django.db.models import Case, IntegerField, When

    whens = [
        When(timezone__in=group, then=Mod(F(field) + (shift + 2 * modulo), modulo))
        for group, shift in _week_shifts(zones, moment, visitor_zone)
    ]
    return Case(*whens, default=Value(None), output_field=IntegerField())


def visitor_weekday_bucket(zones, moment, visitor_zone: str):
    from django.db.models import IntegerField
    from django.db.models.functions import Cast

    minute = visitor_clock(zones, moment, visitor_zone, "start_week_minute", MINUTES_PER_WEEK)
    return Cast(minute / MINUTES_PER_DAY, IntegerField())
