"""A page's result cards: what each shows, read as plain values and kept per index.

``load_result_cards`` gives ``/find/``'s cards (``Card``: no model instances; a page reads only
the listings this index has not shown yet, ``_CardRows``); ``load_cards`` gives model
instances with their cards' data for the print handout and calendars, which read more.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from directory.models import Feature, FeatureCategory, Listing, Location, Schedule, SupportType
from directory.models.listings import Status, text_language
from directory.scheduling import next_start_for_listing

if TYPE_CHECKING:
    from directory.search.query import CompiledSearch


def load_cards(search: CompiledSearch, positions: np.ndarray, now: dt.datetime) -> list[Listing]:
    """The listings at ``positions`` as model instances with their cards' data, in that order
    (for print and calendars, which read more of each listing than a results card).

    A listing unpublished since the index was built is left out rather than shown.
    """
    ids = search.index.ids[positions].tolist()
    by_id = {
        item.pk: item for item in Listing.objects.published().filter(pk__in=ids).with_card_data()
    }
    distances = search.distance[positions].tolist() if search.distance is not None else None
    items = []
    for i, pk in enumerate(ids):
        item = by_id.get(pk)
        if item is None:
            continue
        item.distance = distances[i] if distances is not None else None
        item.next_start = next_start_for_listing(item.schedules.all(), now)
        item.happening_now = item.next_start is not None and item.next_start <= now
        items.append(item)
    return items


class ScheduleRow(NamedTuple):
    """What the schedule arithmetic reads of a schedule (``directory.scheduling.Recurrence``).
    A named tuple: the shared cache pickles and unpickles it faster than a dataclass."""

    kind: str
    weekday: int
    start_time: dt.time
    end_time: dt.time | None
    timezone: str
    week_of_month: int | None
    interval_weeks: int | None
    anchor_date: dt.date | None
    valid_from: dt.date | None
    valid_to: dt.date | None


SCHEDULE_ROW_FIELDS = list(ScheduleRow._fields)


@dataclass(slots=True)
class Card:
    """What a result card shows, read fresh from the database as plain values."""

    pk: int
    name: str
    slug: str
    is_demo: bool
    attendance: str
    last_verified_at: dt.datetime | None
    support_type_name: str
    has_location: bool
    city: str
    region: str
    distance: float | None = None
    features: list[str] = field(default_factory=list)
    next_start: dt.datetime | None = None
    happening_now: bool = False
    by_appointment: bool = False
    text_language: str = "en"  # the language of its name (``text_language``)

    @property
    def attendance_label(self) -> str:
        """As ``Listing.get_attendance_display()``: the choice's label, else the value."""
        return str(ATTENDANCE_LABELS.get(self.attendance, self.attendance))


ATTENDANCE_LABELS = dict(Listing.Attendance.choices)


CARD_FEATURES = 5  # a card shows the first five features


class _CardRows:
    """The database rows of the cards one index has shown, so a page reads only new ones.

    A listing's card rows (its name, type, place, features, schedules) can only change by a
    write to a table the index reads, which gives the database a new search version and this
    process a new index (``directory.search.freshness``) with an empty set of rows: cards are
    exactly as fresh as the counts next to them. Bounded: emptied when it holds too many.
    """

    LIMIT = 5_000  # listings, ~1-2 KB each (a page shows 20; 20,000 held 20-40 MB a worker)

    def __init__(self):
        self.index = None
        self.rows: dict[int, tuple | None] = {}
        self.minute: dt.datetime | None = None
        self.next_starts: dict[int, dt.datetime | None] = {}

    def for_index(self, index) -> dict[int, tuple | None]:
        if self.index is not index or len(self.rows) > self.LIMIT:
            self.index, self.rows = index, {}  # a new dict: a thread reading the old one is fine
            self.next_starts = {}
        return self.rows

    def next_starts_at(self, minute: dt.datetime) -> dict[int, dt.datetime | None]:
        """Each shown listing's next start as of ``minute``. Exact for any instant of that
        minute: meetings start and end on whole minutes."""
        if self.minute != minute or len(self.next_starts) > self.LIMIT:
            self.minute, self.next_starts = minute, {}
        return self.next_starts


