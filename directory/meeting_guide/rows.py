"""One Meeting Guide row, read the way real feeds write it.

Real feeds (the 12 Step Meeting List plugin, TSML UI exports, hand-made JSON) bend the spec:
12-hour times, day names, no ``timezone``, a whole address in ``formatted_address`` or in
``address`` alone, HTML in notes, the withdrawn ``ONL`` code. :func:`parse_row` accepts all of
that and returns a :class:`ParsedRow`, or raises :class:`RowError` when the meeting itself
cannot be listed (no name or slug, a day without a time, no zone anywhere). A single bad field
(a phone, a link, half a coordinate pair, an e-mail, a value longer than we can store) is
dropped with a warning instead, and the meeting is kept. **Nothing is cut**: a value is stored
whole or dropped with a warning, never truncated (a cut link is a broken link).

A row without a day is a meeting **by appointment** (the spec allows it): listed with no
schedule.

Time zones missing from a row are inferred from its coordinates (``timezonefinder``, offline),
else its town or ZIP code in our gazetteer, else its state or province, else its country when
the country keeps one time (the gazetteer's towns, by population), and only then from the
source's fallback. A row without coordinates gets its town's (or ZIP code's), marked
approximate, so a search by place finds it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from directory.meeting_guide.addresses import Context, Town, country_code, whole_address
from directory.meeting_guide.format import TEMPORARILY_CLOSED, first_name_only
from directory.meeting_guide.values import (
    RowError,
    clean_text,
    is_url,
    number,
    parse_days,
    parse_time,
)
from directory.models import Listing
from directory.validators import known_time_zones, validate_dial_string

ONLINE_CODE = "ONL"  # withdrawn from the spec in 2022, still in many feeds
ATTENDANCE = {choice.value for choice in Listing.Attendance}
MAX_SLUG = 255
MAX_URL = 2048  # what Django's URL validator and our link fields take


@dataclass
class ParsedRow:
    feed_slug: str
    name: str
    listing: dict
    location: dict | None
    schedules: frozenset[tuple[int, dt.time, dt.time | None, str]]
    codes: frozenset[str]
    feed_url: str = ""
    feedback_url: str = ""
    # Every slug of the feed's records this listing was read from (its day records).
    slugs: frozenset[str] = frozenset()
    # (kind of problem, detail): grouped by kind in the run's report.
    warnings: list[tuple[str, str]] = field(default_factory=list)


# ----------------------------------------------------------------------------- one row


class _Fields:
    """One row's values as we can store them; a value we cannot store is dropped with a
    warning (never cut)."""

    def __init__(self, row: dict):
        self.row = row
        self.warnings: list[tuple[str, str]] = []

    def warn(self, kind: str, detail: str = "") -> None:
        self.warnings.append((kind, detail))

    def raw(self, key: str):
        return self.row.get(key)

    def clean(self, key: str) -> str:
        return clean_text(self.row.get(key))

    def text(self, key: str, limit: int | None = None, *, multiline: bool = False) -> str:
        """The field whole, or "" with a warning when it is longer than we can store."""
        value = clean_text(self.row.get(key), multiline=multiline)
        if limit is not None and len(value) > limit:
            self.warn(
                f"{key} dropped: longer than {limit:,} characters", f"{len(value):,} characters"
            )
            return ""
        return value

    def link(self, key: str) -> str:
        value = self.clean(key)
        if len(value) > MAX_URL:
            self.warn(f"{key} dropped: longer than {MAX_URL:,} characters", f"{len(value):,}")
            return ""
        if value and not is_url(value):
            self.warn(f"{key} dropped: not an http(s) link", value[:80])
            return ""
        return value

    def phone(self, key: str) -> str:
        value = self.clean(key)
        if len(value) > 40:
            self.warn(f"{key} dropped: longer than 40 characters", value[:80])
            return ""
        return value


def _identity(fields: _Fields) -> tuple[str, str]:
    """The meeting's name and the feed's slug for it."""
    name = fields.clean("name")
    if not name:
        raise RowError("no name")
    if len(name) > 200:
        raise RowError(f"name is longer than 200 characters ({len(name):,})")
    raw_slug = fields.raw("slug")
    feed_slug = str(raw_slug).strip() if isinstance(raw_slug, str | int) else ""
    if isinstance(raw_slug, bool) or not feed_slug:
        raise RowError("no slug")
    if len(feed_slug) > MAX_SLUG:
        raise RowError(f"slug is longer than {MAX_SLUG} characters")
    return name, feed_slug


def _meeting_times(fields: _Fields) -> tuple[list[int], dt.time | None, dt.time | None]:
    """Its days, start and end; no day is a meeting by appointment."""
    days = parse_days(fields.raw("day"))
    if not days:
        if fields.raw("time") not in (None, ""):
            fields.warn(
                "time ignored: no day, so listed by appointment", repr(fields.raw("time"))[:40]
            )
        return days, None, None
    try:
        start = parse_time(fields.raw("time"))
    except ValueError:
        raise RowError(f"time {fields.raw('time')!r} is not a time of day") from None
    if start is None:
        raise RowError("no time")
    try:
        end = parse_time(fields.raw("end_time"))
    except ValueError:
        fields.warn("end_time dropped: not a time of day", repr(fields.raw("end_time")))
        end = None
    if end is not None and end <= start:
        end = None  # past midnight: our schedules cannot say it; readers assume an hour
    return days, start, end


def _type_codes(fields: _Fields, context: Context) -> set[str]:
    """Its type codes: a list, or a comma-separated string."""
    raw_types = fields.raw("types") or []
    if isinstance(raw_types, str):
        raw_types = raw_types.split(",")
    if not isinstance(raw_types, list):
        fields.warn("types dropped: not a list of codes", repr(raw_types)[:80])
        raw_types = []
    codes = {clean_text(code) for code in raw_types if isinstance(code, str | int)}
    codes.discard("")
    for code in sorted(codes):
        if code in {ONLINE_CODE, TEMPORARILY_CLOSED} or code in context.feature_codes:
            continue
        if code in context.known_codes:
            fields.warn("type code has no matching feature here", code)
        else:
            fields.warn("unknown type code", code)
    return codes


def _conference(fields: _Fields) -> tuple[str, str]:
    """The join link and dial-in number; a bad one is dropped, the meeting stays."""
    conference_url = fields.link("conference_url")
    conference_phone = fields.text("conference_phone", 60)
    if conference_phone:
        try:
            validate_dial_string(conference_phone)
        except ValidationError:
            fields.warn("conference_phone dropped: not a dial string", conference_phone[:80])
            conference_phone = ""
    return conference_url, conference_phone


def _coordinates(fields: _Fields) -> tuple[float | None, float | None]:
    """Latitude and longitude: both or neither, on the globe and not 0, 0."""
    try:
        latitude, longitude = number(fields.raw("latitude")), number(fields.raw("longitude"))
    except (TypeError, ValueError):
        fields.warn(
            "coordinates dropped: not numbers",
            f"{fields.raw('latitude')!r}, {fields.raw('longitude')!r}",
        )
        return None, None
    if (latitude is None) != (longitude is None):
        fields.warn("coordinates dropped: only one of latitude and longitude")
        return None, None
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        fields.warn("coordinates dropped: out of range", f"{latitude}, {longitude}")
        return None, None
    if latitude == 0 and longitude == 0:
        fields.warn("coordinates dropped: 0, 0 is not a meeting place")
        return None, None
    return latitude, longitude


def _address(fields: _Fields, context: Context) -> tuple[dict, str]:
    """The address parts, else what formatted_address says, else a whole address in
    ``address``; and the country as the row wrote it."""
    explicit = {
        "address_line1": fields.clean("address"),
        "city": fields.clean("city"),
        "region": fields.clean("state"),
        "postal_code": fields.clean("postal_code"),
    }
    raw_country = fields.clean("country")
    country = country_code(raw_country) if raw_country else None
    if raw_country and country is None:
        fields.warn("country not recognised", raw_country[:60])
    formatted = fields.clean("formatted_address")
    parsed = context.formatted_address(formatted) if formatted else {}
    if not parsed and not explicit["city"] and "," in explicit["address_line1"]:
        parsed = whole_address(explicit["address_line1"], context)
        if parsed:
            explicit["address_line1"] = ""  # its street is the parsed one
    address = {key: explicit[key] or parsed.get(key, "") for key in explicit}
    address["country"] = country or parsed.get("country") or "US"
    for key, source, limit in (
        ("address_line1", "address", 200),
        ("city", "city", 100),
        ("region", "state", 100),
        ("postal_code", "postal_code", 20),
    ):
        if len(address[key]) > limit:
            fields.warn(f"{source} dropped: longer than {limit} characters", address[key][:80])
            address[key] = ""
    return address, raw_country


def _attendance(
    fields: _Fields,
    codes: set[str],
    *,
    has_link: bool,
    has_street: bool,
    has_place: bool,
    approximate: bool,
) -> str:
    """attendance_option, else what the codes say, else what the address and links say."""
    closed = TEMPORARILY_CLOSED in codes
    attendance = fields.clean("attendance_option").lower()
    if attendance and attendance not in ATTENDANCE:
        fields.warn("attendance_option not recognised", attendance[:40])
        attendance = ""
    if attendance in {"online", "hybrid"} and not has_link:
        if attendance == "online" or not has_street:
            raise RowError(f"an {attendance} meeting needs a conference_url or conference_phone")
        fields.warn("attendance_option hybrid without a link: listed in person")
        attendance = "in_person"
    if not attendance:
        if has_link and (closed or approximate or not has_street):
            attendance = "online"
        elif has_link:
            attendance = "hybrid"
        elif closed:
            attendance = "inactive"
        else:
            if ONLINE_CODE in codes:
                fields.warn("ONL type without a conference link: listed in person")
            attendance = "in_person"
    if attendance in {"in_person", "hybrid"} and not has_place:
        raise RowError("an in-person meeting needs an address")
    if attendance == "hybrid" and not has_street:
        attendance = "online"
    return attendance


def _town(context: Context, address: dict) -> Town | None:
    """The town (or ZIP code) in the gazetteer."""
    town = None
    if address["city"]:
        town = context.town(address["country"], address["city"], address["region"])
    if town is None and address["country"] == "US" and re.match(r"^\d{5}", address["postal_code"]):
        town = context.zip_town(address["postal_code"])
    return town


def _time_zone(
    fields: _Fields,
    context: Context,
    *,
    address: dict,
    coordinates: tuple[float, float] | None,
    town: Town | None,
    has_place: bool,
    raw_country: str,
    by_appointment: bool,
) -> str:
    """The row's zone, else from its (own) coordinates, the town, the region, the country,
    the source's fallback."""
    tz_name = fields.text("timezone", 64)
    if tz_name and tz_name not in known_time_zones():
        fields.warn("timezone not an IANA zone: inferred instead", tz_name)
        tz_name = ""
    if not tz_name and coordinates is not None:
        tz_name = context.coordinates_timezone(*coordinates)
    if not tz_name and town is not None:
        tz_name = town.timezone
    if not tz_name and address["region"]:
        tz_name = context.region_timezone(address["country"], address["region"])
        if tz_name:
            fields.warn("timezone inferred from the state or province", address["region"][:60])
    if not tz_name and (has_place or raw_country):
        tz_name = context.country_timezone(address["country"])
    if not tz_name:
        tz_name = context.fallback_timezone
    if not tz_name and by_appointment:
        tz_name = settings.TIME_ZONE  # no schedule to place in time: only the location's
    if not tz_name:
        raise RowError(
            "no timezone, and none could be inferred from its coordinates, town, state or "
            "province, or country (give the source a fallback)"
        )
    return tz_name


