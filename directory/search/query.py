"""A search's query: as the form validated it (``ListingQuery``) and compiled into masks over
the search index (``CompiledSearch``): the keyword's matches and ranks (``keyword_mask``), the
distances from a place, each facet's condition and the schedule conditions of the minute.
Every count and every page of ``/find/`` is read off these masks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from directory.models import Listing
from directory.search import geo, keywords, text
from directory.search.index import ATTENDANCE_VALUES, COST_VALUES, TIME_OF_DAY_VALUES, lookup
from directory.search.times import TimeMasks
from directory.search.vocabulary import FEATURE_FACETS, SCHEDULE_FACETS


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


PLACELESS_ATTENDANCE = [Listing.Attendance.ONLINE.value]


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
            self.distance = distances(index, origin, query.radius)
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


def distances(ix, origin: geo.Origin, radius: int | None) -> np.ndarray:
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
