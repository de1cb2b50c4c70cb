"""Import a Meeting Guide JSON feed (an intergroup's ``meetings.json``) into the directory.

Rows are keyed by ``slug``: a listing with that slug is updated, otherwise one is created.
Nothing is ever deleted: a meeting missing from the feed stays as it is (a curator archives
it). A row with a problem (no name or slug, a bad day or time, an unknown time zone, bad
coordinates or links, a slug that appears more than once in the feed) is reported and skipped;
every row that shares a duplicated slug is skipped, because nothing says which one is right.

What a row sets on its listing: name, notes → description, attendance (``attendance_option``,
else derived the spec's way from the address, ``TC`` and the conference fields), the conference
fields, the contact (first name only: the spec's anonymity rule), the location (found or created
by name and address, shared with other listings there), the features whose Meeting Guide code is
in ``types`` (features without a code are kept), and the weekly schedules: the listing's weekly
schedules become exactly the row's days and times; monthly and every-N-weeks schedules, which the
format cannot carry, are kept. New listings are published under the given support type (and
organisation); an existing listing keeps its status and support type.

The whole import is one transaction; a dry run rolls it back after counting.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from directory.feeds.meeting_guide import TEMPORARILY_CLOSED, first_name_only
from directory.models import Feature, Location, Organization, Resource, Schedule, SupportType
from directory.models.listings import Status
from directory.validators import known_time_zones, validate_dial_string

MAX_BYTES = 50 * 1024 * 1024
TIMEOUT_SECONDS = 30
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
ATTENDANCE = {choice.value for choice in Resource.Attendance}
COUNTRY_NAMES = {"usa": "US", "united states": "US", "canada": "CA", "united kingdom": "GB"}


class FeedReadError(Exception):
    """The source cannot be read or is not a JSON array; nothing is imported."""


@dataclass
class Problem:
    row: int  # 1-based position in the feed
    slug: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}" + (f" ({self.slug})" if self.slug else "") + f": {self.message}"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def skipped(self) -> int:
        return len({p.row for p in self.problems})

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {self.skipped} skipped"
            + (" (dry run: nothing saved)" if self.dry_run else "")
        )


class RowError(ValueError):
    pass


# ----------------------------------------------------------------------------- reading


def read_source(source: str, *, timeout: float = TIMEOUT_SECONDS) -> list:
    """The feed at a file path or an http(s) URL, parsed."""
    try:
        if source.startswith(("http://", "https://")):
            request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
                source, headers={"User-Agent": "PeerSupportDirectory/1.0 (Meeting Guide import)"}
            )
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw = response.read(MAX_BYTES + 1)
        elif "://" in source:
            raise FeedReadError(f"Only files and http(s) URLs can be imported, not {source!r}.")
        else:
            raw = Path(source).read_bytes()
    except OSError as error:
        raise FeedReadError(f"Could not read {source}: {error}") from error
    if len(raw) > MAX_BYTES:
        raise FeedReadError(f"{source} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FeedReadError(f"{source} is not JSON: {error}") from error
    if not isinstance(data, list):
        raise FeedReadError(f"{source} is not a Meeting Guide feed (expected a JSON array).")
    return data


# ----------------------------------------------------------------------------- one row


def _text(row: dict, key: str, limit: int) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise RowError(f"{key} must be text.")
    value = str(value).strip()
    if len(value) > limit:
        raise RowError(f"{key} is longer than {limit} characters.")
    return value


def _time(value, key: str) -> dt.time | None:
    if value in (None, ""):
        return None
    match = TIME_RE.match(str(value).strip()) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise RowError(f"{key} {value!r} is not a HH:MM time.")
    return dt.time(int(match[1]), int(match[2]))


def _days(value) -> list[int]:
    if value is None or value == "" or value == []:
        raise RowError("no day (meetings by appointment cannot be listed).")
    values = value if isinstance(value, list) else [value]
    days = []
    for item in values:
        if isinstance(item, bool):
            raise RowError(f"day {item!r} is not 0-6.")
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item)
        if not isinstance(item, int) or not 0 <= item <= 6:
            raise RowError(f"day {item!r} is not 0-6 (0 = Sunday).")
        if item not in days:
            days.append(item)
    return sorted(days)


def _coordinate(row: dict, key: str, limit: float) -> float | None:
    value = row.get(key)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(f"{key} {value!r} is not a number.") from None
    if not -limit <= number <= limit:
        raise RowError(f"{key} {value!r} is out of range.")
    return number


def _country(value: str) -> str:
    if not value:
        return "US"
    if len(value) == 2 and value.isalpha():
        return value.upper()
    if value.lower() in COUNTRY_NAMES:
        return COUNTRY_NAMES[value.lower()]
    raise RowError(f"country {value!r} is not a two-letter code.")


def _address_parts(row: dict) -> dict:
    """Address fields from the row's parts, else from ``formatted_address``."""
    parts = {
        "address_line1": _text(row, "address", 200),
        "city": _text(row, "city", 100),
        "region": _text(row, "state", 100),
        "postal_code": _text(row, "postal_code", 20),
        "country": _country(_text(row, "country", 60)),
    }
    formatted = _text(row, "formatted_address", 500)
    if formatted and not (parts["address_line1"] or parts["city"]):
        pieces = [p.strip() for p in formatted.split(",") if p.strip()]
        if len(pieces) >= 3 and re.fullmatch(r"[A-Za-z]{2,3}|[A-Za-z .]{4,}", pieces[-1]):
            try:
                parts["country"] = _country(pieces[-1])
                pieces = pieces[:-1]
            except RowError:
                pass
        if len(pieces) >= 3:
            region, _, postal = pieces[-1].partition(" ")
            parts.update(
                address_line1=", ".join(pieces[:-2])[:200],
                city=pieces[-2][:100],
                region=region[:100],
                postal_code=postal.strip()[:20],
            )
        else:
            parts["address_line1"] = formatted[:200]
    return parts


