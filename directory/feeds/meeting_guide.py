"""The Meeting Guide JSON feed (``/meetings.json``): one row per listing and meeting time.

The format (``fixtures/reference/meeting-guide/``, from code4recovery's spec) describes weekly
meetings only. So:

- Only published listings with at least one *weekly* schedule that is valid today appear.
  Monthly ("first Saturday") and every-N-weeks schedules are left out: the format has no way to
  say them, and a consumer would show them as weekly. They are in the listing's ``.ics`` calendar
  and in the HSDS API instead. A schedule whose ``valid_to`` has passed or whose ``valid_from`` is
  still ahead is left out too.
- A listing's weekly schedules are grouped by (start, end, time zone); each group is one row with
  ``day`` an integer or a list. With one group the row's slug is the listing's slug; with several,
  each slug gets the start time as a suffix (``-1900``). Slugs are at most 64 characters: a longer
  listing slug is cut and given a short hash so it stays unique.
- Online status comes from the conference fields, as the spec says, plus the non-spec
  ``attendance_option`` the 12 Step Meeting List plugin reads. Online-only rows mark their address
  ``approximate: "yes"``; inactive rows carry the ``TC`` (temporarily closed) type and no link.
- Anonymity: the spec forbids last names. ``contact_name`` holds a first name by policy; the feed
  still only ever emits its first word.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from functools import cache

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from directory.models import Resource, Schedule

SLUG_MAX = 64
UPDATED_FORMAT = "%Y-%m-%d %H:%M:%S"
TEMPORARILY_CLOSED = "TC"
CHUNK_SIZE = 2000
_SLUG_PLACEHOLDER = "__slug__"


@cache
def known_type_codes() -> frozenset[str]:
    """The type codes of the spec's ``types.json`` (shipped in fixtures/reference)."""
    path = settings.BASE_DIR / "fixtures" / "reference" / "meeting-guide" / "types.json"
    with open(path, encoding="utf-8") as handle:
        return frozenset(json.load(handle))


def first_name_only(name: str) -> str:
    """At most the first word of a contact name: the feed never carries a last name."""
    words = name.split()
    return words[0] if words else ""


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
        self.detail = _url_pattern("directory:resource-detail", f"/resources/{_SLUG_PLACEHOLDER}/")
        self.report = _url_pattern(
            "directory:resource-report", f"/resources/{_SLUG_PLACEHOLDER}/report/"
        )

    def detail_url(self, slug: str) -> str:
        return self.base + self.detail.replace(_SLUG_PLACEHOLDER, slug)

    def report_url(self, slug: str) -> str:
        return self.base + self.report.replace(_SLUG_PLACEHOLDER, slug)


def feed_schedules(today: dt.date):
    return (
        Schedule.objects.filter(kind=Schedule.Kind.WEEKLY)
        .active_on(today)
        .order_by("start_time", "end_time", "timezone", "weekday")
    )


def feed_queryset(today: dt.date | None = None):
    """Published listings with a weekly schedule valid today, in id order."""
    today = today or timezone.localdate()
    return (
        Resource.objects.published()
        .filter(Exists(feed_schedules(today).filter(resource=OuterRef("pk"))))
        .select_related("location")
        .order_by("pk")
    )


class _ByListing:
    """Rows sorted by listing id, handed out one listing at a time as the listings go by.

    The feed reads listings, their schedules and their type codes as three sorted streams and
    merges them, so it makes three queries whatever the directory's size, and holds one
    listing's rows at a time.
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


def _groups(schedules: Iterable[Schedule]) -> list[tuple[tuple, list[int]]]:
    groups: dict[tuple, list[int]] = {}
    for schedule in schedules:
        key = (schedule.start_time, schedule.end_time, schedule.timezone)
        days = groups.setdefault(key, [])
        if schedule.weekday not in days:
            days.append(schedule.weekday)
    return [(key, sorted(days)) for key, days in groups.items()]


def _updated(resource: Resource) -> str:
    moments = [resource.updated_at]
    if resource.location is not None:
        moments.append(resource.location.updated_at)
    return max(moments).astimezone(dt.UTC).strftime(UPDATED_FORMAT)


def _location_fields(resource: Resource) -> dict:
    location = resource.location
    if location is None:
        return {"approximate": "yes", "location_notes": resource.location_notes}
    address = ", ".join(part for part in [location.address_line1, location.address_line2] if part)
    notes = [location.notes]
    if resource.location_notes and resource.location_notes != location.notes:
        notes.append(resource.location_notes)
    fields = {
        "location": location.name,
        "location_notes": "\n".join(note for note in notes if note),
        "formatted_address": location.formatted_address,
        "address": address,
        "city": location.city,
        "state": location.region,
        "postal_code": location.postal_code,
        "country": location.country,
        "approximate": "yes"
        if location.approximate or resource.attendance == Resource.Attendance.ONLINE
        else "no",
    }
    if location.has_coordinates:
        fields["latitude"] = round(location.latitude, 5)
        fields["longitude"] = round(location.longitude, 5)
    return {key: value for key, value in fields.items() if value != ""}


def _regions(resource: Resource) -> dict:
    """``region`` (and ``sub_region``, ``regions`` when deeper): the source's, else the town."""
    regions = list(resource.regions or [])
    if not regions and resource.location is not None:
        town = resource.location.city or resource.location.region
        regions = [town] if town else []
    fields = {}
    if regions:
        fields["region"] = regions[0]
    if len(regions) > 1:
        fields["sub_region"] = regions[-1]
        fields["regions"] = regions
    return fields


