"""The Meeting Guide JSON feed (``/meetings.json``): one record per listing and meeting day.

The format (``fixtures/reference/meeting-guide/``, from code4recovery's spec) describes weekly
meetings. What each known client does with a feed is written down in docs/feeds.md ("Who reads
it"), and tests/meeting_guide_clients.py reproduces it; so:

- Only published listings with at least one *weekly* schedule that is valid today appear, plus
  listings marked "by appointment" (one record with no ``day`` or ``time``, as the spec
  allows). Monthly ("first Saturday") and every-N-weeks schedules are left out: the format has
  no way to say them. They are in the listing's ``.ics`` calendar and the HSDS API instead.
- **One record per meeting day**: ``day`` is always one integer, never a list. The spec allows
  a list, but TSML UI (the meeting finder most intergroup sites embed) fails to load a feed
  where more than one record uses one. A listing with one weekly meeting keeps its own slug;
  with several, each record's slug is the listing's slug plus the day and start
  (``-tue-1900``), cut to 64 characters with a short hash when needed. Every record of a
  listing carries the listing's ``url``: our importer groups them back into one listing.
- **Every record has an address field**: clients drop a meeting with none ("no address
  information"). A listing without a location (online-only ones) gives an approximate one the
  spec's way, ``approximate: "yes"``: the town its organisation's listings are most often in,
  else the country of its time zone, else the site's default country.
- ``approximate`` is ``"yes"`` for online-only listings and for places without a street
  address (clients show such a meeting as not in person), ``"no"`` otherwise.
- Online status comes from the conference fields, as the spec says, plus the non-spec
  ``attendance_option`` the 12 Step Meeting List plugin reads; inactive listings carry the
  ``TC`` (temporarily closed) type and no link.
- Anonymity: the spec forbids last names. ``contact_name`` holds a first name by policy; the feed
  still only ever emits its first word.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from directory.feeds import published
from directory.meeting_guide.format import TEMPORARILY_CLOSED, first_name_only, known_type_codes
from directory.models import Listing, Schedule
from directory.scheduling.zones import zone_country

SLUG_MAX = 64
UPDATED_FORMAT = "%Y-%m-%d %H:%M:%S"
CHUNK_SIZE = 2000
_SLUG_PLACEHOLDER = "__slug__"
DAY_CODES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def fit_slug(base: str, suffix: str = "") -> str:
    """``base`` + ``suffix`` in at most 64 characters, unique for distinct inputs."""
    slug = base + suffix
    if len(slug) <= SLUG_MAX:
        return slug
    digest = hashlib.sha1(slug.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{base[: SLUG_MAX - len(suffix) - 9]}-{digest}{suffix}"


def _url_pattern(name: str, fallback: str) -> str:
    """A path with ``__slug__`` in place of the slug, reversed once rather than once a row."""
    try:
        return reverse(name, args=[_SLUG_PLACEHOLDER])
    except NoReverseMatch:
        return fallback


class UrlBuilder:
    """Absolute listing and report URLs for a feed built on ``base`` (e.g. https://host)."""

    def __init__(self, base: str = ""):
        self.base = base.rstrip("/")
        self.detail = _url_pattern("directory:listing-detail", f"/resources/{_SLUG_PLACEHOLDER}/")
        self.report = _url_pattern(
            "directory:listing-report", f"/resources/{_SLUG_PLACEHOLDER}/report/"
        )

    def detail_url(self, slug: str) -> str:
        return self.base + self.detail.replace(_SLUG_PLACEHOLDER, slug)

    def report_url(self, slug: str) -> str:
        return self.base + self.report.replace(_SLUG_PLACEHOLDER, slug)


def feed_schedules(today: dt.date):
    return (
        Schedule.objects.filter(kind=Schedule.Kind.WEEKLY)
        .active_on(today)
        .order_by("weekday", "start_time", "end_time", "timezone")
    )


def feed_queryset(today: dt.date | None = None):
    """Published listings with a weekly schedule valid today or by appointment, in id order."""
    today = today or timezone.localdate()
    return (
        Listing.objects.published()
        .filter(
            Q(Exists(feed_schedules(today).filter(listing=OuterRef("pk")))) | Q(by_appointment=True)
        )
        .select_related("location")
        .order_by("pk")
    )


class _ByListing:
    """Rows sorted by listing id, handed out one listing at a time as the listings go by.

    The feed reads listings, their schedules and their type codes as three sorted streams and
    merges them, so it makes a fixed number of queries whatever the directory's size, and
    holds one listing's rows at a time.
    """

    def __init__(self, rows: Iterable, key):
        self._groups = itertools.groupby(rows, key)
        self._current = next(self._groups, None)

    def take(self, listing_id: int) -> list:
        while self._current is not None and self._current[0] < listing_id:
            self._current = next(self._groups, None)
        if self._current is None or self._current[0] != listing_id:
            return []
        items = list(self._current[1])
        self._current = next(self._groups, None)
        return items


def _time(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


Meeting = tuple[int, dt.time, dt.time | None, str]  # day, start, end, zone


def meeting_days(schedules: Iterable[Schedule]) -> list[Meeting]:
    """One (day, start, end, zone) per distinct weekly meeting, by day then start."""
    return sorted(
        {(s.weekday, s.start_time, s.end_time, s.timezone) for s in schedules},
        key=lambda m: (m[0], m[1], m[2] or dt.time.max, m[3]),
    )


def record_slugs(listing_slug: str, meetings: list[Meeting]) -> list[str]:
    """Each record's slug: the listing's for a single meeting, else ``-<day>-<HHMM>`` added.

    Stable (the same meetings always give the same slugs) and unique within the feed: a
    second meeting on the same day and start (another end or zone) gets ``-2``.
    """
    if len(meetings) <= 1:
        return [fit_slug(listing_slug)]
    slugs, used = [], set()
    for day, start, _end, _zone in meetings:
        suffix = f"-{DAY_CODES[day]}-{start:%H%M}"
        candidate, n = suffix, 1
        while candidate in used:
            n += 1
            candidate = f"{suffix}-{n}"
        used.add(candidate)
        slugs.append(fit_slug(listing_slug, candidate))
    return slugs


def _updated(listing: Listing) -> str:
    moments = [listing.updated_at]
    if listing.location is not None:
        moments.append(listing.location.updated_at)
    return max(moments).astimezone(dt.UTC).strftime(UPDATED_FORMAT)


def _place_line(city: str, region: str, postal_code: str, country: str) -> str:
    region_postal = " ".join(part for part in [region, postal_code] if part)
    return ", ".join(part for part in [city, region_postal, country] if part)


class ApproximatePlaces:
    """Where to say a listing without a location is, approximately (see the module).

    One query: the town each organisation's published listings are most often in.
    """

    def __init__(self):
        counts = (
            Listing.objects.published()
            .filter(organization__isnull=False, location__isnull=False)
            .exclude(location__city="")
            .values("organization_id", "location__city", "location__region", "location__country")
            .annotate(n=Count("pk"))
            .order_by("organization_id", "-n", "location__city")
        )
        self.towns: dict[int, dict] = {}
        for row in counts:
            self.towns.setdefault(
                row["organization_id"],
                {
                    "city": row["location__city"],
                    "state": row["location__region"],
                    "country": row["location__country"],
                },
            )

    def for_listing(self, listing: Listing, zone: str) -> dict:
        town = self.towns.get(listing.organization_id)
        if town is not None:
            return dict(town)
        return {"country": zone_country(zone) or settings.DIRECTORY_DEFAULT_COUNTRY}


def _location_fields(listing: Listing, places: ApproximatePlaces, zone: str) -> dict:
    location = listing.location
    online_only = listing.attendance == Listing.Attendance.ONLINE
    if location is None:
        place = places.for_listing(listing, zone)
        fields = {
            "location_notes": listing.location_notes,
            **place,
            "formatted_address": _place_line(
                place.get("city", ""), place.get("state", ""), "", place["country"]
            ),
            "approximate": "yes",
        }
        return {key: value for key, value in fields.items() if value != ""}
    address = ", ".join(part for part in [location.address_line1, location.address_line2] if part)
    notes = [location.notes]
    if listing.location_notes and listing.location_notes != location.notes:
        notes.append(listing.location_notes)
    fields = {
        "location": location.name,
        "location_notes": "\n".join(note for note in notes if note),
        "formatted_address": location.formatted_address,
        "address": address,
        "city": location.city,
        "state": location.region,
        "postal_code": location.postal_code,
        "country": location.country,
        # The spec's word is about the address: clients show a meeting whose address is
        # approximate as not in person. Coordinates that are only the town's stay "no" when
        # the street is known.
        "approximate": "yes" if online_only or not location.address_line1 else "no",
    }
    if location.has_coordinates:
        fields["latitude"] = round(location.latitude, 5)
        fields["longitude"] = round(location.longitude, 5)
    return {key: value for key, value in fields.items() if value != ""}


def _regions(listing: Listing, town: str) -> dict:
    """``region`` (and ``sub_region``, ``regions`` when deeper): the source's, else the town."""
    regions = list(listing.regions or [])
    if not regions and town:
        regions = [town]
    fields = {}
    if regions:
        fields["region"] = regions[0]
    if len(regions) > 1:
        fields["sub_region"] = regions[-1]
        fields["regions"] = regions
    return fields


def rows_for(
    listing: Listing,
    schedules: list[Schedule],
    codes: list[str],
    urls: UrlBuilder,
    places: ApproximatePlaces | None = None,
) -> list[dict]:
    """The feed records of one listing, given its weekly schedules valid today and its
    features' Meeting Guide codes: one per meeting day, or one without a day when it meets
    by appointment."""
    meetings = meeting_days(schedules)
    if not meetings and not listing.by_appointment:
        return []
    places = places or ApproximatePlaces()
    known = known_type_codes()
    types = {code for code in codes if code in known}
    online = listing.attendance in {Listing.Attendance.ONLINE, Listing.Attendance.HYBRID}
    if listing.attendance == Listing.Attendance.INACTIVE and TEMPORARILY_CLOSED in known:
        types.add(TEMPORARILY_CLOSED)
    zone = meetings[0][3] if meetings else ""
    location = _location_fields(listing, places, zone)
    shared = {
        "name": listing.name,
        "notes": listing.description,
        "types": sorted(types),
        "attendance_option": listing.attendance,
        "updated": _updated(listing),
        "url": urls.detail_url(listing.slug),
        "feedback_url": urls.report_url(listing.slug),
        **location,
    }
    if online:
        shared.update(
            {
                "conference_url": listing.conference_url,
                "conference_url_notes": listing.conference_url_notes,
                "conference_phone": listing.conference_phone,
                "conference_phone_notes": listing.conference_phone_notes,
            }
        )
    shared.update(
        {
            "contact_1_name": first_name_only(listing.contact_name),
            "contact_1_email": listing.contact_email,
            "contact_1_phone": listing.contact_phone,
            "group": listing.group_name,
            "group_notes": listing.group_notes,
            "district": listing.district,
            "website": listing.website,
            "email": listing.group_email,
            "phone": listing.group_phone,
        }
    )
    shared.update(_regions(listing, location.get("city", "")))
    shared = {key: value for key, value in shared.items() if value not in ("", None)}
    shared.setdefault("types", [])

    if not meetings:
        return [{"name": shared["name"], "slug": fit_slug(listing.slug), **shared}]
    rows = []
    for slug, (day, start, end, tz_name) in zip(
        record_slugs(listing.slug, meetings), meetings, strict=True
    ):
        row = {"slug": slug, "day": day, "time": _time(start)}
        if end is not None:
            row["end_time"] = _time(end)
        row["timezone"] = tz_name
        rows.append({"name": shared["name"], **row, **shared})
    return rows


def iter_rows(base_url: str = "", *, today: dt.date | None = None) -> Iterator[dict]:
    today = today or timezone.localdate()
    urls = UrlBuilder(base_url)
    places = ApproximatePlaces()
    published = Listing.objects.published().values("pk")
    schedules = _ByListing(
        feed_schedules(today)
        .filter(listing__in=published)
        .order_by("listing_id", "weekday", "start_time", "end_time", "timezone")
        .iterator(chunk_size=CHUNK_SIZE),
        key=lambda schedule: schedule.listing_id,
    )
    codes = _ByListing(
        Listing.features.through.objects.filter(listing__in=published)
        .exclude(feature__code="")
        .order_by("listing_id", "feature__code")
        .values_list("listing_id", "feature__code")
        .iterator(chunk_size=CHUNK_SIZE * 4),
        key=lambda row: row[0],
    )
    for listing in feed_queryset(today).iterator(chunk_size=CHUNK_SIZE):
        yield from rows_for(
            listing,
            schedules.take(listing.pk),
            [code for _, code in codes.take(listing.pk)],
            urls,
            places,
        )


def build_feed(base_url: str = "", *, today: dt.date | None = None) -> list[dict]:
    """The whole feed as a list (tests, the importer's round trip); views stream instead."""
    return list(iter_rows(base_url, today=today))


def write_feed(handle, *, base_url: str = "", today: dt.date | None = None) -> None:
    """The feed into a binary file (the shared, compressed copy views serve).

    One read-only transaction without the web's statement timeout: at national scale the
    build takes tens of seconds, and it runs once per data version, not per request.
    """
    if connection.vendor != "postgresql":
        for piece in stream_feed(base_url, today=today):
            handle.write(piece)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
        for piece in stream_feed(base_url, today=today):
            handle.write(piece)


def _published_plan(version: published.DataVersion, base_url: str):
    """``/meetings.json`` for a data version and site root: what the view serves and the task
    worker builds (directory/feeds/published.py)."""
    return version.key(base_url), functools.partial(
        write_feed, base_url=base_url, today=version.today
    )


MEETINGS_FEED = published.FeedFile("meetings", _published_plan)


def stream_feed(
    base_url: str = "", *, today: dt.date | None = None, buffer_size: int = 64 * 1024
) -> Iterator[bytes]:
    """The feed as a JSON array in pieces of about ``buffer_size`` bytes."""
    parts: list[str] = ["["]
    size = 1
    separator = ""
    for row in iter_rows(base_url, today=today):
        text = separator + json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        separator = ",\n"
        parts.append(text)
        size += len(text)
        if size >= buffer_size:
            yield "".join(parts).encode()
            parts, size = [], 0
    parts.append("]\n")
    yield "".join(parts).encode()
