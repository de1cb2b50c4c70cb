"""The reference oracle: the SQL implementation of the faceted search that the in-memory index
replaced (wave 1), kept to prove the index right (tests/test_search_differential.py).

Changes from the original, made to the oracle and the index alike: a selected type or
organisation without listings keeps its name as label; the "online meetings match your other
filters" count is what its link gives (online only, the keyword kept, no place); with no place
(or one the gazetteer does not know) and no "How it meets" ticked, the search holds online
listings only, not shown as ticked, and an empty result offers in-person listings anywhere.

Faceted search of published listings.

Within a facet, values combine with OR; across facets, AND. Every facet value carries the
number of results the visitor would get by toggling it, computed with every *other* active
filter applied, so a count shown always equals the results after clicking it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)

from directory.constants import FEATURE_CATEGORIES
from directory.models import Feature, Listing, Organization, Schedule, SupportType
from directory.scheduling import next_start_for_listing
from directory.search import geo
from tests.oracle import keyword_sql, timeq

PER_PAGE = 20
MAX_VALUES_PER_FACET = 12
SCHEDULE_FACETS = ("when", "day", "time")
WHEN_CHOICES = {
    "now": "Happening now",
    "soon": "Starting within the hour",
    "today": "Today",
}
DAY_CHOICES = {
    str(i): name
    for i, name in enumerate(
        ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    )
}
TIME_CHOICES = {key: label for key, (label, _) in timeq.TIMES_OF_DAY.items()}
ATTENDANCE_CHOICES = {
    Listing.Attendance.IN_PERSON.value: "In person",
    Listing.Attendance.ONLINE.value: "Online",
    Listing.Attendance.HYBRID.value: "Hybrid (in person and online)",
}
COST_CHOICES = dict(Listing.Cost.choices)
SORT_CHOICES = {
    "soonest": "Starting soonest",
    "distance": "Nearest first",
    "relevance": "Best match",
    "name": "Name (A–Z)",
}
FIELD_FACETS = {
    # name: (legend, lookup path, label path or None)
    "type": ("Type of support", "support_type__slug", "support_type__name"),
    "attendance": ("How it meets", "attendance", None),
    "cost": ("Cost", "cost", None),
    "org": ("Organization", "organization__slug", "organization__name"),
    "region": ("State or region", "location__region", None),
}
FEATURE_FACETS = dict(FEATURE_CATEGORIES)
FACET_ORDER = [
    "type",
    "attendance",
    "when",
    "day",
    "time",
    "audience",
    "format",
    "language",
    "accessibility",
    "focus",
    "cost",
    "region",
    "org",
]
FACET_LEGENDS = {
    **{name: spec[0] for name, spec in FIELD_FACETS.items()},
    **FEATURE_FACETS,
    "when": "When",
    "day": "Day of the week",
    "time": "Time of day",
}


@dataclass
class ListingQuery:
    """A validated search: what the search form hands to the selector."""

    selection: dict[str, list[str]] = field(default_factory=dict)
    q: str = ""
    near: str = ""
    latitude: float | None = None
    longitude: float | None = None
    radius: int | None = None
    sort: str = ""
    tz: str = "UTC"
    page: int = 1


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    params: dict = field(default_factory=dict)  # the query-string change that toggles it

    @property
    def disabled(self) -> bool:
        return self.count == 0 and not self.selected


@dataclass
class Facet:
    name: str
    legend: str
    values: list[FacetValue]

    @property
    def has_selection(self) -> bool:
        return any(v.selected for v in self.values)


@dataclass
class Page:
    number: int
    num_pages: int
    per_page: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return 0 if self.count == 0 else (self.number - 1) * self.per_page + 1

    @property
    def end_index(self) -> int:
        return min(self.number * self.per_page, self.count)


@dataclass
class Relaxation:
    """A way out of an empty result: drop a facet (or widen the radius) and get ``count``."""

    label: str
    params: dict
    count: int


@dataclass
class SearchResult:
    results: list[Listing]
    count: int
    page: Page
    facets: list[Facet]
    sort: str
    origin: geo.Origin | None
    place: geo.PlaceLookup
    visitor_tz: str
    relaxations: list[Relaxation] = field(default_factory=list)
    online_count: int | None = None


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


# --- facet counts ------------------------------------------------------------------------


def _toggle_counts(grouped: dict[str, int], selected: list[str], total: int) -> dict[str, int]:
    """Counts after toggling each value of a facet where every listing has ONE value."""
    if not selected:
        return dict(grouped)
    return {value: (total - n if value in selected else total + n) for value, n in grouped.items()}


def _field_facet(
    name: str, rows: QuerySet, selected: list[str], total: int, unticked: QuerySet
) -> Facet:
    legend, path, label_path = FIELD_FACETS[name]
    fields = [path] + ([label_path] if label_path else [])
    grouped_rows = (
        rows.order_by()
        .exclude(**{f"{path}__isnull": True})
        .exclude(**{path: ""})
        .values(*fields)
        .annotate(n=Count("pk"))
    )
    labels: dict[str, str] = {}
    grouped: dict[str, int] = {}
    for row in grouped_rows:
        grouped[row[path]] = row["n"]
        labels[row[path]] = row[label_path] if label_path else row[path]
    if name == "attendance":
        labels = ATTENDANCE_CHOICES
    elif name == "cost":
        labels = COST_CHOICES
    counts = _toggle_counts(grouped, selected, total)
    if len(selected) == 1:
        # Unticking the only value removes the facet's filter altogether (listings with no
        # value for it, e.g. online meetings without a region, come back too).
        counts[selected[0]] = unticked.order_by().count()
    for value in selected:  # a selected value with no listings still shows, to be removed
        counts.setdefault(value, total)
    missing = [value for value in selected if value not in labels]
    model = {"type": SupportType, "org": Organization}.get(name)
    if missing and model is not None:
        names = model.objects.filter(slug__in=missing).values_list("slug", "name")
        labels = {**labels, **dict(names)}
    values = [
        FacetValue(value, labels.get(value, value), count, value in selected)
        for value, count in counts.items()
        if value in labels or value in selected
    ]
    if name == "type":
        values.sort(key=lambda v: v.label)
    elif name in ("org", "region"):
        values.sort(key=lambda v: (not v.selected, -v.count, v.label))
        values = [v for v in values if v.selected] + [v for v in values if not v.selected][
            : MAX_VALUES_PER_FACET * 2 - len(selected)
        ]
    else:
        values.sort(key=lambda v: list(labels).index(v.value) if v.value in labels else 99)
    return Facet(name, legend, values)


def _feature_counts(rows: QuerySet, categories: list[str]) -> dict[str, dict[str, int]]:
    """Listings per feature among ``rows``, for several categories in one GROUP BY."""
    counts: dict[str, dict[str, int]] = {}
    grouped = (
        Listing.features.through.objects.filter(
            listing_id__in=rows.order_by().values("pk"), feature__category__slug__in=categories
        )
        .values_list("feature__category__slug", "feature__slug")
        .annotate(n=Count("listing_id"))
        .order_by()
    )
    for category, slug, n in grouped:
        counts.setdefault(category, {})[slug] = n
    return counts


def _feature_values(
    name: str, counts: dict[str, int], selected: list[str], features: dict[str, Feature]
) -> Facet:
    values = [
        FacetValue(slug, features[slug].name, count, slug in selected)
        for slug, count in counts.items()
        if slug in features and (count > 0 or slug in selected)
    ]
    values.sort(key=lambda v: (not v.selected, -v.count, v.label))
    return Facet(name, FEATURE_FACETS[name], values)


def _feature_facet(
    name: str, rows: QuerySet, selected: list[str], total: int, features: dict[str, Feature]
) -> Facet:
    """A category with ticked values: ticking another adds listings not already matched."""
    on_rows = rows.exclude(_facet_q(name, selected))
    counts = {slug: total + n for slug, n in _feature_counts(on_rows, [name]).get(name, {}).items()}
    remaining = {value: [v for v in selected if v != value] for value in selected}
    off = rows.order_by().aggregate(
        **{
            f"c{i}": Count("pk", filter=_facet_q(name, rest)) if rest else Count("pk")
            for i, rest in enumerate(remaining.values())
        }
    )
    for i, value in enumerate(remaining):
        counts[value] = off[f"c{i}"]
    return _feature_values(name, counts, selected, features)


def _schedule_condition_q(selection: dict[str, list[str]], ctx: _Context, names) -> Q:
    """Schedule-level AND of the given schedule facets' conditions (Q() when none)."""
    q = Q()
    for name in names:
        if selection.get(name):
            q &= _schedule_condition(name, selection[name], ctx)
    return q