def _emails(fields: _Fields) -> tuple[str, str]:
    """The contact's and the group's e-mail addresses; one that is not an address is dropped."""
    found = {
        "contact_1_email": fields.text("contact_1_email", 254),
        "email": fields.text("email", 254),
    }
    for key, value in found.items():
        if value:
            try:
                validate_email(value)
            except ValidationError:
                fields.warn(f"{key} dropped: not an e-mail address", value[:80])
                found[key] = ""
    return found["contact_1_email"], found["email"]


def _regions(fields: _Fields) -> list[str]:
    """``regions`` (a list), else ``region`` and ``sub_region``."""
    regions_value = fields.raw("regions")
    if isinstance(regions_value, list):
        regions = [clean_text(region) for region in regions_value]
    else:
        regions = [fields.clean("region"), fields.clean("sub_region")]
    if any(len(region) > 100 for region in regions):
        fields.warn("regions dropped: one is longer than 100 characters")
        return []
    return [region for region in regions if region]


def parse_row(row, context: Context) -> ParsedRow:
    """Check one meeting object; raise RowError when the meeting cannot be listed."""
    if not isinstance(row, dict):
        raise RowError("not a JSON object")
    fields = _Fields(row)
    name, feed_slug = _identity(fields)
    days, start, end = _meeting_times(fields)
    codes = _type_codes(fields, context)
    conference_url, conference_phone = _conference(fields)
    latitude, longitude = _coordinates(fields)
    address, raw_country = _address(fields, context)
    has_street = bool(address["address_line1"])
    has_place = bool(has_street or address["city"] or latitude is not None)
    approximate = fields.clean("approximate").lower() == "yes" or not has_street
    attendance = _attendance(
        fields,
        codes,
        has_link=bool(conference_url or conference_phone),
        has_street=has_street,
        has_place=has_place,
        approximate=approximate,
    )
    town = _town(context, address)
    own_coordinates = (latitude, longitude) if latitude is not None else None
    if latitude is None and town is not None and has_place:
        # No coordinates of its own: its town's, marked approximate.
        latitude, longitude = town.latitude, town.longitude
    tz_name = _time_zone(
        fields,
        context,
        address=address,
        coordinates=own_coordinates,
        town=town,
        has_place=has_place,
        raw_country=raw_country,
        by_appointment=not days,
    )
    contact_email, group_email = _emails(fields)
    regions = _regions(fields)

    online = attendance in {"online", "hybrid"}
    text = fields.text
    listing = {
        "name": name,
        "description": text("notes", multiline=True),
        "attendance": attendance,
        "by_appointment": not days,
        "conference_url": conference_url if online else "",
        "conference_url_notes": text("conference_url_notes", 200) if online else "",
        "conference_phone": conference_phone if online else "",
        "conference_phone_notes": text("conference_phone_notes", 200) if online else "",
        "contact_name": first_name_only(text("contact_1_name", 100)),
        "contact_email": contact_email,
        "contact_phone": fields.phone("contact_1_phone"),
        "website": fields.link("website"),
        "group_name": text("group", 200),
        "group_notes": text("group_notes", multiline=True),
        "district": text("district", 100),
        "regions": regions,
        "group_email": group_email,
        "group_phone": fields.phone("phone"),
        "location_notes": text("location_notes", multiline=True),
    }
    location = None
    if has_place:
        location = {
            "name": text("location", 200),
            "address_line2": "",
            **address,
            "latitude": latitude,
            "longitude": longitude,
            "approximate": approximate or (latitude is not None and own_coordinates is None),
            "timezone": tz_name,
        }
    return ParsedRow(
        feed_slug=feed_slug,
        name=name,
        listing=listing,
        location=location,
        schedules=frozenset((day, start, end, tz_name) for day in days),
        codes=frozenset(codes - {TEMPORARILY_CLOSED, ONLINE_CODE}),
        feed_url=fields.link("url"),
        feedback_url=fields.link("feedback_url"),
        warnings=fields.warnings,
        slugs=frozenset({feed_slug}),
    )
