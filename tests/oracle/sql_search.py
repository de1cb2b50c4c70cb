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

The oracle is in four parts: its vocabulary (the facets, their choices, the shapes of a search
and of its result) in sql_vocabulary.py, the filters in sql_filters.py, the facet counts in
sql_facets.py, and here the selector that puts them together (callers import it from here).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import F

from directory.models import Feature, Listing
from directory.scheduling import next_start_for_listing
from directory.search import geo
from tests.oracle.sql_facets import (
    _feature_counts,
    _feature_facet,
    _feature_values,
    _field_facet,
    _schedule_facets,
)
from tests.oracle.sql_filters import _Context, _materialise_time_filter, base_queryset, filter_q
from tests.oracle.sql_vocabulary import (
    FACET_LEGENDS,
    FACET_ORDER,
    FEATURE_FACETS,
    FIELD_FACETS,
    PER_PAGE,
    SCHEDULE_FACETS,
    SORT_CHOICES,
    Facet,
    ListingQuery,
    Page,
    Relaxation,
    SearchResult,
)

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
