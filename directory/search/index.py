"""The search index: a read model of the searchable listings, held in memory by each process.

Facet counts need "all *other* filters applied" for every value of every facet; in SQL that
is some twenty queries, each re-scanning the candidate listings and re-evaluating per-zone
time conditions over every schedule. Here the listings are integer-coded columns and the
schedules are arrays, so a whole results page with its counts is a few dozen vectorised
operations (numpy) over about 100,000 + 300,000 numbers.

PostgreSQL stays the system of record: the index is rebuilt from it whenever the database's
search version changes (``directory.search.freshness``). On PostgreSQL the index also holds
each listing's full-text lexemes as an inverted index (``directory.search.keywords``) and its
lowered name's trigrams (``directory.search.names``): the database parses a keyword and tests
names by similarity; matching and ranking happen here.

Listings are stored in the database's own ``ORDER BY name, id`` order, so position is the
name order (with the database's collation) and every sort is a stable sort on positions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from directory.models import Listing
from directory.models.listings import ACTIVE_ATTENDANCE
from directory.scheduling import (
    TIMES_OF_DAY,
)
from directory.search.keywords import KeywordIndex
from directory.search.names import NameTrigrams

KIND_CODES = {"weekly": 0, "monthly": 1, "interval": 2}
NO_VALUE = -1
FAR_PAST = -(2**30)
FAR_FUTURE = 2**30
ATTENDANCE_VALUES = [attendance.value for attendance in ACTIVE_ATTENDANCE]
COST_VALUES = [value for value, _ in Listing.Cost.choices]
TIME_OF_DAY_VALUES = list(TIMES_OF_DAY)


@dataclass
class Codes:
    """The distinct values of one coded column, in first-seen order, and their labels."""

    values: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    by_value: dict[str, int] = field(default_factory=dict)
    # Labels in other languages, where known: language -> code -> label ("" when unknown).
    translated: dict[str, list[str]] = field(default_factory=dict)

    def label_in(self, code: int, language: str | None) -> str:
        """The value's label in ``language`` (the source English when it has none)."""
        other = self.translated.get((language or "")[:2])
        return (other[code] if other and code < len(other) else "") or self.labels[code]

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

    def label_rank(self) -> np.ndarray:
        """Each code's position in label order (computed once; the values never change)."""
        rank = getattr(self, "_label_rank", None)
        if rank is None or len(rank) != len(self.labels):
            order = sorted(range(len(self.labels)), key=self.labels.__getitem__)
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._label_rank = rank
        return rank


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
    approximate: np.ndarray  # the place is its town's or postcode's, not its own (maps)
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
    # Lowered names as trigrams and the lexemes of each listing's full text and name, for
    # keyword search.
    names: NameTrigrams | None = None
    keywords: KeywordIndex | None = None
    # Per listing, the versions of its row, of its schedules and of its feature links
    # (PostgreSQL; ``_Reuse``): what the next build can keep.
    row_version: np.ndarray | None = None
    schedule_version: np.ndarray | None = None
    feature_version: np.ndarray | None = None
    table_version: np.ndarray | None = None  # the schedules' and feature links' tables
    full_built_at: float = 0.0  # when the last build that kept nothing began (time.time())
    kept: int = 0  # listings whose lexemes this build kept from the previous one
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
        self.schedule_zone_weekday = self.schedule_zone * 7 + self.schedule_weekday

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = sum(value.nbytes for value in vars(self).values() if isinstance(value, np.ndarray))
        arrays += self.names.nbytes if self.names is not None else 0
        return arrays + (self.keywords.nbytes if self.keywords is not None else 0)

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
        # Positions first: a gather through a boolean mask is 5x slower here.
        mask[self.schedule_listing[np.flatnonzero(schedule_mask)]] = True
        return mask

    def listings_having_features(self, codes: list[int]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        if codes:
            having = lookup(self.feature_code, codes, len(self.features.values))
            mask[self.feature_listing[np.flatnonzero(having)]] = True
        return mask

    def min_per_listing(self, schedule_values: np.ndarray, empty) -> np.ndarray:
        """The smallest schedule value of each listing (``empty`` for listings without)."""
        result = np.full(self.size, empty, dtype=schedule_values.dtype)
        if len(self._segment_starts):
            result[self._segment_listings] = np.minimum.reduceat(
                schedule_values, self._segment_starts
            )
        return result


_ARRAY_FIELDS = [
    "ids", "type_code", "attendance_code", "cost_code", "org_code", "region_code", "latitude",
    "longitude", "approximate", "feature_listing", "feature_code", "schedule_listing",
    "schedule_kind", "schedule_weekday", "schedule_start", "schedule_end", "schedule_week_minute",
    "schedule_zone",    "schedule_week_of_month", "schedule_interval_days", "schedule_anchor_day",
    "schedule_valid_from", "schedule_valid_to",
]  # fmt: skip


_VERSION_ARRAYS = ["row_version", "schedule_version", "feature_version", "table_version"]


def save_index(index: ListingIndex, path) -> None:
    """Write the index as one .npz file: arrays, plus the labels as JSON (no pickle)."""
    meta = {
        "version": index.version,
        "built_in": index.built_in,
        "full_built_at": index.full_built_at,
        "types": [index.types.values, index.types.labels, index.types.translated],
        "orgs": [index.orgs.values, index.orgs.labels],
        "regions": [index.regions.values, index.regions.labels],
        "features": [
            index.features.values,
            index.features.labels,
            index.features.translated,
        ],
        "feature_category": index.feature_category,
        "zones": index.zones,
    }
    arrays = {name: getattr(index, name) for name in _ARRAY_FIELDS}
    for name in _VERSION_ARRAYS:
        if getattr(index, name) is not None:
            arrays[name] = getattr(index, name)
    if index.names is not None:
        meta["names"] = index.names.names
        meta["trigrams"] = list(index.names.vocabulary)  # in row order
        meta["name_words"] = index.names.words
        meta["word_trigrams"] = list(index.names.word_trigrams)  # in row order
        arrays.update({f"names_{n}": getattr(index.names, n) for n in NameTrigrams.ARRAYS})
    if index.keywords is not None:
        meta["lexemes"] = list(index.keywords.vocabulary)  # in row order
        arrays.update({f"keywords_{n}": getattr(index.keywords, n) for n in KeywordIndex.ARRAYS})
    with open(path, "wb") as out:
        np.savez(out, meta=np.array(json.dumps(meta)), **arrays)


def load_index(path) -> ListingIndex:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {name: data[name] for name in _ARRAY_FIELDS}
        arrays.update({name: data[name] for name in _VERSION_ARRAYS if name in data.files})
        names = None
        if "names" in meta:
            names = NameTrigrams(
                names=meta["names"],
                vocabulary={trigram: i for i, trigram in enumerate(meta["trigrams"])},
                words=meta["name_words"],
                word_trigrams={trigram: i for i, trigram in enumerate(meta["word_trigrams"])},
                **{name: data[f"names_{name}"] for name in NameTrigrams.ARRAYS},
            )
        keywords = None
        if "lexemes" in meta:
            keywords = KeywordIndex(
                vocabulary={lexeme: i for i, lexeme in enumerate(meta["lexemes"])},
                **{name: data[f"keywords_{name}"] for name in KeywordIndex.ARRAYS},
            )

    def codes(saved) -> Codes:
        values, labels, *translated = saved
        by_value = {value: i for i, value in enumerate(values)}
        return Codes(values, labels, by_value, translated[0] if translated else {})

    return ListingIndex(
        version=meta["version"],
        built_in=meta["built_in"],
        full_built_at=meta.get("full_built_at", 0.0),
        types=codes(meta["types"]),
        orgs=codes(meta["orgs"]),
        regions=codes(meta["regions"]),
        features=codes(meta["features"]),
        feature_category=meta["feature_category"],
        zones=meta["zones"],
        names=names,
        keywords=keywords,
        **arrays,
    )


LOOKUP_BY_COMPARISON = 8  # codes: up to this many, compared one by one


def lookup(column: np.ndarray, codes, size: int) -> np.ndarray:
    """``column`` is one of ``codes`` (codes in [0, size); NO_VALUE is never matched).

    A few codes (a ticked day, type or time of day) are compared one by one: each comparison
    is a single pass over the column, ~15x faster than gathering from a table (which first
    widens a column of small integers to the platform's index type). More codes go through a
    table of size + 1 (the extra last slot is where NO_VALUE, -1, lands).
    """
    codes = sorted(set(codes))
    if len(codes) <= LOOKUP_BY_COMPARISON:
        found = np.zeros(len(column), dtype=bool)
        for code in codes:
            found |= column == code
        return found
    table = np.zeros(size + 1, dtype=bool)
    table[codes] = True
    return table[column]
