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

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection
from django.db.models import BigIntegerField, F, Func, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

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
from directory.search.keywords import KeywordIndex
from directory.search.keywords import lexemes as analysed_lexemes
from directory.search.names import NameTrigrams

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


CHUNK_ROWS = 20_000  # rows read and converted at a time: keeps the build's peak memory low


def _chunks(rows) -> Iterator[list[tuple]]:
    """A queryset's rows as plain tuples, CHUNK_ROWS at a time.

    The queryset's own SQL on a plain cursor: the columns read here need none of the ORM's
    per-value converters, which cost more than the reading itself.
    """
    sql, params = rows.query.sql_with_params()
    # A server-side cursor on PostgreSQL: the client never holds the whole table at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK_ROWS):
            yield chunk


def _no_none(values, missing) -> list:
    return [missing if v is None else v for v in values]


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


class _Lexemes(Func):
    """The distinct lexemes of a tsvector as one space-separated string (PostgreSQL's parser
    makes no token with a space in it; one string per listing keeps the build from holding a
    Python string per lexeme per listing)."""

    template = "array_to_string(tsvector_to_array(%(expressions)s), ' ')"
    output_field = TextField()


class _NameLexemes(Func):
    """The distinct lexemes of the name alone, as the full-text document makes them."""

    template = (
        "array_to_string(tsvector_to_array("
        "to_tsvector('english'::regconfig, coalesce(%(expressions)s, ''))), ' ')"
    )
    output_field = TextField()


class _RowVersion(RawSQL):
    """A row's version: PostgreSQL's ``xmin``, the transaction that wrote it. Any write gives
    the row a new one (a listing's full-text document is a column of its own row)."""

    def __init__(self, table: str = Resource._meta.db_table):
        super().__init__(f'"{table}"."xmin"::text::bigint', (), BigIntegerField())


FULL_BUILD_SECONDS = 3600  # the full build under load takes ~3x its quiet time: rarely
REUSE_AT_MOST = 20_000  # changed listings read by id at most; with more, every row is read


# A fingerprint of rows in another table (a listing's schedules, its feature links; or a whole
# table's): their number and the sum of their xmins. A write adds or rewrites rows with newer
# transaction ids, so the sum of as many rows grows; fewer or more rows change the count.
_FINGERPRINT = "count(*), coalesce(sum(xmin::text::bigint), 0)::bigint"


def _fingerprint(counts, sums) -> np.ndarray:
    """One int64 per (count, sum) (wrapping: a fingerprint, not a number)."""
    counts, sums = np.asarray(counts, dtype=np.int64), np.asarray(sums, dtype=np.int64)
    with np.errstate(over="ignore"):
        return sums + counts * np.int64(0x9E3779B97F4A7C15 - (1 << 64))


_CHILD_TABLES = (Schedule._meta.db_table, Resource.features.through._meta.db_table)


UNKNOWN = np.iinfo(np.int64).min  # a listing's fingerprint not computed (``_Reuse``)