_card_rows = _CardRows()

# Card rows read by any process of the site, in the shared cache (Redis in production), under
# the index's version: a write to what the index reads gives the database a new version, so
# a row kept here is exactly as fresh as the index that asks for it. Each of the site's
# workers read every card it showed itself before (three statements a page with new cards).
SHARED_SECONDS = 600  # short: what is shown changes with what visitors search
_shared_namespace = "card:1"  # forget_shown_cards() changes it in this process
UNPUBLISHED = False  # kept for a listing found unpublished (None is what an unreadable value gives)


def forget_shown_cards() -> None:
    """This process reads every card again, as if no process had shown it (the benchmark's
    cold requests)."""
    global _card_rows, _shared_namespace
    _card_rows = _CardRows()
    _shared_namespace = f"card:1:{secrets.token_hex(8)}"


def _shared_keys(index, ids: list[int]) -> dict[str, int]:
    """The shared cache's key of each listing's card rows (none for an index of no version)."""
    if index.version is None:
        return {}
    prefix = f"{_shared_namespace}:{connection.vendor}:{index.version}:"
    return {f"{prefix}{pk}": pk for pk in ids}


CARD_FIELDS = (
    "pk", "name", "slug", "is_demo", "attendance", "last_verified_at", "support_type__name",
    "location_id", "location__city", "location__region", "by_appointment",
    "support_type__name_es",
)  # fmt: skip
CARD_FEATURE_FIELDS = (
    "listing_id", "feature__name", "feature__name_es", "feature__slug",
    "feature__category__slug",
)  # fmt: skip


def _card_statements_postgresql(ids: list[int]) -> tuple[list, list, list]:
    """The ORM statements of ``_card_statements`` written out: the same rows for a third of
    the CPU (building three joined statements costs more than running them, and a page
    with new cards is every other search)."""
    listing, kind, place = Listing._meta.db_table, SupportType._meta.db_table, Location._meta
    links = Listing.features.through._meta.db_table
    feature, category = Feature._meta.db_table, FeatureCategory._meta.db_table
    schedule = Schedule._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id, r.name, r.slug, r.is_demo, r.attendance, r.last_verified_at, t.name,"  # noqa: S608 - our tables; ids are a parameter
            f" r.location_id, l.city, l.region, r.by_appointment, t.name_es FROM {listing} r"
            f" JOIN {kind} t ON t.id = r.support_type_id"
            f" LEFT JOIN {place.db_table} l ON l.id = r.location_id"
            " WHERE r.status = %s AND r.id = ANY(%s)",
            [Status.PUBLISHED.value, ids],
        )
        base = cursor.fetchall()
        published = [row[0] for row in base]
        cursor.execute(
            f"SELECT rf.listing_id, f.name, f.name_es, f.slug, c.slug FROM {links} rf"  # noqa: S608 - our tables
            f" JOIN {feature} f ON f.id = rf.feature_id JOIN {category} c ON c.id = f.category_id"
            " WHERE rf.listing_id = ANY(%s) ORDER BY c.position, f.position, f.name",
            [published],
        )
        features = cursor.fetchall()
        cursor.execute(
            f"SELECT listing_id, {', '.join(SCHEDULE_ROW_FIELDS)} FROM {schedule}"  # noqa: S608 - our table and field names
            " WHERE listing_id = ANY(%s)",
            [published],
        )
        schedules = cursor.fetchall()
    return base, features, schedules


def _card_statements(ids: list[int]) -> tuple[list, list, list]:
    """The rows of the published listings among ``ids``, of their features (in the
    features' own order: category, position, name, as the listing page shows them) and of
    their schedules."""
    if connection.vendor == "postgresql":
        return _card_statements_postgresql(ids)
    return _card_statements_orm(ids)


def _card_statements_orm(ids: list[int]) -> tuple[list, list, list]:
    base = list(Listing.objects.published().filter(pk__in=ids).order_by().values_list(*CARD_FIELDS))
    published = [row[0] for row in base]
    features = list(
        Listing.features.through.objects.filter(listing_id__in=published)
        .order_by("feature__category__position", "feature__position", "feature__name")
        .values_list(*CARD_FEATURE_FIELDS)
    )
    schedules = list(
        Schedule.objects.filter(listing_id__in=published)
        .order_by()
        .values_list("listing_id", *SCHEDULE_ROW_FIELDS)
    )
    return base, features, schedules


