"""Building the search index from the database (``build_index``), keeping what a previous
index holds of every listing that did not change (``_Reuse``: row versions, and fingerprints
of each listing's schedules and feature links).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
from django.db import connection
from django.db.models import BigIntegerField, F, Func, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from directory.models import Feature, Listing, Organization, Schedule, SupportType
from directory.models.listings import DaysSinceEpochSunday
from directory.search.analysis import lexemes as analysed_lexemes
from directory.search.index import (
    ATTENDANCE_VALUES,
    COST_VALUES,
    FAR_FUTURE,
    FAR_PAST,
    KIND_CODES,
    NO_VALUE,
    Codes,
    ListingIndex,
)
from directory.search.keywords import KeywordIndex
from directory.search.names import NameTrigrams

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

    def __init__(self, table: str = Listing._meta.db_table):
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


_CHILD_TABLES = (Schedule._meta.db_table, Listing.features.through._meta.db_table)


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
            "SELECT array_agg(listing_id), array_agg(count), array_agg(xmins) FROM ("  # noqa: S608
            f"SELECT listing_id, {_FINGERPRINT} FROM {table} GROUP BY listing_id"
            ") AS listings (listing_id, count, xmins)"
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

    def to_read(self, same: np.ndarray, rows, field: str = "listing_id"):
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
    else:  # from the name and description (``analysis.analyse``)
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
    rows = Listing.features.through.objects.order_by().values_list("listing_id", "feature_id")
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
            "listing_id",
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
    searchable = Listing.objects.published().exclude(attendance=Listing.Attendance.INACTIVE)
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
