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

from directory.models import Resource
from directory.scheduling import (
    next_start_after,
)
from directory.search import counting, geo, keywords, text
from directory.search.cards import Card, load_cards, load_result_cards
from directory.search.facets import Facet, paginate
from directory.search.freshness import search_index
from directory.search.index import (
    ATTENDANCE_VALUES,
    COST_VALUES,
    TIME_OF_DAY_VALUES,
    lookup,
)
from directory.search.times import TimeMasks
from directory.search.vocabulary import (
    FACET_LEGENDS,
    FACET_ORDER,
    FEATURE_FACETS,
    FIELD_FACETS,
    SCHEDULE_FACETS,
    SORT_CHOICES,
)

PER_PAGE = 20
EXPORT_LIMIT = 100  # print handouts and calendar subscriptions


@dataclass(frozen=True)
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
    # Settled by ``normalise``: no place (or one we don't know) and no "How it meets" chosen,
    # so the search holds only what can be joined from anywhere (online) until a place is given.
    online_until_placed: bool = False


PLACELESS_ATTENDANCE = [Resource.Attendance.ONLINE.value]


@dataclass
class Relaxation:
    """A way out of an empty result: drop a facet (or widen the radius) and get ``count``."""

    label: str
    params: dict
    count: int


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


# --- the compiled search -------------------------------------------------------------------


class CompiledSearch:
    """A normalised query as masks over the index; every count is a sum over a mask."""

    def __init__(self, index, query: ListingQuery, origin: geo.Origin | None, now: dt.datetime):
        self.index = index
        self.query = query
        # The filters in force: the visitor's, and online only while there is no place (not
        # shown as ticked: ticking a "How it meets" value replaces it).
        self.selection = query.selection
        if query.online_until_placed:
            self.selection = {**query.selection, "attendance": PLACELESS_ATTENDANCE}
        self.has_place = origin is not None
        self.time_masks = TimeMasks(index, now, query.tz)
        self.ranks: np.ndarray | None = None
        self.keyword = np.ones(index.size, dtype=bool)
        if query.q:
            self.keyword, self.ranks = keyword_mask(
                index, query.q, with_rank=query.sort == "relevance"
            )
        self.distance = None
        self.base = self.keyword
        if origin is not None:
            self.distance = _distances(index, origin, query.radius)
            self.base = self.keyword & geo.within(
                index.latitude, index.longitude, self.distance, origin, query.radius
            )
        self._listing_masks: dict[tuple, np.ndarray] = {}
        self._schedule_masks: dict[tuple, np.ndarray | None] = {}

    # listing-level facets (one value per listing, or features)

    def codes(self, name: str, values: list[str] | None = None) -> tuple[np.ndarray, list[int]]:
        """(column, codes of ``values``) for a one-value-per-listing facet (default: selected)."""
        ix = self.index
        values = self.selection.get(name, []) if values is None else values
        if name == "type":
            return ix.type_code, ix.types.codes_of(values)
        if name == "org":
            return ix.org_code, ix.orgs.codes_of(values)
        if name == "region":
            return ix.region_code, ix.regions.codes_of(values)
        choices = ATTENDANCE_VALUES if name == "attendance" else COST_VALUES
        column = ix.attendance_code if name == "attendance" else ix.cost_code
        return column, [choices.index(v) for v in values if v in choices]

    def code_count(self, name: str) -> int:
        ix = self.index
        return {
            "type": len(ix.types.values),
            "org": len(ix.orgs.values),
            "region": len(ix.regions.values),
            "attendance": len(ATTENDANCE_VALUES),
            "cost": len(COST_VALUES),
        }[name]

    def listing_mask(self, name: str, values: list[str]) -> np.ndarray:
        key = (name, tuple(values))
        if key not in self._listing_masks:
            if name in FEATURE_FACETS:
                codes = self.index.features.codes_of(values)
                self._listing_masks[key] = self.index.listings_having_features(codes)
            else:
                column, codes = self.codes(name, values)
                self._listing_masks[key] = lookup(column, codes, self.code_count(name))
        return self._listing_masks[key]

    # schedule-level facets: one schedule must meet every time condition at once

    def schedule_condition(self, name: str, values: list[str]) -> np.ndarray:
        clock = self.time_masks
        if name == "when":
            mask = np.zeros(len(self.index.schedule_listing), dtype=bool)
            for value in values:
                mask |= clock.when(value)
            return mask
        if name == "day":
            return lookup(clock.visitor_weekday(), [int(v) for v in values], 7)
        codes = [TIME_OF_DAY_VALUES.index(v) for v in values]
        return lookup(clock.visitor_time_of_day(), codes, len(TIME_OF_DAY_VALUES))

    def schedules_meeting(self, selection: dict[str, list[str]], skip=()) -> np.ndarray | None:
        """Schedules meeting every active time condition of ``selection`` (None: no condition)."""
        active = tuple(
            (name, tuple(selection[name]))
            for name in SCHEDULE_FACETS
            if selection.get(name) and name not in skip
        )
        if not active:
            return None
        key = ("schedules", active)
        if key not in self._schedule_masks:
            combined = None
            for name, values in active:
                condition = self.schedule_condition(name, list(values))
                combined = condition if combined is None else combined & condition
            self._schedule_masks[key] = combined
        return self._schedule_masks[key]

    def listings_meeting_times(self, selection: dict[str, list[str]]) -> np.ndarray | None:
        active = tuple(
            (name, tuple(selection[name])) for name in SCHEDULE_FACETS if selection.get(name)
        )
        if not active:
            return None
        key = ("listings", active)
        if key not in self._schedule_masks:
            if len(active) == 1 and active[0][0] == "when" and len(active[0][1]) == 1:
                # One "when" value (every results page counts all three): the same for every
                # search in this minute ("today": for visitors whose day has the same bounds).
                value = active[0][1][0]
                shared = ("when-listings", value)
                if value == "today":
                    shared += self.time_masks.visitor_day_bounds()
                self._schedule_masks[key] = self.time_masks.times.get(
                    shared, lambda: self.index.listings_with(self.schedules_meeting(selection))
                )
            else:
                self._schedule_masks[key] = self.index.listings_with(
                    self.schedules_meeting(selection)
                )
        return self._schedule_masks[key]

    def without(self, name: str) -> dict[str, list[str]]:
        """The filters in force once the visitor removes facet ``name`` altogether."""
        selection = {k: v for k, v in self.selection.items() if k != name}
        if name == "attendance" and not self.has_place:
            selection["attendance"] = PLACELESS_ATTENDANCE  # back to online until placed
        return selection

    def matching(self, selection: dict[str, list[str]] | None = None, *, skip=None, base=None):
        """Listings matching ``selection`` (default: the query's), optionally without a facet."""
        selection = self.selection if selection is None else selection
        mask = (self.base if base is None else base).copy()
        for name, values in selection.items():
            if values and name != skip and name not in SCHEDULE_FACETS:
                mask &= self.listing_mask(name, values)
        times = self.listings_meeting_times(
            {k: v for k, v in selection.items() if k != skip and k in SCHEDULE_FACETS}
        )
        if times is not None:
            mask &= times
        return mask