def _read_card_rows(ids: list[int]) -> dict[int, tuple | None]:
    """(card fields, feature names, schedule rows) per listing id; None: not published."""
    found: dict[int, tuple | None] = dict.fromkeys(ids)
    base_rows, feature_rows, schedule_rows = _card_statements(ids)
    base: dict[int, tuple] = {row[0]: row for row in base_rows}
    features: dict[int, list[tuple[str, str]]] = {pk: [] for pk in base}
    languages: dict[int, list[str]] = {pk: [] for pk in base}
    # Each feature as (English, Spanish) names: the cards are shared by both languages' pages.
    for listing_id, name, name_es, slug, category in feature_rows:
        if len(features[listing_id]) < CARD_FEATURES:
            features[listing_id].append((name, name_es))
        if category == "language":
            languages[listing_id].append(slug)
    schedules: dict[int, list[ScheduleRow]] = {pk: [] for pk in base}
    for row in schedule_rows:
        schedules[row[0]].append(ScheduleRow(*row[1:]))
    for pk, row in base.items():
        found[pk] = (
            row + (text_language(languages[pk]),),
            tuple(features[pk]),
            tuple(schedules[pk]),
        )
    return found


def _shared_card_rows(index, ids: list[int]) -> dict[int, tuple | None]:
    """The card rows of ``ids``: from the shared cache where another process (or this one)
    read them for this index's version, else from the database (and then kept there)."""
    keys = _shared_keys(index, ids)
    found: dict[int, tuple | None] = {}
    for key, kept in (cache.get_many(list(keys)) if keys else {}).items():
        if kept is UNPUBLISHED:
            found[keys[key]] = None
        elif isinstance(kept, tuple) and len(kept) == 3:
            found[keys[key]] = kept
        # Anything else (a value no longer readable: None) is read again below.
    unread = [pk for pk in ids if pk not in found]
    if unread:
        read = _read_card_rows(unread)
        found.update(read)
        if keys:
            by_pk = {pk: key for key, pk in keys.items()}
            kept = {by_pk[pk]: UNPUBLISHED if row is None else row for pk, row in read.items()}
            cache.set_many(kept, SHARED_SECONDS)
    return found


def load_result_cards(
    search: CompiledSearch, positions: np.ndarray, now: dt.datetime
) -> list[Card]:
    """The page's cards in the order of ``positions``: at most three value queries, for the
    listings this index has not shown yet (``_CardRows``), and no model instances.

    A listing found unpublished is left out rather than shown.
    """
    ids = search.index.ids[positions].tolist()
    rows = _card_rows.for_index(search.index)
    missing = [pk for pk in ids if pk not in rows]
    if missing:
        rows.update(_shared_card_rows(search.index, missing))
    minute = now.replace(second=0, microsecond=0)
    next_starts = _card_rows.next_starts_at(minute)
    distances = search.distance[positions].tolist() if search.distance is not None else None
    cards = []
    in_spanish = translation.get_language() == "es"
    for i, pk in enumerate(ids):
        found = rows.get(pk)
        if found is None:
            continue
        row, features, schedules = found
        if pk in next_starts:
            next_start = next_starts[pk]
        else:
            next_start = next_starts[pk] = next_start_for_listing(schedules, minute)
        cards.append(
            Card(
                pk=row[0],
                name=row[1],
                slug=row[2],
                is_demo=row[3],
                attendance=row[4],
                last_verified_at=row[5],
                support_type_name=(row[11] if in_spanish else "") or row[6],
                has_location=row[7] is not None,
                city=row[8] or "",
                region=row[9] or "",
                distance=distances[i] if distances is not None else None,
                features=[(spanish if in_spanish else "") or name for name, spanish in features],
                next_start=next_start,
                happening_now=next_start is not None and next_start <= now,
                by_appointment=row[10],
                text_language=row[12],
            )
        )
    return cards
