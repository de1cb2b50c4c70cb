"""Faceted search of published listings, answered from the in-memory search index.

Within a facet, values combine with OR; across facets, AND. Every facet value carries the
number of results the visitor would get by toggling it, computed with every *other* active
filter applied, so a count shown always equals the results after clicking it.

The pipeline: a ``ListingQuery`` (what the search form validated) is normalised (place looked
up, radius and sort settled) before anything else; ``CompiledSearch`` turns it into masks
over the index; the facets and the ordered page are read off those masks; the page's cards
are then loaded by id from the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.core.paginator import Page
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import Listing
from directory.scheduling import (
    next_start_after,
)
from directory.search import counting, geo
from directory.search.cards import Card, load_cards, load_result_cards
from directory.search.facets import Facet, paginate
from directory.search.freshness import search_index
from directory.search.index import ATTENDANCE_VALUES, lookup
from directory.search.query import CompiledSearch, ListingQuery
from directory.search.times import TimeMasks
from directory.search.vocabulary import (
    FACET_LEGENDS,
    FACET_ORDER,
    FIELD_FACETS,
    SORT_CHOICES,
)

PER_PAGE = 20
EXPORT_LIMIT = 100  # print handouts and calendar subscriptions


@dataclass
class Relaxation:
    """A way out of an empty result: drop a facet (or widen the radius) and get ``count``."""

    label: str
    params: dict
    count: int
    url: str = ""  # set by the view (``facets.QueryLinks``)


@dataclass
class SearchResult:
    query: ListingQuery  # normalised: the radius in force, the sort applied
    results: list[Card]
    count: int
    page: Page
    facets: list[Facet]
    sort: str
    origin: geo.Origin | None
    place: geo.PlaceLookup
    visitor_tz: str
    relaxations: list[Relaxation] = field(default_factory=list)
    online_count: int | None = None
    map: MapData | None = None  # the map view's instead of a page of cards


MAP_UNPLACED_SHOWN = 10  # results not on the map (online, or no known place) listed beside it


@dataclass
class MapData:
    """What the map view draws: every result with a place, as arrays over the index, and the
    first of the results that have none (online only, or no known place) as cards."""

    positions: np.ndarray  # index positions of the placed results
    ids: np.ndarray  # their listing ids
    latitude: np.ndarray
    longitude: np.ndarray
    approximate: np.ndarray
    order: np.ndarray  # ascending: the list's order (distance with a place, else name)
    distance: np.ndarray | None
    unplaced_count: int
    unplaced: list[Card]


# --- the query, normalised -----------------------------------------------------------------


def normalise(query: ListingQuery) -> tuple[ListingQuery, geo.PlaceLookup, geo.Origin | None]:
    """Settle everything the search depends on before it runs: place, radius, selection."""
    place = geo.PlaceLookup()
    origin = None
    if query.latitude is not None and query.longitude is not None:
        origin = geo.Origin(query.latitude, query.longitude, _("your location"))
    elif query.near:
        place = geo.resolve_place(query.near)
        origin = place.origin
    radius = (query.radius or geo.DEFAULT_RADIUS) if origin is not None else None
    selection = {name: list(values) for name, values in query.selection.items() if values}
    # No place is not "everywhere": in-person meetings on other continents help nobody, so
    # until the visitor gives a place the search holds online listings (unless they chose
    # how it meets themselves). An unknown place is treated the same way, and says so.
    online_until_placed = origin is None and not selection.get("attendance")
    if query.near and origin is None and place.error and online_until_placed:
        place = dataclasses.replace(
            place,
            error=_("%(problem)s Showing meetings you can join online instead.")
            % {"problem": place.error},
        )
    sort = query.sort
    if (
        sort not in SORT_CHOICES
        or (sort == "distance" and origin is None)
        or (sort == "relevance" and not query.q)
    ):
        sort = "distance" if origin else ("relevance" if query.q else "soonest")
    normalised = dataclasses.replace(
        query,
        selection=selection,
        radius=radius,
        sort=sort,
        online_until_placed=online_until_placed,
    )
    return normalised, place, origin


# --- ordering ------------------------------------------------------------------------------


def ordered_positions(search: CompiledSearch, results: np.ndarray) -> OrderedPositions:
    """Result positions in the query's sort order; ties keep name order (index order)."""
    positions = np.flatnonzero(results)
    sort = search.query.sort
    if sort == "distance":
        key = search.distance[positions]
    elif sort == "relevance":
        key = -search.ranks[positions]
    elif sort == "soonest":
        key = search.time_masks.minutes_to_next_start()[positions]
    else:
        key = None
    return OrderedPositions(positions, key)