def _url(row: dict, key: str) -> str:
    value = _text(row, key, 500)
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise RowError(f"{key} {value!r} is not an http(s) link.") from None
    return value


@dataclass
class ParsedRow:
    slug: str
    resource: dict
    location: dict | None
    schedules: set[tuple[int, dt.time, dt.time | None, str]]
    codes: set[str]


def parse_row(row, *, default_timezone: str | None) -> ParsedRow:
    """Check one meeting object; raise RowError with the first problem found."""
    if not isinstance(row, dict):
        raise RowError("not a JSON object.")
    name = _text(row, "name", 200)
    if not name:
        raise RowError("no name.")
    slug = _text(row, "slug", 220)
    if not slug:
        raise RowError("no slug.")
    if not SLUG_RE.match(slug):
        raise RowError(f"slug {slug!r} has characters other than letters, digits, - and _.")
    days = _days(row.get("day"))
    start = _time(row.get("time"), "time")
    if start is None:
        raise RowError("no time.")
    end = _time(row.get("end_time"), "end_time")
    if end is not None and end <= start:
        end = None  # past midnight: our schedules cannot say it; readers assume an hour
    tz_name = _text(row, "timezone", 64) or default_timezone or ""
    if not tz_name:
        raise RowError("no timezone (give --timezone for feeds without one).")
    if tz_name not in known_time_zones():
        raise RowError(f"timezone {tz_name!r} is not an IANA time zone.")

    types = row.get("types") or []
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise RowError("types must be a list of codes.")
    codes = {t.strip() for t in types if t.strip()}
    conference_url = _url(row, "conference_url")
    conference_phone = _text(row, "conference_phone", 60)
    if conference_phone:
        try:
            validate_dial_string(conference_phone)
        except ValidationError:
            raise RowError(f"conference_phone {conference_phone!r} is not a dial string.") from None
    has_link = bool(conference_url or conference_phone)

    location_fields = _address_parts(row)
    latitude = _coordinate(row, "latitude", 90)
    longitude = _coordinate(row, "longitude", 180)
    if (latitude is None) != (longitude is None):
        raise RowError("latitude and longitude must come together.")
    approximate = str(row.get("approximate", "")).lower() == "yes"
    has_address = bool(location_fields["address_line1"] or location_fields["city"])

    attendance = _text(row, "attendance_option", 20)
    if attendance and attendance not in ATTENDANCE:
        raise RowError(f"attendance_option {attendance!r} is not one of {sorted(ATTENDANCE)}.")
    if not attendance:  # the spec's reading of address, TC and conference fields
        closed = TEMPORARILY_CLOSED in codes
        if has_link and (closed or approximate or not has_address):
            attendance = Resource.Attendance.ONLINE
        elif has_link:
            attendance = Resource.Attendance.HYBRID
        elif closed:
            attendance = Resource.Attendance.INACTIVE
        else:
            attendance = Resource.Attendance.IN_PERSON
    online = attendance in {Resource.Attendance.ONLINE, Resource.Attendance.HYBRID}
    if online and not has_link:
        raise RowError(f"an {attendance} meeting needs a conference_url or conference_phone.")
    if attendance in {Resource.Attendance.IN_PERSON, Resource.Attendance.HYBRID} and not (
        has_address or latitude is not None
    ):
        raise RowError("an in-person meeting needs an address.")

    contact_email = _text(row, "contact_1_email", 254)
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            raise RowError(f"contact_1_email {contact_email!r} is not an e-mail address.") from None

    resource = {
        "name": name,
        "description": _text(row, "notes", 10_000),
        "attendance": attendance,
        "conference_url": conference_url if online else "",
        "conference_url_notes": _text(row, "conference_url_notes", 200) if online else "",
        "conference_phone": conference_phone if online else "",
        "conference_phone_notes": _text(row, "conference_phone_notes", 200) if online else "",
        "contact_name": first_name_only(_text(row, "contact_1_name", 100)),
        "contact_email": contact_email,
        "contact_phone": _text(row, "contact_1_phone", 40),
    }
    location = None
    if has_address or latitude is not None:
        location = {
            "name": _text(row, "location", 200),
            **location_fields,
            "latitude": latitude,
            "longitude": longitude,
            "approximate": approximate,
            "timezone": tz_name,
            "notes": _text(row, "location_notes", 2000),
        }
    schedules = {(day, start, end, tz_name) for day in days}
    return ParsedRow(slug, resource, location, schedules, codes - {TEMPORARILY_CLOSED})


