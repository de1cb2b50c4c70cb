"""The oracle's filters (part of tests/oracle/sql_search.py): each facet's condition in SQL,
the schedule conditions on every zone's clock (tests/oracle/timeq.py), and the listings that
the keyword and the distance leave before any facet."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Q, QuerySet

from directory.models import Listing, Schedule
from directory.search import geo
from tests.oracle import keyword_sql, timeq
from tests.oracle.sql_vocabulary import FIELD_FACETS, SCHEDULE_FACETS, ListingQuery

# --- building blocks ---------------------------------------------------------------------


def zones_in_use() -> list[str]:
    """The distinct schedule time zones (cached briefly: a few dozen strings)."""
    zones = cache.get("directory:schedule-zones")
    if zones is None:
        zones = sorted(Schedule.objects.order_by().values_list("timezone", flat=True).distinct())
        cache.set("directory:schedule-zones", zones, 60)
    return zones


class _Context:
    """Per-request inputs to the schedule conditions."""

    def __init__(self, now: dt.datetime, visitor_tz: str):
        self.now = now
        self.visitor_tz = visitor_tz
        self._zones: list[str] | None = None
        self.conditions: dict[tuple, Q] = {}
        self.listing_ids: dict[tuple, list[int]] = {}

    @property
    def zones(self) -> list[str]:
        if self._zones is None:
            self._zones = zones_in_use()
        return self._zones


def _schedule_condition(name: str, values: list[str], ctx: _Context) -> Q:
    """One schedule facet's condition, built once per request (facet counts reuse it often)."""
    key = (name, tuple(values))
    if key not in ctx.conditions:
        ctx.conditions[key] = _build_schedule_condition(name, values, ctx)
    return ctx.conditions[key]


def _build_schedule_condition(name: str, values: list[str], ctx: _Context) -> Q:
    if name == "when":
        q = timeq.NOTHING
        for value in values:
            if value == "now":
                q |= timeq.in_progress(ctx.zones, ctx.now)
            elif value == "soon":
                q |= timeq.starts_between(ctx.zones, ctx.now, ctx.now + dt.timedelta(hours=1))
            elif value == "today":
                q |= timeq.starts_between(
                    ctx.zones, *timeq.visitor_day_bounds(ctx.now, ctx.visitor_tz)
                )
        return q
    if name == "day":
        return timeq.on_weekdays(ctx.zones, ctx.now, ctx.visitor_tz, [int(v) for v in values])
    return timeq.at_times_of_day(ctx.zones, ctx.now, ctx.visitor_tz, values)


def _schedule_key(selection: dict[str, list[str]]) -> tuple:
    return tuple((name, tuple(selection[name])) for name in SCHEDULE_FACETS if selection.get(name))


def _schedules_matching(selection: dict[str, list[str]], ctx: _Context) -> QuerySet | None:
    """Schedules meeting every active time condition at once (Tuesday *and* evening)."""
    conditions = [
        _schedule_condition(name, selection[name], ctx)
        for name in SCHEDULE_FACETS
        if selection.get(name)
    ]
    if not conditions:
        return None
    combined = Q()
    for condition in conditions:
        combined &= condition
    return Schedule.objects.filter(combined)


def _schedules_q(selection: dict[str, list[str]], ctx: _Context) -> Q | None:
    """Listings with ONE schedule meeting every active time condition."""
    ids = ctx.listing_ids.get(_schedule_key(selection))
    if ids is not None:
        return Q(pk__in=ids) if ids else timeq.NOTHING
    schedules = _schedules_matching(selection, ctx)
    if schedules is None:
        return None
    return Q(pk__in=schedules.values("listing_id"))


# Up to this many matching schedules, the visitor's own time filter is looked up once and
# passed to the other queries as listing ids.
MATERIALISE_SCHEDULES = 10_000


def _materialise_time_filter(selection: dict[str, list[str]], ctx: _Context) -> None:
    """Look up once the listings that the visitor's day/time/"when" filter matches.

    That filter is part of nearly every query of the page (results and each facet's counts);
    as a subquery, the database evaluates its per-zone conditions over the schedules again
    for each one. When it matches few schedules (as "happening now" does), one query for
    them and their listing ids in the other queries is much cheaper. With more matches the
    subquery stays. The lookup stops early (no DISTINCT), so a broad filter costs little.
    """
    schedules = _schedules_matching(selection, ctx)
    if schedules is None:
        return
    rows = list(
        schedules.order_by().values_list("listing_id", flat=True)[: MATERIALISE_SCHEDULES + 1]
    )
    if len(rows) <= MATERIALISE_SCHEDULES:
        ctx.listing_ids[_schedule_key(selection)] = sorted(set(rows))


def _facet_q(name: str, values: list[str]) -> Q:
    if name in FIELD_FACETS:
        return Q(**{f"{FIELD_FACETS[name][1]}__in": values})
    through = Listing.features.through.objects.filter(feature__slug__in=values)
    return Q(pk__in=through.values("listing_id"))


def filter_q(selection: dict[str, list[str]], ctx: _Context, *, skip: str | None = None) -> Q:
    """All facet conditions of ``selection`` (optionally without one facet)."""
    q = Q()
    for name, values in selection.items():
        if values and name != skip and name not in SCHEDULE_FACETS:
            q &= _facet_q(name, values)
    if skip not in SCHEDULE_FACETS:
        schedules = _schedules_q(selection, ctx)
        if schedules is not None:
            q &= schedules
    else:
        schedules = _schedules_q({k: v for k, v in selection.items() if k != skip}, ctx)
        if schedules is not None:
            q &= schedules
    return q


def base_queryset(query: ListingQuery, origin: geo.Origin | None) -> tuple[QuerySet, object]:
    """Published, active listings matching the keyword and the distance, before facets."""
    qs = Listing.objects.published().exclude(attendance=Listing.Attendance.INACTIVE)
    rank = None
    if query.q:
        keyword_q, rank = keyword_sql.keyword_filter_and_rank(query.q)
        qs = qs.filter(keyword_q)
    if origin is not None:
        qs = qs.annotate(
            distance=geo.distance_miles("location__latitude", "location__longitude", origin)
        )
        if query.radius:
            qs = qs.filter(
                geo.bounding_box_q(
                    "location__latitude", "location__longitude", origin, query.radius
                ),
                distance__lte=query.radius,
            )
    return qs, rank