def _schedule_facets(
    rows: QuerySet, selection: dict[str, list[str]], ctx: _Context, total: int
) -> list[Facet]:
    """Day, time and "when" facets, counted on the visitor's clock.

    Day and time of day partition a schedule's start, so one GROUP BY over the schedules of the
    candidate listings counts every value at once; "when" values overlap and are counted one by
    one. Ticking a value adds listings not already matched; unticking one recounts the rest.
    """
    choices = {"when": WHEN_CHOICES, "day": DAY_CHOICES, "time": TIME_CHOICES}
    counts: dict[str, dict[str, int]] = {}
    for name in ("day", "time"):
        selected = selection.get(name, [])
        others = [n for n in SCHEDULE_FACETS if n != name]
        other_q = _schedule_condition_q(selection, ctx, others)
        candidates = rows
        if selected:
            already = Schedule.objects.filter(
                other_q & _schedule_condition(name, selected, ctx)
            ).values("listing_id")
            candidates = rows.exclude(pk__in=already)
        schedules = Schedule.objects.filter(
            other_q, listing_id__in=candidates.order_by().values("pk")
        )
        if name == "day":
            grouped = {
                str(row["bucket"]): row["n"]
                for row in schedules.annotate(
                    bucket=timeq.visitor_weekday_bucket(ctx.zones, ctx.now, ctx.visitor_tz)
                )
                .order_by()
                .values("bucket")
                .annotate(n=Count("listing_id", distinct=True))
            }
        else:
            grouped = _count_by_time_of_day(schedules, ctx)
        counts[name] = {
            value: (total if selected else 0) + grouped.get(value, 0)
            for value in choices[name]
            if value not in selected
        }
    # Unticking a selected value, and every "when" value, are counted exactly as their links.
    aggregates = {}
    for name in SCHEDULE_FACETS:
        selected = selection.get(name, [])
        for value in choices[name]:
            if name != "when" and value not in selected:
                continue
            toggled = (
                [v for v in selected if v != value] if value in selected else [*selected, value]
            )
            condition = _schedules_q({**selection, name: toggled}, ctx)
            aggregates[f"{name}__{value}"] = (
                Count("pk", filter=condition) if condition is not None else Count("pk")
            )
    for key, n in rows.order_by().aggregate(**aggregates).items():
        name, value = key.split("__", 1)
        counts.setdefault(name, {})[value] = n
    return [
        Facet(
            name,
            FACET_LEGENDS[name],
            [
                FacetValue(value, label, counts[name][value], value in selection.get(name, []))
                for value, label in choices[name].items()
            ],
        )
        for name in SCHEDULE_FACETS
    ]