def _table_versions() -> np.ndarray:
    """The fingerprints of the schedules' and the feature links' whole tables (one query)."""
    tables = ", ".join(
        f"(SELECT {_FINGERPRINT} FROM {table}) AS t{i}"  # noqa: S608 - our own table names
        for i, table in enumerate(_CHILD_TABLES)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {tables}")  # noqa: S608
        found = cursor.fetchone()
    return _fingerprint(found[0::2], found[1::2])


def _child_versions(table: str, positions, size: int) -> np.ndarray:
    """Per listing position, the fingerprint of its rows in ``table`` (0: none). Two arrays
    in one row: 89,000 rows one by one cost the client three times as long."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(resource_id), array_agg(count), array_agg(xmins) FROM ("  # noqa: S608
            f"SELECT resource_id, {_FINGERPRINT} FROM {table} GROUP BY resource_id"
            ") AS listings (resource_id, count, xmins)"
        )
        listing_ids, counts, xmins = cursor.fetchone()
    versions = np.zeros(size, dtype=np.int64)
    if listing_ids:
        at, kept = positions(np.array(listing_ids, dtype=np.int64))
        versions[at] = _fingerprint(counts, xmins)[kept]
    return versions


class _Reuse:
    """What a build can keep of the previous index (PostgreSQL): per part of a listing (its
    lexemes, its feature links, its schedules), which listings are unchanged since, by
    PostgreSQL's row versions (``xmin``), and where each one was in the previous index.

    When a whole table (schedules, feature links) is as it was, its per-listing fingerprints
    are carried over rather than computed (a listing that is new to the index then counts as
    changed, and gets ``UNKNOWN`` until a build computes them); most edits change a
    listing's own row only.
    """

    def __init__(self, previous, ids, row_version, positions):
        self.previous = previous
        self.ids = ids
        self.old = np.full(len(ids), -1, dtype=np.intp)  # per listing, its previous position
        usable = previous is not None and all(
            getattr(previous, name) is not None
            for name in ("row_version", "table_version", "keywords")
        )
        if usable and previous.size and len(ids):
            where = np.minimum(np.searchsorted(previous._sorted_ids, ids), previous.size - 1)
            found = previous._sorted_ids[where] == ids
            self.old[found] = previous._sorted_positions[where[found]]
        there = self.old >= 0
        old = self.old[there]
        self.table_version = _table_versions()

        def versions(i: int, name: str) -> np.ndarray:
            if usable and previous.table_version[i] == self.table_version[i]:
                carried = np.full(len(ids), UNKNOWN, dtype=np.int64)
                carried[there] = getattr(previous, name)[old]
                return carried
            return _child_versions(_CHILD_TABLES[i], positions, len(ids))

        def unchanged(name: str, now: np.ndarray) -> np.ndarray:
            same = np.zeros(len(ids), dtype=bool)
            if there.any():
                same[there] = (getattr(previous, name)[old] == now[there]) & (now[there] != UNKNOWN)
            return same

        self.schedule_version = versions(0, "schedule_version")
        self.feature_version = versions(1, "feature_version")
        self.lexemes = unchanged("row_version", row_version)
        self.schedules = unchanged("schedule_version", self.schedule_version)
        self.features = unchanged("feature_version", self.feature_version)

    def new_positions(self, same: np.ndarray) -> np.ndarray:
        """Previous position -> position in this build, for the listings where ``same``
        (-1 for the others)."""
        moved = np.full(self.previous.size, -1, dtype=np.intp)
        moved[self.old[same]] = np.flatnonzero(same)
        return moved

    def to_read(self, same: np.ndarray, rows, field: str = "resource_id"):
        """``rows`` narrowed to the listings not ``same``; None when there are none to read
        (then everything is kept), ``rows`` itself when they are too many to name."""
        stale = ~same
        if not stale.any():
            return None
        if stale.sum() > REUSE_AT_MOST or same.sum() == 0:
            return rows
        return rows.filter(**{f"{field}__in": self.ids[stale].tolist()})


def _keywords(searchable, ids, positions, reuse: _Reuse | None, postgresql) -> KeywordIndex:
    """The listings' lexemes as an inverted index: kept from the previous index for every
    listing whose row did not change since (PostgreSQL), read from the database for the
    others."""
    keep = reuse is not None and reuse.lexemes.any()
    builder = KeywordIndex.builder(reuse.previous.keywords if keep else None)
    rows = searchable
    if keep:
        builder.keep(reuse.new_positions(reuse.lexemes))
        rows = reuse.to_read(reuse.lexemes, searchable, "pk")
        if rows is None:
            return builder.build()
    if postgresql:
        rows = rows.annotate(
            document_lexemes=_Lexemes(F("search_document")), name_lexemes=_NameLexemes(F("name"))
        ).values_list("pk", "document_lexemes", "name_lexemes")
    else:  # from the name and description (``keywords.analyse``)
        rows = rows.values_list("pk", "description", "name")
    for chunk in _chunks(rows.order_by()):
        pks, documents, names = zip(*chunk, strict=True)
        at, kept = positions(np.array(pks, dtype=np.int64))
        keep_row = kept.tolist()
        documents = [d for d, k in zip(documents, keep_row, strict=True) if k]
        names = [n for n, k in zip(names, keep_row, strict=True) if k]
        if postgresql:
            builder.add_chunk(
                at, [(d or "").split() for d in documents], [(n or "").split() for n in names]
            )
        else:
            builder.add_chunk(
                at,
                [
                    analysed_lexemes(f"{n or ''} {d or ''}")
                    for n, d in zip(names, documents, strict=True)
                ],
                [analysed_lexemes(n or "") for n in names],
            )
    return builder.build()


def _feature_links(ids, positions, code_of_feature_id, features: Codes, reuse: _Reuse | None):
    """(listing position, feature code) of every feature link: kept from the previous index
    for the listings whose links did not change (their codes translated by slug), read for
    the others."""
    rows = Resource.features.through.objects.order_by().values_list("resource_id", "feature_id")
    listing_parts: list[np.ndarray] = []
    code_parts: list[np.ndarray] = []
    if reuse is not None and reuse.features.any():
        previous = reuse.previous
        translate = np.array(
            [features.by_value.get(slug, NO_VALUE) for slug in previous.features.values],
            dtype=np.intp,
        )
        moved = reuse.new_positions(reuse.features)[previous.feature_listing]
        kept = moved >= 0
        codes = translate[previous.feature_code[kept]]
        if (codes != NO_VALUE).all():  # else a feature is gone: read every link
            listing_parts.append(moved[kept])
            code_parts.append(codes)
            rows = reuse.to_read(reuse.features, rows)
    for chunk in _chunks(rows) if rows is not None else ():
        listing_ids, feature_ids = zip(*chunk, strict=True)
        at, kept = positions(np.array(listing_ids, dtype=np.int64))
        listing_parts.append(at)
        codes = np.array([code_of_feature_id[f] for f in feature_ids], dtype=np.intp)
        code_parts.append(codes[kept])
    return _joined(listing_parts, np.intp), _joined(code_parts, np.intp)


# Each schedule column: the ListingIndex field and its dtype.
_SCHEDULE_COLUMNS = {
    "schedule_kind": np.int8,
    "schedule_weekday": np.int8,
    "schedule_start": np.int32,
    "schedule_end": np.int32,
    "schedule_week_minute": np.int32,
    "schedule_zone": np.intp,
    "schedule_week_of_month": np.int8,
    "schedule_interval_days": np.int32,
    "schedule_anchor_day": np.int32,
    "schedule_valid_from": np.int32,
    "schedule_valid_to": np.int32,
}


def _schedules(ids, positions, reuse: _Reuse | None) -> dict:
    """The schedule columns of ``ListingIndex`` (sorted by listing position) and ``zones``:
    kept from the previous index for the listings whose schedules did not change, read for
    the others."""
    rows = (
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
    names = list(_SCHEDULE_COLUMNS)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ["schedule_listing", *names]}
    zone_codes: dict[str, int] = {}
    if reuse is not None and reuse.schedules.any():
        previous = reuse.previous
        zone_codes = {zone: code for code, zone in enumerate(previous.zones)}
        moved = reuse.new_positions(reuse.schedules)[previous.schedule_listing]
        kept = moved >= 0
        parts["schedule_listing"].append(moved[kept])
        for name in names:
            parts[name].append(getattr(previous, name)[kept])
        rows = reuse.to_read(reuse.schedules, rows)
    for chunk in _chunks(rows) if rows is not None else ():
        (listing_ids, kinds, weekdays, starts, ends, week_minutes, zone_names, weeks_of_month,
         interval_weeks, anchor_days, valid_froms,
         valid_tos) = zip(*chunk, strict=True)  # fmt: skip
        at, kept = positions(np.array(listing_ids, dtype=np.int64))
        parts["schedule_listing"].append(at)
        columns = [
            [KIND_CODES.get(k, NO_VALUE) for k in kinds],
            weekdays,
            starts,
            ends,
            week_minutes,
            [zone_codes.setdefault(z, len(zone_codes)) for z in zone_names],
            _no_none(weeks_of_month, 0),
            [w * 7 if w else 1 for w in interval_weeks],
            _no_none(anchor_days, 0),
            _no_none(valid_froms, FAR_PAST),
            _no_none(valid_tos, FAR_FUTURE),
        ]
        for name, values in zip(names, columns, strict=True):
            parts[name].append(np.array(values, dtype=_SCHEDULE_COLUMNS[name])[kept])
    listing = _joined(parts["schedule_listing"], np.intp)
    by_listing = np.argsort(listing, kind="stable")
    result = {"schedule_listing": listing[by_listing]}
    for name in names:
        result[name] = _joined(parts[name], _SCHEDULE_COLUMNS[name])[by_listing]
    # Zones no schedule has any more are dropped (each costs every time search its offsets).
    zones = list(zone_codes)
    used = np.bincount(result["schedule_zone"], minlength=len(zones)) > 0
    if not used.all():
        renumber = np.cumsum(used) - 1
        result["schedule_zone"] = renumber[result["schedule_zone"]].astype(np.intp)
        zones = [zone for zone, keep in zip(zones, used.tolist(), strict=True) if keep]
    result["zones"] = zones
    return result


def build_index(version=None, previous: ListingIndex | None = None) -> ListingIndex:
    """Read the searchable listings (published, not inactive) and their schedules.

    Rows are streamed and turned into arrays a chunk at a time, so the build never holds a
    whole table as Python objects (which a process would keep as resident memory after).
    With ``previous`` (the index this process serves), what it holds of the listings that did
    not change is kept rather than read and computed again: their lexemes, feature links and
    schedules (by PostgreSQL's row versions, ``_Reuse``) and their names' trigrams (by name,
    ``NameTrigrams.build``). The listings' own columns are always read: their order, type,
    organisation and place come from several tables.
    """
    started = time.perf_counter()
    types, orgs, regions, features = Codes(), Codes(), Codes(), Codes()
    # Every type and organisation, so a selected one with no listings still has its name.
    types.translated["es"] = []
    code_of_type_id, code_of_org_id = {}, {}
    for pk, slug, name, name_es in SupportType.objects.order_by("pk").values_list(
        "pk", "slug", "name", "name_es"
    ):
        code_of_type_id[pk] = types.code(slug, name)
        types.translated["es"].append(name_es)
    for pk, slug, name in Organization.objects.order_by("pk").values_list("pk", "slug", "name"):
        code_of_org_id[pk] = orgs.code(slug, name)
    feature_category = []
    code_of_feature_id = {}
    features.translated["es"] = []
    for pk, slug, name, name_es, category in Feature.objects.order_by("pk").values_list(
        "pk", "slug", "name", "name_es", "category__slug"
    ):
        code_of_feature_id[pk] = features.code(slug, name)
        features.translated["es"].append(name_es)
        feature_category.append(category)

    attendance_codes = {value: i for i, value in enumerate(ATTENDANCE_VALUES)}
    cost_codes = {value: i for i, value in enumerate(COST_VALUES)}
    # For keyword search, the lowered names (as the database lowers them, on PostgreSQL) and
    # each row's version (PostgreSQL's xmin: it changes whenever the row is written), which
    # tells the lexemes a previous build read that are still valid.
    postgresql = connection.vendor == "postgresql"
    searchable = Resource.objects.published().exclude(attendance=Resource.Attendance.INACTIVE)
    listing_rows = (
        searchable.annotate(lowered_name=Lower("name") if postgresql else F("name"))
        .annotate(row_version=_RowVersion() if postgresql else Value(0))
        .order_by("name", "pk")
        .values_list(
            "pk",
            "support_type_id",
            "attendance",
            "cost",
            "organization_id",
            "location__region",
            "location__latitude",
            "location__longitude",
            "location__approximate",
            "lowered_name",
            "row_version",
        )
    )
    listing_parts: list[list[np.ndarray]] = [[] for _ in range(10)]
    lowered_names: list[str] = []
    for chunk in _chunks(listing_rows):
        (pks, type_ids, attendances, costs, org_ids, region_names, latitudes, longitudes,
         approximates, lowered, row_versions) = zip(*chunk, strict=True)  # fmt: skip
        lowered_names.extend(lowered if postgresql else (n.lower() for n in lowered))
        for i, array in enumerate(
            [
                np.array(pks, dtype=np.int64),
                np.array([code_of_type_id.get(t, NO_VALUE) for t in type_ids]),
                np.array([attendance_codes.get(a, NO_VALUE) for a in attendances]),
                np.array([cost_codes.get(c, NO_VALUE) for c in costs]),
                np.array([code_of_org_id.get(o, NO_VALUE) for o in org_ids]),
                np.array([regions.code(r) for r in region_names]),
                np.array(latitudes, dtype=np.float64),  # None becomes NaN
                np.array(longitudes, dtype=np.float64),
                np.array([bool(a) for a in approximates], dtype=bool),
                np.array(row_versions, dtype=np.int64),
            ]
        ):
            listing_parts[i].append(array)
    ids = _joined(listing_parts[0], np.int64)
    row_version = _joined(listing_parts[9], np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]

    def positions(wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions, kept) for an array of listing ids: rows of other listings are dropped."""
        if not len(sorted_ids) or not len(wanted):
            return np.zeros(0, dtype=np.intp), np.zeros(len(wanted), dtype=bool)
        where = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
        kept = sorted_ids[where] == wanted
        return order[where[kept]], kept

    # Reuse needs each write in a transaction of its own: inside a transaction (a test's), the
    # rows it wrote keep one xmin however often they are written. And a full build at least
    # every FULL_BUILD_SECONDS, so nothing a fingerprint could miss outlives it.
    if previous is not None and (
        connection.in_atomic_block or time.time() - previous.full_built_at > FULL_BUILD_SECONDS
    ):
        previous = None
    reuse = _Reuse(previous, ids, row_version, positions) if postgresql else None
    keywords = _keywords(searchable, ids, positions, reuse, postgresql)
    link_listing, link_code = _feature_links(ids, positions, code_of_feature_id, features, reuse)
    schedules = _schedules(ids, positions, reuse)

    index = ListingIndex(
        version=version,
        built_in=0.0,
        ids=ids,
        types=types,
        type_code=_joined(listing_parts[1], np.int16).astype(np.int16),
        attendance_code=_joined(listing_parts[2], np.int8).astype(np.int8),
        cost_code=_joined(listing_parts[3], np.int8).astype(np.int8),
        orgs=orgs,
        org_code=_joined(listing_parts[4], np.int32).astype(np.int32),
        regions=regions,
        region_code=_joined(listing_parts[5], np.int32).astype(np.int32),
        latitude=_joined(listing_parts[6], np.float64),
        longitude=_joined(listing_parts[7], np.float64),
        approximate=_joined(listing_parts[8], bool),
        features=features,
        feature_category=feature_category,
        feature_listing=link_listing,
        feature_code=link_code,
        **schedules,
        names=NameTrigrams.build(lowered_names, previous.names if previous is not None else None),
        keywords=keywords,
        row_version=row_version,
        schedule_version=reuse.schedule_version if reuse is not None else None,
        feature_version=reuse.feature_version if reuse is not None else None,
        table_version=reuse.table_version if reuse is not None else None,
        full_built_at=previous.full_built_at if previous is not None else time.time(),
        kept=int(reuse.lexemes.sum()) if reuse is not None else 0,
    )
    index.built_in = time.perf_counter() - started
    return index


# --- time on the index ---------------------------------------------------------------------


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
        cards compute it (``next_start_for_resource``): a meeting under way counts, with its
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
