"""Places typed by visitors, resolved through the offline gazetteer, and great-circle distances

in SQL (peer workers), over arrays (the listing index) and in plain Python.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db.models import F, FloatField, Q, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import Place

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.0
RADIUS_CHOICES = [1, 5, 10, 25, 50, 100]  # miles
DEFAULT_RADIUS = 25
US_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
# A place found is kept this long in the shared cache: visitors type the same towns and ZIP
# codes again and again. A place the gazetteer does not know is not kept (it may be loaded in
# the meantime); one it knows moves only when load_gazetteer runs again. Short, and keyed by
# what the look-up reads (``_place_key``), so texts visitors vary cannot fill the cache.
PLACE_CACHE_SECONDS = 600


@functools.cache
def _radius_labels(language: str) -> tuple[tuple[int, str], ...]:
    return tuple(
        (r, ngettext("%(counter)s mile", "%(counter)s miles", r) % {"counter": r})
        for r in RADIUS_CHOICES
    )


def radius_options(chosen: int | None) -> list[tuple[int, str, bool]]:
    """The "Within" menu: each radius, its label in the page's language and whether it is the
    one chosen (the default when none is)."""
    chosen = chosen or DEFAULT_RADIUS
    return [(r, label, r == chosen) for r, label in _radius_labels(translation.get_language())]


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: how gazetteer names are stored for look-ups."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().replace(".", " ").split())


@dataclass
class Origin:
    """Where distances are measured from."""

    latitude: float
    longitude: float
    label: str
    place: Place | None = None


@dataclass
class PlaceLookup:
    origin: Origin | None = None
    alternatives: list[Place] = field(default_factory=list)  # "Did you mean" (ambiguous)
    suggestions: list[Place] = field(default_factory=list)  # when nothing matched exactly
    error: str = ""


def _qualifier_q(qualifier: str) -> Q:
    return (
        Q(region_code__iexact=qualifier)
        | Q(region_name__iexact=qualifier)
        | Q(country__iexact=qualifier)
    )


def resolve_place(text: str) -> PlaceLookup:
    """A town, "Town, Region", "Town, Region, Country" or a US ZIP code, to coordinates:
    from the shared cache when the same place was found in the last ten minutes."""
    text = " ".join(text.split())[:120]
    if not text:
        return PlaceLookup()
    key = _place_key(text)
    found = cache.get(key)
    if isinstance(found, PlaceLookup):
        return found
    found = _look_up(text)
    if found.origin is not None:
        cache.set(key, found, PLACE_CACHE_SECONDS)
    return found


def _place_key(text: str) -> str:
    """The shared cache's key for a place text: what the look-up reads of it (the ZIP code's
    five digits, or the comma-separated parts), in lower case when plain ASCII (the look-up
    ignores case: names are folded, qualifiers compared case-insensitively)."""
    zip_match = US_ZIP.match(text)
    basis = (
        zip_match.group(1)
        if zip_match
        else "\x1f".join(part.strip() for part in text.split(",") if part.strip())
    )
    if basis.isascii():
        basis = basis.lower()
    digest = hashlib.blake2b(basis.encode("utf-8", "surrogatepass"), digest_size=16)
    return "place:2:" + digest.hexdigest()


def _look_up(text: str) -> PlaceLookup:
    zip_match = US_ZIP.match(text)
    if zip_match:
        place = Place.objects.filter(
            kind=Place.Kind.POSTAL_CODE, country="US", search_name=zip_match.group(1)
        ).first()
        if place is None:
            return PlaceLookup(
                error=_("We don't know the ZIP code %(zip_code)s.")
                % {"zip_code": zip_match.group(1)}
            )
        return PlaceLookup(origin=Origin(place.latitude, place.longitude, place.label, place))

    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        return PlaceLookup(
            error=_("We couldn't find a place called “%(place)s”.") % {"place": text}
        )
    name, *qualifiers = parts
    candidates = Place.objects.filter(kind=Place.Kind.CITY, search_name=fold(name))
    for qualifier in qualifiers:
        candidates = candidates.filter(_qualifier_q(qualifier))
    found = list(candidates.order_by("-population", "name")[:6])
    if found:
        best = found[0]
        return PlaceLookup(
            origin=Origin(best.latitude, best.longitude, best.label, best), alternatives=found[1:]
        )
    suggestions = nearest_spellings(fold(name))
    return PlaceLookup(
        suggestions=suggestions,
        error=_("We couldn't find a place called “%(place)s”. Try a nearby town or a ZIP code.")
        % {"place": text},
    )


def nearest_spellings(folded: str, limit: int = 5) -> list[Place]:
    """Towns whose names are spelled most like ``folded`` ("rehobth beach" -> Rehoboth Beach),
    then names that start with it; the most populous place of each name."""
    if not folded:
        return []
    towns = Place.objects.filter(kind=Place.Kind.CITY)
    # Names sharing the first two letters: an indexed prefix scan, not the whole gazetteer.
    names = list(
        towns.filter(search_name__startswith=folded[:2])
        .order_by("search_name")
        .values_list("search_name", flat=True)
        .distinct()[:20000]
    )
    close = difflib.get_close_matches(folded, names, n=limit, cutoff=0.75)
    close += [n for n in names if n.startswith(folded[:40]) and n not in close][
        : limit - len(close)
    ]
    found: dict[str, Place] = {}
    for place in towns.filter(search_name__in=close).order_by("-population", "name"):
        found.setdefault(place.search_name, place)
    return [found[n] for n in close if n in found][:limit]


def distance_miles(lat_field: str, lon_field: str, origin: Origin):
    """Great-circle distance (haversine) from ``origin`` to the row's coordinates, in miles."""
    lat1 = math.radians(origin.latitude)
    lat2 = Radians(F(lat_field))
    half_dlat = (lat2 - Value(lat1)) / 2
    half_dlon = (Radians(F(lon_field)) - Value(math.radians(origin.longitude))) / 2
    a = Power(Sin(half_dlat), 2) + Value(math.cos(lat1)) * Cos(lat2) * Power(Sin(half_dlon), 2)
    return Value(2 * EARTH_RADIUS_MILES) * ASin(
        Least(Sqrt(a), Value(1.0)), output_field=FloatField()
    )


