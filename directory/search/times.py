"""Time on the search index: the schedule conditions of one search at one minute ("now",
"soon", "today", a weekday, a time of day, minutes to the next start) as masks over the
index's schedules (``TimeMasks``), exact across daylight-saving changes like the schedules'
own arithmetic in ``directory.scheduling``, and shared by every search of that minute and
visitor offset (``_MinuteTimes``).
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import numpy as np

from directory.scheduling import (
    EPOCH_SUNDAY,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    TIMES_OF_DAY,
    offset_minutes,
    sunday_based_weekday,
    week_positions,
)
from directory.search.index import NO_VALUE, TIME_OF_DAY_VALUES, ListingIndex

# The time-of-day bucket of each minute of the day (index into TIME_OF_DAY_VALUES).
_TIME_OF_DAY_BY_MINUTE = np.full(MINUTES_PER_DAY, NO_VALUE, dtype=np.int8)
for _code, (_label, _ranges) in enumerate(TIMES_OF_DAY.values()):
    for _low, _high in _ranges:
        _TIME_OF_DAY_BY_MINUTE[_low:_high] = _code


def _day_number(day: dt.date) -> int:
    return (day - EPOCH_SUNDAY).days


EPOCH_UTC = dt.datetime.combine(EPOCH_SUNDAY, dt.time(0), tzinfo=dt.UTC)
_EPOCH_DAY = np.datetime64(EPOCH_SUNDAY.isoformat(), "D")


def _holds_position(days: np.ndarray, week_of_month: np.ndarray) -> np.ndarray:
    """Whether each date (a day number) is its month's ``week_of_month``-th weekday of its
    kind (1-4; -1: the last), as ``directory.scheduling.week_positions``."""
    dates = _EPOCH_DAY + days
    month = dates.astype("datetime64[M]")
    day_of_month = (dates - month.astype("datetime64[D]")).astype(np.int64) + 1
    next_month = (month + np.timedelta64(1, "M")).astype("datetime64[D]")
    month_days = (next_month - month.astype("datetime64[D]")).astype(np.int64)
    position = (day_of_month - 1) // 7 + 1
    is_last = day_of_month + 7 > month_days
    return (week_of_month == position) | ((week_of_month == -1) & is_last)


class _DayOffsets:
    """Each zone's UTC offset (minutes) at local midnight and noon of each day of a range.

    A meeting's start takes the noon offset, except on a day the offset changes (two a year
    per zone), where it is computed exactly at its own local time, as ``local_start`` does.
    One table per index and range, shared by the processes' threads.
    """

    _recent: dict[tuple, _DayOffsets] = {}

    def __init__(self, index: ListingIndex, first: int, last: int):
        self.index, self.first = index, first
        days = [EPOCH_SUNDAY + dt.timedelta(days=d) for d in range(first, last + 1)]
        midnight = np.empty((len(index.zones), len(days)), dtype=np.int64)
        noon = np.empty_like(midnight)
        for z, zone in enumerate(index.zone_infos):
            for i, day in enumerate(days):
                midnight[z, i] = _offset(dt.datetime.combine(day, dt.time(0), tzinfo=zone))
                noon[z, i] = _offset(dt.datetime.combine(day, dt.time(12), tzinfo=zone))
        self.noon = noon
        self.changes = midnight != noon

    @classmethod
    def of(cls, index: ListingIndex, first: int, last: int) -> _DayOffsets:
        key = (id(index), first, last)
        found = cls._recent.get(key)
        if found is None or found.index is not index:
            found = cls(index, first, last)
            cls._recent = {key: found}  # one range kept: it moves once a day
        return found

    def at(self, zones: np.ndarray, days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """The offsets at local ``minutes`` after the start of ``days`` (past midnight:
        the next day's clock, as a wall-clock sum reads it)."""
        days = days + minutes // MINUTES_PER_DAY
        minutes = minutes % MINUTES_PER_DAY
        column = days - self.first
        offsets = self.noon[zones, column]
        changing = np.flatnonzero(self.changes[zones, column])
        for i in changing.tolist():  # the few meetings on a day the clocks change
            zone = self.index.zone_infos[zones[i]]
            day = EPOCH_SUNDAY + dt.timedelta(days=int(days[i]))
            local = dt.time(int(minutes[i]) // 60, int(minutes[i]) % 60)
            offsets[i] = _offset(dt.datetime.combine(day, local, tzinfo=zone))
        return offsets


def _offset(moment: dt.datetime) -> int:
    return int(moment.utcoffset().total_seconds() // 60)


class _MinuteTimes:
    """The time conditions of one minute on one index, shared by every search in that minute.

    They depend only on the index, the minute and (for day, time of day and "today") the
    visitor's UTC offset or day, never on the search, so each process computes them once a
    minute per visitor offset instead of once per request.
    """

    def __init__(self, index: ListingIndex, minute: dt.datetime):
        self.index = index
        self.minute = minute
        self.cache: dict = {}

    def get(self, key, compute):
        found = self.cache.get(key)
        if found is None:
            found = compute()
            self.cache[key] = found  # two threads may compute it at once: same value
        return found


_recent_minutes: dict[tuple, _MinuteTimes] = {}
_recent_minutes_lock = threading.Lock()
RECENT_MINUTES = 2


class TimeMasks:
    """The schedule conditions of one request, evaluated at one instant on the index.

    Each zone's offset and local date are computed once (a few dozen zones), then gathered
    per schedule; the result is exact across daylight-saving changes, like the schedules'
    own arithmetic in ``directory.scheduling``. Conditions are exact to the minute (schedules
    start on whole minutes) and are shared through ``_MinuteTimes``.
    """

    def __init__(self, index: ListingIndex, moment: dt.datetime, visitor_tz: str):
        self.index = index
        self.moment = moment.replace(second=0, microsecond=0)
        self.visitor_tz = visitor_tz
        self.visitor_offset = offset_minutes(self.moment, visitor_tz)
        key = (id(index), self.moment)
        with _recent_minutes_lock:
            times = _recent_minutes.get(key)
            if times is None or times.index is not index:
                times = _MinuteTimes(index, self.moment)
                _recent_minutes[key] = times
                # An index replaced by a newer one is let go with its conditions at once, not
                # a minute or two later: after a burst of edits a process held three.
                for stale in [k for k, held in _recent_minutes.items() if held.index is not index]:
                    del _recent_minutes[stale]
                while len(_recent_minutes) > RECENT_MINUTES:
                    del _recent_minutes[next(iter(_recent_minutes))]
        self.times = times

    def _local(self, moment: dt.datetime) -> list[dt.datetime]:
        return [moment.astimezone(zone) for zone in self.index.zone_infos]

    def _on_days(self, day_per_zone: list[dt.date]) -> np.ndarray:
        """Schedule positions whose weekday is their zone's weekday on its given local day."""
        ix = self.index
        table = np.zeros(len(ix.zones) * 7, dtype=bool)
        weekdays = [sunday_based_weekday(d) for d in day_per_zone]
        table[np.arange(len(ix.zones)) * 7 + np.array(weekdays, dtype=np.intp)] = True
        return np.flatnonzero(table[ix.schedule_zone_weekday])

    def _occurs(self, candidates: np.ndarray, day_per_zone: list[dt.date]) -> np.ndarray:
        """Of ``candidates`` (on the right weekday), those with a meeting on their zone's day:
        within the validity window, and on the right week for monthly and every-N-weeks."""
        ix = self.index
        zone = ix.schedule_zone[candidates]
        day_numbers = np.array([_day_number(d) for d in day_per_zone], dtype=np.int64)
        position = np.array([(d.day - 1) // 7 + 1 for d in day_per_zone], dtype=np.int8)
        last = np.array([-1 in week_positions(d) for d in day_per_zone], dtype=bool)
        day = day_numbers[zone]
        ok = (ix.schedule_valid_from[candidates] <= day) & (day <= ix.schedule_valid_to[candidates])
        kind = ix.schedule_kind[candidates]
        week_of_month = ix.schedule_week_of_month[candidates]
        monthly = (kind == 1) & (
            (week_of_month == position[zone]) | ((week_of_month == -1) & last[zone])
        )
        interval = (kind == 2) & (
            (day - ix.schedule_anchor_day[candidates]) % ix.schedule_interval_days[candidates] == 0
        )
        ok &= (kind == 0) | monthly | interval
        return candidates[ok]

    def _mask(self, positions: list[np.ndarray]) -> np.ndarray:
        mask = np.zeros(len(self.index.schedule_listing), dtype=bool)
        for found in positions:
            mask[found] = True
        return mask

    def in_progress(self) -> np.ndarray:
        """Schedules with a meeting under way now (including ones that began yesterday)."""
        return self.times.get("now", self._in_progress)

    def _in_progress(self) -> np.ndarray:
        ix = self.index
        locals_ = self._local(self.moment)
        minute = np.array([t.hour * 60 + t.minute for t in locals_], dtype=np.int32)
        found = []
        for days_back in (0, 1):
            days = [t.date() - dt.timedelta(days=days_back) for t in locals_]
            candidates = self._on_days(days)
            here = minute[ix.schedule_zone[candidates]] + days_back * MINUTES_PER_DAY
            start, end = ix.schedule_start[candidates], ix.schedule_end[candidates]
            if days_back:
                candidates = candidates[end > here]
            else:
                candidates = candidates[(start <= here) & (end > here)]
            found.append(self._occurs(candidates, days))
        return self._mask(found)

    def starts_between(self, start: dt.datetime, end: dt.datetime) -> np.ndarray:
        """Schedules with a meeting starting in [start, end) (at most a few days apart)."""
        key = ("between", start.astimezone(dt.UTC), end.astimezone(dt.UTC))
        return self.times.get(key, lambda: self._starts_between(start, end))

    def _starts_between(self, start: dt.datetime, end: dt.datetime) -> np.ndarray:
        ix = self.index
        starts, ends = self._local(start), self._local(end)
        # Each zone sees the window as one to three (local date, minute range) parts.
        parts_per_zone = []
        for local_start, local_end in zip(starts, ends, strict=True):
            parts, day = [], local_start.date()
            while day <= local_end.date():
                low = local_start.hour * 60 + local_start.minute if day == local_start.date() else 0
                high = (
                    local_end.hour * 60 + local_end.minute
                    if day == local_end.date()
                    else MINUTES_PER_DAY
                )
                parts.append((day, low, high))
                day += dt.timedelta(days=1)
            parts_per_zone.append(parts)
        found = []
        for k in range(max((len(p) for p in parts_per_zone), default=0)):
            days, lows, highs = [], [], []
            for parts in parts_per_zone:
                day, low, high = parts[k] if k < len(parts) else (parts[0][0], 0, 0)
                days.append(day)
                lows.append(low)
                highs.append(high)
            candidates = self._on_days(days)
            zone = ix.schedule_zone[candidates]
            minute = ix.schedule_start[candidates]
            low = np.array(lows, dtype=np.int32)[zone]
            high = np.array(highs, dtype=np.int32)[zone]
            found.append(self._occurs(candidates[(minute >= low) & (minute < high)], days))
        return self._mask(found)

    def visitor_day_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = ZoneInfo(self.visitor_tz)
        day = self.moment.astimezone(zone).date()
        return (
            dt.datetime.combine(day, dt.time(0), tzinfo=zone),
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
        )

    def when(self, value: str) -> np.ndarray:
        if value == "now":
            return self.in_progress()
        if value == "soon":
            return self.starts_between(self.moment, self.moment + dt.timedelta(hours=1))
        return self.starts_between(*self.visitor_day_bounds())

    def _shift(self) -> np.ndarray:
        """Minutes to add to each schedule's own clock to read the visitor's clock."""
        per_zone = np.array(
            [
                self.visitor_offset - int(local.utcoffset().total_seconds() // 60)
                for local in self._local(self.moment)
            ],
            dtype=np.int32,
        )
        return per_zone[self.index.schedule_zone]

    def visitor_weekday(self) -> np.ndarray:
        """The weekday (0 = Sunday) each weekly slot starts on, on the visitor's clock."""

        def compute():
            minute = (self.index.schedule_week_minute + self._shift()) % MINUTES_PER_WEEK
            return (minute // MINUTES_PER_DAY).astype(np.int8)

        return self.times.get(("weekday", self.visitor_offset), compute)

    def visitor_time_of_day(self) -> np.ndarray:
        """Each schedule's start as a time-of-day code, on the visitor's clock."""

        def compute():
            minute = (self.index.schedule_start + self._shift()) % MINUTES_PER_DAY
            return _TIME_OF_DAY_BY_MINUTE[minute]

        return self.times.get(("time", self.visitor_offset), compute)

    def listings_per_bucket(self, name: str) -> np.ndarray:
        """(buckets x listings) booleans: a listing has a schedule starting in that day
        ("day", 7 rows) or time of day ("time", 4 rows), on the visitor's clock."""

        def compute():
            buckets = self.visitor_weekday() if name == "day" else self.visitor_time_of_day()
            rows = 7 if name == "day" else len(TIME_OF_DAY_VALUES)
            table = np.zeros((rows, self.index.size), dtype=bool)
            table[buckets.astype(np.intp), self.index.schedule_listing] = True
            return table

        return self.times.get(("per-bucket", name, self.visitor_offset), compute)

    def minutes_to_next_start(self) -> np.ndarray:
        """Per listing, minutes from this minute to its next meeting's start, exactly as the
        cards compute it (``next_start_for_listing``): a meeting under way counts, with its
        own (past, so negative) start; monthly and every-N-weeks dates are real dates.
        Listings with no meeting ahead get the largest int32."""
        return self.times.get("next-start", self._minutes_to_next_start)

    def _minutes_to_next_start(self) -> np.ndarray:
        ix = self.index
        none = np.iinfo(np.int32).max
        if not len(ix.schedule_listing):
            return np.full(ix.size, none, dtype=np.int32)
        now = int((self.moment - EPOCH_UTC).total_seconds() // 60)
        today = np.array([_day_number(t.date()) for t in self._local(self.moment)], np.int64)
        zone = ix.schedule_zone
        weekday = ix.schedule_weekday.astype(np.int64)
        # The first candidate day, as ``occurrences`` looks: from the zone's yesterday (a
        # meeting may still be under way), on the right weekday, not before valid_from, and
        # for every-N-weeks on the anchor's cycle; then at most 400 days on.
        first = today[zone] - 1
        last = np.minimum(first + 400, ix.schedule_valid_to)
        valid_from = ix.schedule_valid_from.astype(np.int64)
        first = np.maximum(first, valid_from)
        first += (weekday - first) % 7
        interval = ix.schedule_kind == 2
        step = np.where(interval, ix.schedule_interval_days, 7).astype(np.int64)
        anchor = ix.schedule_anchor_day.astype(np.int64)
        first = np.where(interval, first + (anchor - first) % step, first)
        offsets = _DayOffsets.of(ix, int(today.min()) - 1, int(today.max()) + 401)
        found = np.full(len(zone), none, dtype=np.int64)
        active = np.flatnonzero(first <= last)
        day = first[active]
        for _ in range(64):  # weekly: 2 steps at most; monthly: 6; every N weeks: 2
            if not len(active):
                break
            start = ix.schedule_start[active].astype(np.int64)
            end = ix.schedule_end[active].astype(np.int64)
            zones = zone[active]
            begins = day * MINUTES_PER_DAY + start - offsets.at(zones, day, start)
            # The end as ``occurrences`` has it: start + length on the local clock, so a
            # meeting in the hour the clocks skip ends when it starts.
            ends = day * MINUTES_PER_DAY + end - offsets.at(zones, day, end)
            ok = ends > now
            monthly = ix.schedule_kind[active] == 1
            if monthly.any():
                positions = ix.schedule_week_of_month[active[monthly]]
                ok[monthly] &= _holds_position(day[monthly], positions)
            found[active[ok]] = begins[ok] - now
            active, day = active[~ok], day[~ok]
            day = day + step[active]
            inside = day <= last[active]
            active, day = active[inside], day[inside]
        return ix.min_per_listing(found, empty=none).astype(np.int32)