class OrderedPositions(Sequence):
    """``positions`` ordered by ``key`` (stable), sorted only as far as a slice reads.

    A results page needs the first ``page x 20`` of up to the whole index: a partition
    finds them (ties at the boundary included, so the order is exactly a stable sort's),
    and only those are sorted.
    """

    def __init__(self, positions: np.ndarray, key: np.ndarray | None):
        self.positions, self.key = positions, key
        self._sorted = positions if key is None else positions[:0]
        self._sorted_upto = len(positions) if key is None else 0

    def __len__(self) -> int:
        return len(self.positions)

    def _first(self, n: int) -> np.ndarray:
        n = min(n, len(self.positions))
        if self._sorted_upto < n:
            key = self.key
            if n * 4 >= len(key):
                order = np.argsort(key, kind="stable")
                self._sorted_upto = len(key)
            else:
                boundary = np.partition(key, n - 1)[n - 1]
                # Every key up to the boundary: an exact prefix of the stable sort.
                candidates = np.flatnonzero(key <= boundary)  # in position (name) order
                order = candidates[np.argsort(key[candidates], kind="stable")]
                self._sorted_upto = len(candidates)
            self._sorted = self.positions[order]
        return self._sorted[:n]

    def __getitem__(self, index):
        if isinstance(index, slice):
            stop = len(self.positions) if index.stop is None else index.stop
            if stop < 0:
                stop += len(self.positions)
            return self._first(max(stop, 0))[index]
        if index < 0:
            index += len(self.positions)
        return self._first(index + 1)[index]


# --- the selector --------------------------------------------------------------------------


def _map_data(search: CompiledSearch, results: np.ndarray, now: dt.datetime) -> MapData:
    ix = search.index
    online = ix.attendance_code == ATTENDANCE_VALUES.index("online")
    placed = results & ~online & ~np.isnan(ix.latitude) & ~np.isnan(ix.longitude)
    positions = np.flatnonzero(placed)
    unplaced = results & ~placed
    first_unplaced = ordered_positions(search, unplaced)[:MAP_UNPLACED_SHOWN]
    distance = search.distance[positions] if search.distance is not None else None
    return MapData(
        positions=positions,
        ids=ix.ids[positions],
        latitude=ix.latitude[positions],
        longitude=ix.longitude[positions],
        approximate=ix.approximate[positions],
        order=distance if distance is not None else positions.astype(np.float64),
        distance=distance,
        unplaced_count=int(np.count_nonzero(unplaced)),
        unplaced=load_result_cards(search, first_unplaced, now),
    )


def search_listings(query: ListingQuery, *, now: dt.datetime, view: str = "list") -> SearchResult:
    """The search's count, facets and either a page of cards (``view="list"``) or what the
    map draws (``view="map"``)."""
    query, place, origin = normalise(query)
    search = CompiledSearch(search_index(), query, origin, now)
    results = search.matching()
    total = np.count_nonzero(results)

    facets: dict[str, Facet] = {}
    for name in FIELD_FACETS:
        facets[name] = counting.field_facet(search, name, total)
    for facet in counting.feature_facets(search, results, total):
        facets[facet.name] = facet
    for facet in counting.schedule_facets(search, total):
        facets[facet.name] = facet
    ordered_facets = [facets[name] for name in FACET_ORDER]
    for facet in ordered_facets:
        current = query.selection.get(facet.name, [])
        for value in facet.values:
            toggled = (
                [v for v in current if v != value.value]
                if value.selected
                else [*current, value.value]
            )
            value.params = {facet.name: toggled, "page": None}

    on_map = view == "map"
    page = paginate(ordered_positions(search, results), PER_PAGE, 1 if on_map else query.page)
    result = SearchResult(
        query=query,
        results=[] if on_map else load_result_cards(search, page.object_list, now),
        count=total,
        page=page,
        facets=ordered_facets,
        sort=query.sort,
        origin=origin,
        place=place,
        visitor_tz=query.tz,
    )
    if on_map:
        result.map = _map_data(search, results, now)
    if total == 0:
        result.relaxations = _relaxations(search, origin)
    if origin is not None:
        # What the "online meetings" link gives: no place, online only, the other filters.
        online = search.matching(skip="attendance", base=search.keyword)
        online &= search.index.attendance_code == ATTENDANCE_VALUES.index("online")
        result.online_count = np.count_nonzero(online)
    return result