def _count_by_time_of_day(schedules: QuerySet, ctx: _Context) -> dict[str, int]:
    """Listings per time of day of their schedules' starts on the visitor's clock.

    The visitor's minute is a CASE over the zones' offsets; a subquery computes it once per
    schedule, where a CASE per time of day on the annotation would repeat it for every range
    (measured: about half a second saved at 300,000 schedules).
    """
    inner = (
        schedules.order_by()
        .annotate(
            visitor_minute=timeq.visitor_clock(
                ctx.zones, ctx.now, ctx.visitor_tz, "start_minute", timeq.MINUTES_PER_DAY
            )
        )
        .values("listing_id", "visitor_minute")
    )
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a condition that can match nothing (e.g. no listing ids)
        return {}
    whens, bucket_params = [], []
    for bucket, (_, ranges) in timeq.TIMES_OF_DAY.items():
        for low, high in ranges:
            whens.append("WHEN s.m >= %s AND s.m < %s THEN %s")
            bucket_params += [low, high, bucket]
    # OFFSET 0 keeps the planner from flattening the subquery (and the CASE back into each range).
    fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    sql = (
        f"SELECT CASE {' '.join(whens)} ELSE '' END AS bucket, "  # noqa: S608 - no user text
        f"COUNT(DISTINCT s.listing_id) FROM (SELECT listing_id, "
        f"CAST(visitor_minute AS INTEGER) AS m FROM ({inner_sql} {fence}) i) s GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*bucket_params, *params])
        return {str(bucket): n for bucket, n in cursor.fetchall()}


# --- sorting -----------------------------------------------------------------------------


def _soonest_order(results_qs, now: dt.datetime) -> list[int]:
    """Result ids by their real next start (``next_start_for_listing``: a meeting under way
    counts with its own start; monthly and every-N-weeks by their real dates), then name and
    pk; listings with no meeting ahead last. Exact to the minute, as schedules are."""
    minute = now.replace(second=0, microsecond=0)
    keyed = []
    for item in results_qs.prefetch_related("schedules").order_by("name", "pk"):
        start = next_start_for_listing(item.schedules.all(), minute)
        keyed.append((start is None, start or minute, len(keyed), item.pk))
    return [pk for *_, pk in sorted(keyed)]


# --- the selector ------------------------------------------------------------------------


RESULT_CACHE_SECONDS = 60


def _cache_key(query: ListingQuery, now: dt.datetime) -> str:
    """One key per normalised search and minute: time facets are exact to the minute."""
    normalised = (
        sorted((k, sorted(v)) for k, v in query.selection.items() if v),
        query.q,
        query.near.lower(),
        query.latitude,
        query.longitude,
        query.radius,
        query.sort,
        query.tz,
        query.page,
        now.replace(second=0, microsecond=0).isoformat(),
    )
    digest = hashlib.sha256(repr(normalised).encode()).hexdigest()
    return f"directory:find:{digest}"


def search_listings(query: ListingQuery, *, now: dt.datetime) -> SearchResult:
    """The faceted search, cached for the rest of the minute in Django's cache."""
    key = _cache_key(query, now)
    result = cache.get(key)
    if result is None:
        result = _search_listings(query, now=now)
        cache.set(key, result, RESULT_CACHE_SECONDS)
    return result


def _search_listings(query: ListingQuery, *, now: dt.datetime) -> SearchResult:
    ctx = _Context(now, query.tz)
    place = geo.PlaceLookup()
    origin = None
    if query.latitude is not None and query.longitude is not None:
        origin = geo.Origin(query.latitude, query.longitude, "your location")
    elif query.near:
        place = geo.resolve_place(query.near)
        origin = place.origin
    if origin is not None and query.radius is None:
        query.radius = geo.DEFAULT_RADIUS
    if origin is None:
        query.radius = None

    base, rank = base_queryset(query, origin)
    ticked = {k: v for k, v in query.selection.items() if v}
    selection = dict(ticked)
    placeless = origin is None and not ticked.get("attendance")
    if placeless:
        # No place (or an unknown one): online listings only until one is given (as the index).
        selection["attendance"] = ["online"]
    _materialise_time_filter(selection, ctx)
    results_qs = base.filter(filter_q(selection, ctx))
    total = results_qs.order_by().count()

    features = {f.slug: f for f in Feature.objects.select_related("category")}
    facets: dict[str, Facet] = {}
    for name in FIELD_FACETS:
        rows = base.filter(filter_q(selection, ctx, skip=name))
        unticked = rows
        if name == "attendance" and origin is None:
            unticked = rows.filter(attendance="online")  # no place: back to online only
        facets[name] = _field_facet(name, rows, ticked.get(name, []), total, unticked)
    unselected = [name for name in FEATURE_FACETS if not selection.get(name)]
    shared = _feature_counts(results_qs, unselected) if unselected else {}
    for name in FEATURE_FACETS:
        if name in unselected:
            # With nothing ticked here, the other filters are all the filters: count the results.
            facets[name] = _feature_values(name, shared.get(name, {}), [], features)
        else:
            rows = base.filter(filter_q(selection, ctx, skip=name))
            facets[name] = _feature_facet(name, rows, selection[name], total, features)
    schedule_rows = base.filter(
        filter_q({k: v for k, v in selection.items() if k not in SCHEDULE_FACETS}, ctx)
    )
    for facet in _schedule_facets(schedule_rows, selection, ctx, total):
        facets[facet.name] = facet
    ordered_facets = [facets[name] for name in FACET_ORDER if name in facets]
    for facet in ordered_facets:
        current = ticked.get(facet.name, [])
        for value in facet.values:
            toggled = (
                [v for v in current if v != value.value]
                if value.selected
                else [*current, value.value]
            )
            value.params = {facet.name: toggled, "page": None}

    sort = query.sort
    if (
        sort not in SORT_CHOICES
        or (sort == "distance" and origin is None)
        or (sort == "relevance" and not query.q)
    ):
        sort = "distance" if origin else ("relevance" if query.q else "soonest")
    if sort == "distance":
        ordered = results_qs.order_by(F("distance").asc(nulls_last=True), "name", "pk")
    elif sort == "relevance":
        ordered = results_qs.annotate(rank=rank).order_by("-rank", "name", "pk")
    elif sort == "name":
        ordered = results_qs.order_by("name", "pk")
    else:  # soonest: by each listing's real next start (in Python: the oracle can be slow)
        ordered = None
        soonest_ids = _soonest_order(results_qs, ctx.now)

    num_pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, query.page), num_pages)
    start = (number - 1) * PER_PAGE
    # Order narrow rows (ids only), then load the page's listings with their cards' data.
    fields = ["pk", "distance"] if origin is not None else ["pk"]
    if ordered is None:
        page_ids = soonest_ids[start : start + PER_PAGE]
        distances = dict(results_qs.filter(pk__in=page_ids).values_list(*fields)) if origin else {}
        rows = [(pk, distances.get(pk)) if origin is not None else (pk,) for pk in page_ids]
    else:
        rows = list(ordered.values_list(*fields)[start : start + PER_PAGE])
    by_id = {
        item.pk: item
        for item in Listing.objects.filter(pk__in=[row[0] for row in rows]).with_card_data()
    }
    page_items = []
    for row in rows:
        item = by_id[row[0]]
        item.distance = row[1] if origin is not None else None
        page_items.append(item)
    for item in page_items:
        item.next_start = next_start_for_listing(item.schedules.all(), now)
        item.happening_now = item.next_start is not None and item.next_start <= now

    result = SearchResult(
        results=page_items,
        count=total,
        page=Page(number, num_pages, PER_PAGE, total),
        facets=ordered_facets,
        sort=sort,
        origin=origin,
        place=place,
        visitor_tz=query.tz,
    )
    if total == 0:
        result.relaxations = _relaxations(base, selection, ctx, query, origin)
    if origin is not None and query.radius:
        keyword_only, _ = base_queryset(ListingQuery(**{**query.__dict__, "radius": None}), None)
        result.online_count = (
            keyword_only.filter(attendance="online")
            .filter(filter_q({k: v for k, v in selection.items() if k != "attendance"}, ctx))
            .count()
        )
    return result