def rows_for(
    resource: Resource, schedules: list[Schedule], codes: list[str], urls: UrlBuilder
) -> list[dict]:
    """The feed rows of one listing, given its weekly schedules valid today (ordered by start,
    end, zone, day) and its features' Meeting Guide codes."""
    groups = _groups(schedules)
    if not groups:
        return []
    known = known_type_codes()
    types = {code for code in codes if code in known}
    online = resource.attendance in {Resource.Attendance.ONLINE, Resource.Attendance.HYBRID}
    if resource.attendance == Resource.Attendance.INACTIVE and TEMPORARILY_CLOSED in known:
        types.add(TEMPORARILY_CLOSED)
    shared = {
        "name": resource.name,
        "notes": resource.description,
        "types": sorted(types),
        "attendance_option": resource.attendance,
        "updated": _updated(resource),
        "url": urls.detail_url(resource.slug),
        "feedback_url": urls.report_url(resource.slug),
        **_location_fields(resource),
    }
    if online:
        shared.update(
            {
                "conference_url": resource.conference_url,
                "conference_url_notes": resource.conference_url_notes,
                "conference_phone": resource.conference_phone,
                "conference_phone_notes": resource.conference_phone_notes,
            }
        )
    contact = {
        "contact_1_name": first_name_only(resource.contact_name),
        "contact_1_email": resource.contact_email,
        "contact_1_phone": resource.contact_phone,
    }
    shared.update(contact)
    shared.update(
        {
            "group": resource.group_name,
            "group_notes": resource.group_notes,
            "district": resource.district,
            "website": resource.website,
            "email": resource.group_email,
            "phone": resource.group_phone,
        }
    )
    shared.update(_regions(resource))
    shared = {key: value for key, value in shared.items() if value not in ("", None)}
    shared.setdefault("types", [])

    rows = []
    suffixes: set[str] = set()
    for (start, end, tz_name), days in groups:
        if len(groups) == 1:
            slug = fit_slug(resource.slug)
        else:
            suffix = "-" + start.strftime("%H%M")
            while suffix in suffixes:
                suffix += "x"
            suffixes.add(suffix)
            slug = fit_slug(resource.slug, suffix)
        row = {"slug": slug, "day": days[0] if len(days) == 1 else days, "time": _time(start)}
        if end is not None:
            row["end_time"] = _time(end)
        row["timezone"] = tz_name
        rows.append({"name": shared["name"], **row, **shared})
    return rows


def iter_rows(base_url: str = "", *, today: dt.date | None = None) -> Iterator[dict]:
    today = today or timezone.localdate()
    urls = UrlBuilder(base_url)
    published = Resource.objects.published().values("pk")
    schedules = _ByListing(
        feed_schedules(today)
        .filter(resource__in=published)
        .order_by("resource_id", "start_time", "end_time", "timezone", "weekday")
        .iterator(chunk_size=CHUNK_SIZE),
        key=lambda schedule: schedule.resource_id,
    )
    codes = _ByListing(
        Resource.features.through.objects.filter(resource__in=published)
        .exclude(feature__code="")
        .order_by("resource_id", "feature__code")
        .values_list("resource_id", "feature__code")
        .iterator(chunk_size=CHUNK_SIZE * 4),
        key=lambda row: row[0],
    )
    for resource in feed_queryset(today).iterator(chunk_size=CHUNK_SIZE):
        yield from rows_for(
            resource,
            schedules.take(resource.pk),
            [code for _, code in codes.take(resource.pk)],
            urls,
        )


def build_feed(base_url: str = "", *, today: dt.date | None = None) -> list[dict]:
    """The whole feed as a list (tests, the importer's round trip); views stream instead."""
    return list(iter_rows(base_url, today=today))


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