def _distances(ix, origin: geo.Origin, radius: int | None) -> np.ndarray:
    """Miles from ``origin`` to each listing; with a radius, only for the listings inside the
    widest radius's bounding box (the rest: NaN, never within any radius searched here)."""
    if not radius:
        return geo.distances_miles(ix.latitude, ix.longitude, origin)
    widest = max(max(geo.RADIUS_CHOICES), radius)
    inside = np.flatnonzero(
        geo.within(ix.latitude, ix.longitude, np.zeros(ix.size), origin, widest)
    )
    distances = np.full(ix.size, np.nan)
    distances[inside] = geo.distances_miles(ix.latitude[inside], ix.longitude[inside], origin)
    return distances


def keyword_mask(ix, q: str, *, with_rank: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The listings matching keyword ``q`` as a mask over the index, and their ranks.

    The full text through the index's lexemes (``keywords``; a word no listing has stands
    for the words one typing slip away, ``keywords.expand_typos``), the names by similarity
    as the database (or on SQLite, Python) says (``text.parse_keyword``); ranked by
    ``keywords.rank``.
    """
    parsed = text.parse_keyword(q, with_rank=with_rank, names=ix.names)
    # A word no listing has is read as the words one typing slip away that listings have.
    tree, words = keywords.expand_typos(parsed.tree, ix.keywords)
    mask, exact = ix.keywords.matches(tree, ix.size)
    if not exact:  # a phrase: the database checks the candidates' word positions
        candidates = ix.ids[mask].tolist()
        mask = np.zeros(ix.size, dtype=bool)
        mask[ix.positions_of(text.full_text_matches(candidates, tree))] = True
    name_similarity = np.zeros(ix.size, dtype=np.float64) if with_rank else None
    if len(parsed.name_codes):
        codes = parsed.name_codes
        by_name = ix.names.listings_named(codes)
        mask |= by_name
        if with_rank:
            per_name = np.zeros(len(ix.names.names), dtype=np.float64)
            per_name[codes] = parsed.name_ranks
            name_similarity = np.where(by_name, per_name[ix.names.listing_name], 0.0)
    if parsed.ids:  # a keyword with other characters than ASCII: names matched by id
        positions = ix.positions_of([pk for pk, _ in parsed.ids])
        mask[positions] = True
        if with_rank:
            found = dict(parsed.ids)
            name_similarity[positions] = [found[pk] for pk in ix.ids[positions].tolist()]
    if not with_rank:
        return mask, None
    lowered = text.clean_terms(q).lower()
    exact_name = np.zeros(ix.size, dtype=bool)
    code = ix.names.code_of(lowered)
    if code is not None:
        exact_name = ix.names.listing_name == code
    ranks = keywords.rank(
        document_hits=ix.keywords.coverage(words, ix.size, in_name=False),
        name_hits=ix.keywords.coverage(words, ix.size, in_name=True),
        word_count=len(words),
        exact_name=exact_name,
        name_similarity=name_similarity,
    )
    return mask, np.where(mask, ranks, 0.0)


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
    return "everywhere" if set(chosen) - {Resource.Attendance.ONLINE.value} else None


def _relaxations(search: CompiledSearch, origin) -> list[Relaxation]:
    """For an empty result: what each active filter's removal would give."""
    found = []
    for name in search.selection:
        in_person = Resource.Attendance.IN_PERSON.value
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

    items: list[Resource]
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


def online_starting_soon(now: dt.datetime, *, hours: int = 2, limit: int = 5) -> list[Resource]:
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
        Resource.objects.published()
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