def place_prompt(result: SearchResult) -> str | None:
    """What to ask of a visitor who gave no place: "online" (the search holds online listings
    until they give one), "everywhere" (they asked for in-person listings, from every place)
    or None (a place is given, or not needed: online only was chosen, or the place is unknown
    and says so itself)."""
    if result.origin is not None or result.place.error:
        return None
    if result.query.online_until_placed:
        return "online"
    chosen = result.query.selection.get("attendance", [])
    return "everywhere" if set(chosen) - {Listing.Attendance.ONLINE.value} else None


def _relaxations(search: CompiledSearch, origin) -> list[Relaxation]:
    """For an empty result: what each active filter's removal would give."""
    found = []
    for name in search.selection:
        in_person = Listing.Attendance.IN_PERSON.value
        if name == "attendance" and origin is None and in_person not in search.selection[name]:
            # No place, online only: the way out is in-person listings, wherever they are
            # (removing the facet would give online only again).
            count = np.count_nonzero(search.matching({**search.selection, name: [in_person]}))
            found.append(
                Relaxation(
                    _("Show in-person listings anywhere"), {name: [in_person], "page": None}, count
                )
            )
            continue
        count = np.count_nonzero(search.matching(search.without(name)))
        found.append(
            Relaxation(
                _("Remove “%(filter)s”") % {"filter": FACET_LEGENDS.get(name, name)},
                {name: None, "page": None},
                count,
            )
        )
    radius = search.query.radius
    if origin is not None and radius and radius < max(geo.RADIUS_CHOICES):
        wider = max(geo.RADIUS_CHOICES)
        ix = search.index
        base = search.keyword & geo.within(
            ix.latitude, ix.longitude, search.distance, origin, wider
        )
        count = np.count_nonzero(search.matching(base=base))
        found.append(
            Relaxation(
                ngettext("Search within %(radius)s mile", "Search within %(radius)s miles", wider)
                % {"radius": wider},
                {"radius": str(wider), "page": None},
                count,
            )
        )
    return [r for r in found if r.count > 0]


@dataclass
class Export:
    """The first ``EXPORT_LIMIT`` results of a search, for print and calendars."""

    items: list[Listing]
    count: int
    origin: geo.Origin | None
    query: ListingQuery

    @property
    def truncated(self) -> bool:
        return self.count > len(self.items)


def listings_for_export(
    query: ListingQuery, *, now: dt.datetime, limit: int = EXPORT_LIMIT
) -> Export:
    """The same search in name order (nearest first with a place), up to ``limit`` listings."""
    query, _place, origin = normalise(query)
    query = dataclasses.replace(query, sort="distance" if origin else "name")
    search = CompiledSearch(search_index(), query, origin, now)
    results = search.matching()
    positions = ordered_positions(search, results)[:limit]
    return Export(load_cards(search, positions, now), np.count_nonzero(results), origin, query)


def online_starting_soon(now: dt.datetime, *, hours: int = 2, limit: int = 5) -> list[Listing]:
    """Online meetings starting within ``hours`` (not those already under way), soonest first."""
    index = search_index()
    clock = TimeMasks(index, now, "UTC")
    schedules = clock.starts_between(now, now + dt.timedelta(hours=hours))
    online = lookup(
        index.attendance_code,
        [ATTENDANCE_VALUES.index("online"), ATTENDANCE_VALUES.index("hybrid")],
        len(ATTENDANCE_VALUES),
    )
    positions = np.flatnonzero(online & index.listings_with(schedules))
    soonest = clock.minutes_to_next_start()[positions]
    positions = positions[np.argsort(soonest, kind="stable")][: limit * 4]
    ids = index.ids[positions].tolist()
    items = list(
        Listing.objects.published()
        .filter(pk__in=ids)
        .select_related("support_type")
        .prefetch_related("schedules")
    )
    for item in items:
        starts = [
            start
            for schedule in item.schedules.all()
            for start in (next_start_after(schedule, now),)
            if start is not None
        ]
        item.next_start = min(starts, default=None)
    horizon = now + dt.timedelta(hours=hours)
    items = [item for item in items if item.next_start is not None and item.next_start <= horizon]
    items.sort(key=lambda item: (item.next_start, item.name))
    return items[:limit]