# ----------------------------------------------------------------------------- writing

LOCATION_KEY = ("name", "address_line1", "city", "region", "postal_code", "country")


def _location_for(fields: dict, organization: Organization | None) -> tuple[Location, bool]:
    """Find the place by name and address (or create it); update its other details."""
    lookup = {key: fields[key] for key in LOCATION_KEY}
    location = Location.objects.filter(**lookup).order_by("pk").first()
    if location is None:
        return Location.objects.create(**fields, organization=organization), True
    changed = [key for key, value in fields.items() if getattr(location, key) != value]
    for key in changed:
        setattr(location, key, fields[key])
    if changed:
        location.save(update_fields=[*changed, "updated_at"])
    return location, bool(changed)


def _apply(parsed: ParsedRow, *, support_type, organization, features_by_code) -> str:
    resource = Resource.objects.filter(slug=parsed.slug).first()
    created = resource is None
    location_changed = False
    location = None
    if parsed.location is not None:
        location, location_changed = _location_for(parsed.location, organization)
    values = {**parsed.resource, "location": location}
    if created:
        resource = Resource(
            slug=parsed.slug,
            support_type=support_type,
            organization=organization,
            status=Status.PUBLISHED,
            **values,
        )
        resource.full_clean(exclude=["support_type", "organization", "location"])
        resource.save()
        changed_fields = ["*"]
    else:
        if organization is not None:
            values["organization"] = organization
        changed_fields = [k for k, v in values.items() if getattr(resource, k) != v]
        for key in changed_fields:
            setattr(resource, key, values[key])
        if changed_fields:
            resource.full_clean(exclude=["support_type", "organization", "location"])
            resource.save(update_fields=[*changed_fields, "updated_at"])

    # Weekly schedules become exactly the row's; other kinds are kept.
    weekly = {
        (s.weekday, s.start_time, s.end_time, s.timezone): s
        for s in resource.schedules.filter(kind=Schedule.Kind.WEEKLY)
    }
    stale = [s.pk for key, s in weekly.items() if key not in parsed.schedules]
    missing = [key for key in sorted(parsed.schedules, key=str) if key not in weekly]
    if stale:
        Schedule.objects.filter(pk__in=stale).delete()
    for weekday, start, end, tz_name in missing:
        Schedule.objects.create(
            resource=resource, weekday=weekday, start_time=start, end_time=end, timezone=tz_name
        )

    # Coded features become exactly the row's known codes; features without a code are kept.
    current = {f.pk for f in resource.features.all()}
    coded = {f.pk for f in resource.features.exclude(code="")}
    wanted = {features_by_code[c].pk for c in parsed.codes if c in features_by_code}
    features_changed = coded != wanted
    if features_changed:
        resource.features.set((current - coded) | wanted)

    if created:
        return "created"
    if changed_fields or location_changed or stale or missing or features_changed:
        return "updated"
    return "unchanged"


def import_meetings(
    rows: list,
    *,
    support_type: SupportType,
    organization: Organization | None = None,
    default_timezone: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import parsed feed rows (see :func:`read_source`) in one transaction."""
    result = ImportResult(dry_run=dry_run)
    parsed_rows: list[tuple[int, ParsedRow]] = []
    for index, row in enumerate(rows, start=1):
        slug = str(row.get("slug", "")) if isinstance(row, dict) else ""
        try:
            parsed_rows.append((index, parse_row(row, default_timezone=default_timezone)))
        except RowError as error:
            result.problems.append(Problem(index, slug, str(error)))
    counts = Counter(parsed.slug for _, parsed in parsed_rows)
    for index, parsed in parsed_rows:
        if counts[parsed.slug] > 1:
            result.problems.append(
                Problem(
                    index, parsed.slug, f"slug appears {counts[parsed.slug]} times in the feed."
                )
            )
    usable = [(i, p) for i, p in parsed_rows if counts[p.slug] == 1]
    features_by_code = {f.code: f for f in Feature.objects.exclude(code="")}

    with transaction.atomic():
        for index, parsed in usable:
            try:
                with transaction.atomic():
                    outcome = _apply(
                        parsed,
                        support_type=support_type,
                        organization=organization,
                        features_by_code=features_by_code,
                    )
            except ValidationError as error:
                messages = (
                    "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
                    if hasattr(error, "error_dict")
                    else " ".join(error.messages)
                )
                result.problems.append(Problem(index, parsed.slug, messages))
                continue
            getattr(result, outcome).append(parsed.slug)
        if dry_run:
            transaction.set_rollback(True)
    result.problems.sort(key=lambda p: p.row)
    return result