def bounding_box_q(lat_field: str, lon_field: str, origin: Origin, radius: float) -> Q:
    """A cheap, index-friendly box around the circle; the exact distance filters after it."""
    dlat = radius / MILES_PER_DEGREE_LATITUDE
    q = Q(
        **{f"{lat_field}__gte": origin.latitude - dlat, f"{lat_field}__lte": origin.latitude + dlat}
    )
    cos_lat = math.cos(math.radians(origin.latitude))
    if cos_lat > 0.01:
        dlon = radius / (MILES_PER_DEGREE_LATITUDE * cos_lat)
        if origin.longitude - dlon > -180 and origin.longitude + dlon < 180:
            q &= Q(
                **{
                    f"{lon_field}__gte": origin.longitude - dlon,
                    f"{lon_field}__lte": origin.longitude + dlon,
                }
            )
    return q


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The same formula in Python (for tests and for showing a distance)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def distances_miles(latitudes: np.ndarray, longitudes: np.ndarray, origin: Origin) -> np.ndarray:
    """The same formula over arrays of coordinates (NaN where a listing has none)."""
    lat1 = math.radians(origin.latitude)
    lat2 = np.radians(latitudes)
    half_dlat = (lat2 - lat1) / 2
    half_dlon = (np.radians(longitudes) - math.radians(origin.longitude)) / 2
    a = np.sin(half_dlat) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin(half_dlon) ** 2
    with np.errstate(invalid="ignore"):
        return 2 * EARTH_RADIUS_MILES * np.arcsin(np.minimum(np.sqrt(a), 1.0))


def within(
    latitudes: np.ndarray,
    longitudes: np.ndarray,
    distances: np.ndarray,
    origin: Origin,
    radius: float,
) -> np.ndarray:
    """Rows inside ``bounding_box_q``'s box and at most ``radius`` miles away."""
    dlat = radius / MILES_PER_DEGREE_LATITUDE
    with np.errstate(invalid="ignore"):
        mask = (latitudes >= origin.latitude - dlat) & (latitudes <= origin.latitude + dlat)
        cos_lat = math.cos(math.radians(origin.latitude))
        if cos_lat > 0.01:
            dlon = radius / (MILES_PER_DEGREE_LATITUDE * cos_lat)
            if origin.longitude - dlon > -180 and origin.longitude + dlon < 180:
                mask &= (longitudes >= origin.longitude - dlon) & (
                    longitudes <= origin.longitude + dlon
                )
        return mask & (distances <= radius)
