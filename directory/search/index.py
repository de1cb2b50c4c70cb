"""The search index: a read model of the searchable listings, held in memory by each process.

Facet counts need "all *other* filters applied" for every value of every facet; in SQL that
is some twenty queries, each re-scanning the candidate listings and re-evaluating per-zone
time conditions over every schedule. Here the listings are integer-coded columns and the
schedules are arrays, so a whole results page with its counts is a few dozen vectorised
operations (numpy) over about 100,000 + 300,000 numbers.

PostgreSQL stays the system of record: the index is rebuilt from it whenever the database's
search version changes (``directory.search.freshness``). Keyword matching stays in the
database (full text and trigrams) and reaches the index as a set of listing ids.

Listings are stored in the database's own ``ORDER BY name, id`` order, so position is the
name order (with the database's collation) and every sort is a stable sort on positions.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import F

from directory.models import Feature, Organization, Resource, Schedule, SupportType
from directory.models.listings import DaysSinceEpochSunday
from directory.scheduling import (
    EPOCH_SUNDAY,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    TIMES_OF_DAY,
    offset_minutes,
    sunday_based_weekday,
    week_positions,
)

KIND_CODES = {"weekly": 0, "monthly": 1, "interval": 2}
NO_VALUE = -1
FAR_PAST = -(2**30)
FAR_FUTURE = 2**30
ATTENDANCE_VALUES = [
    Resource.Attendance.IN_PERSON.value,
    Resource.Attendance.ONLINE.value,
    Resource.Attendance.HYBRID.value,
]
COST_VALUES = [value for value, _ in Resource.Cost.choices]
TIME_OF_DAY_VALUES = list(TIMES_OF_DAY)
# The time-of-day bucket of each minute of the day (index into TIME_OF_DAY_VALUES).
_TIME_OF_DAY_BY_MINUTE = np.full(MINUTES_PER_DAY, NO_VALUE, dtype=np.int8)
for _code, (_label, _ranges) in enumerate(TIMES_OF_DAY.values()):
    for _low, _high in _ranges:
        _TIME_OF_DAY_BY_MINUTE[_low:_high] = _code


@dataclass
class Codes:
    """The distinct values of one coded column, in first-seen order, and their labels."""

    values: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    by_value: dict[str, int] = field(default_factory=dict)

    def code(self, value: str | None, label: str | None = None) -> int:
        if value is None or value == "":
            return NO_VALUE
        found = self.by_value.get(value)
        if found is None:
            found = self.by_value[value] = len(self.values)
            self.values.append(value)
            self.labels.append(label if label is not None else value)
        return found

    def codes_of(self, values) -> list[int]:
        return [self.by_value[v] for v in values if v in self.by_value]


@dataclass
class ListingIndex:
    """Integer-coded columns of the searchable listings and arrays of their schedules."""

    version: object
    built_in: float
    ids: np.ndarray  # listing ids in name order (position = name rank)
    types: Codes
    type_code: np.ndarray
    attendance_code: np.ndarray
    cost_code: np.ndarray
    orgs: Codes
    org_code: np.ndarray
    regions: Codes
    region_code: np.ndarray
    latitude: np.ndarray  # NaN without coordinates
    longitude: np.ndarray
    features: Codes  # slugs and names; ``feature_category`` holds each one's category slug
    feature_category: list[str]
    feature_listing: np.ndarray  # one row per (listing, feature) pair
    feature_code: np.ndarray
    zones: list[str]
    schedule_listing: np.ndarray  # schedules sorted by listing position
    schedule_kind: np.ndarray
    schedule_weekday: np.ndarray
    schedule_start: np.ndarray  # minute of the day, in the schedule's zone
    schedule_end: np.ndarray  # may pass 1440 for a meeting that ends after midnight
    schedule_week_minute: np.ndarray
    schedule_zone: np.ndarray
    schedule_week_of_month: np.ndarray  # 0 when not monthly
    schedule_interval_days: np.ndarray  # 1 when not every-N-weeks (a safe divisor)
    schedule_anchor_day: np.ndarray
    schedule_valid_from: np.ndarray  # day numbers since EPOCH_SUNDAY
    schedule_valid_to: np.ndarray
    _sorted_ids: np.ndarray = field(repr=False, default=None)
    _sorted_positions: np.ndarray = field(repr=False, default=None)
    _segment_starts: np.ndarray = field(repr=False, default=None)
    _segment_listings: np.ndarray = field(repr=False, default=None)

    def __post_init__(self):
        # Strong references: ZoneInfo's own cache keeps only a few, and reloading is slow.
        self.zone_infos = [ZoneInfo(zone) for zone in self.zones]
        order = np.argsort(self.ids, kind="stable")
        self._sorted_ids = self.ids[order]
        self._sorted_positions = order
        if len(self.schedule_listing):
            change = np.flatnonzero(np.diff(self.schedule_listing)) + 1
            self._segment_starts = np.concatenate(([0], change))
        else:
            self._segment_starts = np.zeros(0, dtype=np.int64)
        self._segment_listings = self.schedule_listing[self._segment_starts]

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return sum(value.nbytes for value in vars(self).values() if isinstance(value, np.ndarray))

    def positions_of(self, ids) -> np.ndarray:
        """Positions of the listings with these ids (ids not in the index are left out)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids) or not self.size:
            return np.zeros(0, dtype=np.int64)
        where = np.searchsorted(self._sorted_ids, ids)
        where = np.minimum(where, self.size - 1)
        found = self._sorted_ids[where] == ids
        return self._sorted_positions[where[found]]

    def listings_with(self, schedule_mask: np.ndarray) -> np.ndarray:
        """Listings with at least one schedule in ``schedule_mask``."""
        mask = np.zeros(self.size, dtype=bool)
        mask[self.schedule_listing[schedule_mask]] = True
        return mask

    def listings_having_features(self, codes: list[int]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        if codes:
            mask[self.feature_listing[np.isin(self.feature_code, codes)]] = True
        return mask

    def min_per_listing(self, schedule_values: np.ndarray, empty) -> np.ndarray:
        """The smallest schedule value of each listing (``empty`` for listings without)."""
        result = np.full(self.size, empty, dtype=schedule_values.dtype)
        if len(self._segment_starts):
            result[self._segment_listings] = np.minimum.reduceat(
                schedule_values, self._segment_starts
            )
        return result


def build_index(version=None) -> ListingIndex:
    """Read the searchable listings (published, not inactive) and their schedules."""
    started = time.perf_counter()
    rows = (
        Resource.objects.published()
        .exclude(attendance=Resource.Attendance.INACTIVE)
        .order_by("name", "pk")
        .values_list(
            "pk",
            "support_type__slug",
            "support_type__name",
            "attendance",
            "cost",
            "organization__slug",
            "organization__name",
            "location__region",
            "location__latitude",
            "location__longitude",
        )
    )
    types, orgs, regions = Codes(), Codes(), Codes()
    # Every type and organisation, so a selected one with no listings still has its name.
    for slug, name in SupportType.objects.order_by("pk").values_list("slug", "name"):
        types.code(slug, name)
    for slug, name in Organization.objects.order_by("pk").values_list("slug", "name"):
        orgs.code(slug, name)
    attendance_codes = {value: i for i, value in enumerate(ATTENDANCE_VALUES)}
    cost_codes = {value: i for i, value in enumerate(COST_VALUES)}
    (pks, type_slugs, type_names, attendances, costs, org_slugs, org_names, region_names,
     latitudes, longitudes) = _columns(rows, 10)  # fmt: skip
    ids = np.array(pks, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]

    def positions(id_column) -> tuple[np.ndarray, np.ndarray]:
        """(positions, kept) for a column of listing ids: rows of other listings are dropped."""
        wanted = np.array(id_column, dtype=np.int64)
        if not len(sorted_ids) or not len(wanted):
            return np.zeros(0, dtype=np.intp), np.zeros(len(wanted), dtype=bool)
        where = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
        kept = sorted_ids[where] == wanted
        return order[where[kept]], kept

    features = Codes()
    feature_category = []
    code_of_feature_id = {}
    for pk, slug, name, category in Feature.objects.order_by("pk").values_list(
        "pk", "slug", "name", "category__slug"
    ):
        code_of_feature_id[pk] = features.code(slug, name)
        feature_category.append(category)
    link_resources, link_features = _columns(
        Resource.features.through.objects.order_by().values_list("resource_id", "feature_id"), 2
    )
    link_listing, kept = positions(link_resources)
    link_code = np.array([code_of_feature_id[f] for f in link_features], dtype=np.intp)[kept]

    schedule_rows = (
        Schedule.objects.order_by()
        .annotate(valid_from_day=DaysSinceEpochSunday(F("valid_from")))
        .annotate(valid_to_day=DaysSinceEpochSunday(F("valid_to")))
        .values_list(
            "resource_id",
            "kind",
            "weekday",
            "start_minute",
            "end_minute",
            "start_week_minute",
            "timezone",
            "week_of_month",
            "interval_weeks",
            "anchor_day",
            "valid_from_day",
            "valid_to_day",
        )
    )
    (resource_ids, kinds, weekdays, starts, ends, week_minutes, zone_names, weeks_of_month,
     interval_weeks, anchor_days, valid_froms, valid_tos) = _columns(schedule_rows, 12)  # fmt: skip
    zone_codes: dict[str, int] = {}
    schedule_listing, kept = positions(resource_ids)
    by_listing = np.argsort(schedule_listing, kind="stable")

    def column(values, dtype, missing=0) -> np.ndarray:
        if missing is not None and None in values:
            values = [missing if v is None else v for v in values]
        return np.array(values, dtype=dtype)[kept][by_listing]

    index = ListingIndex(
        version=version,
        built_in=0.0,
        ids=ids,
        types=types,
        type_code=np.array(
            [types.code(slug, name) for slug, name in zip(type_slugs, type_names, strict=True)],
            dtype=np.int16,
        ),
        attendance_code=np.array([attendance_codes.get(a, NO_VALUE) for a in attendances], np.int8),
        cost_code=np.array([cost_codes.get(c, NO_VALUE) for c in costs], dtype=np.int8),
        orgs=orgs,
        org_code=np.array(
            [orgs.code(slug, name) for slug, name in zip(org_slugs, org_names, strict=True)],
            dtype=np.int32,
        ),
        regions=regions,
        region_code=np.array([regions.code(r) for r in region_names], dtype=np.int32),
        latitude=np.array(latitudes, dtype=np.float64),  # None becomes NaN
        longitude=np.array(longitudes, dtype=np.float64),
        features=features,
        feature_category=feature_category,
        feature_listing=link_listing,
        feature_code=link_code,
        schedule_listing=schedule_listing[by_listing],
        schedule_kind=column([KIND_CODES.get(k, NO_VALUE) for k in kinds], np.int8),
        schedule_weekday=column(weekdays, np.int8),
        schedule_start=column(starts, np.int32),
        schedule_end=column(ends, np.int32),
        schedule_week_minute=column(week_minutes, np.int32),
        schedule_zone=column(
            [zone_codes.setdefault(z, len(zone_codes)) for z in zone_names], np.intp
        ),
        schedule_week_of_month=column(weeks_of_month, np.int8),
        schedule_interval_days=column([w * 7 if w else 1 for w in interval_weeks], np.int32),
        schedule_anchor_day=column(anchor_days, np.int32),
        schedule_valid_from=column(valid_froms, np.int32, missing=FAR_PAST),
        schedule_valid_to=column(valid_tos, np.int32, missing=FAR_FUTURE),
        zones=list(zone_codes),
    )
    index.built_in = time.perf_counter() - started
    return index


def _columns(rows, width: int) -> list[tuple]:
    """Rows to columns (``width`` empty columns when there are no rows)."""
    columns = list(zip(*rows, strict=True))
    return columns if columns else [() for _ in range(width)]


# --- time on the index ---------------------------------------------------------------------


def _day_number(day: dt.date) -> int:
    return (day - EPOCH_SUNDAY).days


RECENT_CLOCKS = 4
_recent_clocks: dict[tuple, Clock] = {}


class Clock:
    """The schedule conditions of one request, evaluated at one instant on the index.

    Each zone's offset and local date are computed once (a few dozen zones), then gathered
    per schedule; the result is exact across daylight-saving changes, like the schedules'
    own arithmetic in ``directory.scheduling``.
    """

    def __init__(self, index: ListingIndex, moment: dt.datetime, visitor_tz: str):
        self.index = index
        # Every condition is exact to the minute (schedules start on whole minutes).
        self.moment = moment.replace(second=0, microsecond=0)
        self.visitor_tz = visitor_tz
        self._cache: dict = {}

    @classmethod
    def at(cls, index: ListingIndex, moment: dt.datetime, visitor_tz: str) -> Clock:
        """The clock of this minute and zone, shared by every search made in that minute.

        Its conditions depend only on the index, the minute and the visitor's zone, not on
        the search, so requests in the same minute reuse them (a handful per process).
        """
        key = (id(index), moment.replace(second=0, microsecond=0), visitor_tz)
        clock = _recent_clocks.get(key)
        if clock is None or clock.index is not index:
            clock = cls(index, moment, visitor_tz)
            _recent_clocks[key] = clock
            while len(_recent_clocks) > RECENT_CLOCKS:
                _recent_clocks.pop(next(iter(_recent_clocks)), None)
        return clock

    def _local(self, moment: dt.datetime) -> list[dt.datetime]:
        return [moment.astimezone(zone) for zone in self.index.zone_infos]

    def _occurs(self, candidates: np.ndarray, day_per_zone: list[dt.date]) -> np.ndarray:
        """Of the schedule positions ``candidates``, those with a meeting on their zone's day."""
        ix = self.index
        zone = ix.schedule_zone[candidates]
        day_numbers = np.array([_day_number(d) for d in day_per_zone], dtype=np.int64)
        weekdays = np.array([sunday_based_weekday(d) for d in day_per_zone], dtype=np.int8)
        position = np.array([(d.day - 1) // 7 + 1 for d in day_per_zone], dtype=np.int8)
        last = np.array([-1 in week_positions(d) for d in day_per_zone], dtype=bool)
        day = day_numbers[zone]
        ok = ix.schedule_weekday[candidates] == weekdays[zone]
        ok &= (ix.schedule_valid_from[candidates] <= day) & (
            day <= ix.schedule_valid_to[candidates]
        )
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
        if "now" not in self._cache:
            ix = self.index
            locals_ = self._local(self.moment)
            minute = np.array([t.hour * 60 + t.minute for t in locals_], dtype=np.int32)
            here = minute[ix.schedule_zone]
            today = np.flatnonzero((ix.schedule_start <= here) & (ix.schedule_end > here))
            yesterday = np.flatnonzero(ix.schedule_end > here + MINUTES_PER_DAY)
            self._cache["now"] = self._mask(
                [
                    self._occurs(today, [t.date() for t in locals_]),
                    self._occurs(yesterday, [t.date() - dt.timedelta(days=1) for t in locals_]),
                ]
            )
        return self._cache["now"]

    def starts_between(self, start: dt.datetime, end: dt.datetime) -> np.ndarray:
        """Schedules with a meeting starting in [start, end) (at most a few days apart)."""
        key = ("between", start, end)
        if key not in self._cache:
            ix = self.index
            starts, ends = self._local(start), self._local(end)
            # Each zone sees the window as one to three (local date, minute range) parts.
            parts_per_zone = []
            for local_start, local_end in zip(starts, ends, strict=True):
                parts, day = [], local_start.date()
                while day <= local_end.date():
                    low = (
                        local_start.hour * 60 + local_start.minute
                        if day == local_start.date()
                        else 0
                    )
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
                low = np.array(lows, dtype=np.int32)[ix.schedule_zone]
                high = np.array(highs, dtype=np.int32)[ix.schedule_zone]
                candidates = np.flatnonzero((ix.schedule_start >= low) & (ix.schedule_start < high))
                found.append(self._occurs(candidates, days))
            self._cache[key] = self._mask(found)
        return self._cache[key]

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
        if "shift" not in self._cache:
            visitor = offset_minutes(self.moment, self.visitor_tz)
            per_zone = np.array(
                [
                    visitor - int(local.utcoffset().total_seconds() // 60)
                    for local in self._local(self.moment)
                ],
                dtype=np.int32,
            )
            self._cache["shift"] = per_zone[self.index.schedule_zone]
        return self._cache["shift"]

    def visitor_weekday(self) -> np.ndarray:
        """The weekday (0 = Sunday) each weekly slot starts on, on the visitor's clock."""
        if "weekday" not in self._cache:
            minute = (self.index.schedule_week_minute + self._shift()) % MINUTES_PER_WEEK
            self._cache["weekday"] = (minute // MINUTES_PER_DAY).astype(np.int8)
        return self._cache["weekday"]

    def visitor_time_of_day(self) -> np.ndarray:
        """Each schedule's start as a time-of-day code, on the visitor's clock."""
        if "time" not in self._cache:
            minute = (self.index.schedule_start + self._shift()) % MINUTES_PER_DAY
            self._cache["time"] = _TIME_OF_DAY_BY_MINUTE[minute]
        return self._cache["time"]

    def minutes_to_next_weekly_slot(self) -> np.ndarray:
        """Per listing, minutes from now to its next weekly slot (under way = soonest).

        Monthly and every-N-weeks schedules count by their weekly slot; cards show their
        exact next date.
        """
        ix = self.index
        week_minute = np.array(
            [
                sunday_based_weekday(t.date()) * MINUTES_PER_DAY + t.hour * 60 + t.minute
                for t in self._local(self.moment)
            ],
            dtype=np.int32,
        )
        delta = (
            ix.schedule_week_minute - week_minute[ix.schedule_zone] + MINUTES_PER_WEEK + 60
        ) % MINUTES_PER_WEEK
        return ix.min_per_listing(delta.astype(np.int32), empty=np.iinfo(np.int32).max)