def _relaxations(base, selection, ctx, query, origin) -> list[Relaxation]:
    """For an empty result: what each active filter's removal would give."""
    found = []
    for name in selection:
        if name == "attendance" and origin is None and "in_person" not in selection[name]:
            in_person = {**selection, "attendance": ["in_person"]}
            count = base.filter(filter_q(in_person, ctx)).count()
            found.append(
                Relaxation(
                    "Show in-person listings anywhere",
                    {name: ["in_person"], "page": None},
                    count,
                )
            )
            continue
        without = {k: v for k, v in selection.items() if k != name}
        if name == "attendance" and origin is None:
            without["attendance"] = ["online"]  # no place: back to online only
        count = base.filter(filter_q(without, ctx)).count()
        found.append(
            Relaxation(
                f"Remove “{FACET_LEGENDS.get(name, name)}”", {name: None, "page": None}, count
            )
        )
    if origin is not None and query.radius and query.radius < max(geo.RADIUS_CHOICES):
        wider = max(geo.RADIUS_CHOICES)
        wide_query = ListingQuery(**{**query.__dict__, "radius": wider})
        wide_base, _ = base_queryset(wide_query, origin)
        count = wide_base.filter(filter_q(selection, ctx)).count()
        found.append(
            Relaxation(f"Search within {wider} miles", {"radius": str(wider), "page": None}, count)
        )
    return [r for r in found if r.count > 0]


def listings_for_export(query: ListingQuery, *, now: dt.datetime, limit: int = 500):
    """The same search, unpaginated up to ``limit`` rows, for print and calendar feeds."""
    ctx = _Context(now, query.tz)
    origin = None
    if query.latitude is not None and query.longitude is not None:
        origin = geo.Origin(query.latitude, query.longitude, "your location")
    elif query.near:
        origin = geo.resolve_place(query.near).origin
    if origin is not None and query.radius is None:
        query.radius = geo.DEFAULT_RADIUS
    base, _ = base_queryset(query, origin)
    selection = {k: v for k, v in query.selection.items() if v}
    if origin is None and not selection.get("attendance"):
        selection["attendance"] = ["online"]
    qs = base.filter(filter_q(selection, ctx))
    if origin is not None:
        qs = qs.order_by(F("distance").asc(nulls_last=True), "name")
    else:
        qs = qs.order_by("name")
    items = list(qs.with_card_data()[:limit])
    for item in items:
        item.next_start = next_start_for_listing(item.schedules.all(), now)
    return items, origin
