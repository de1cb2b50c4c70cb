"""What the generator reads before it writes: the reference data (support types, features,
credential types) and the gazetteer's towns, weighted by population."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from directory.constants import SUPPORT_TYPE_SLUGS
from directory.demo.basics import REFERENCE_HINT, DemoError, picker
from directory.demo.words import (
    COUNTRY_WEIGHTS,
    OTHER_COUNTRIES_WEIGHT,
    REGION_NAMES,
)
from directory.models import (
    CredentialType,
    Feature,
    Place,
    SupportType,
)
from directory.validators import known_time_zones


class PlaceRow(NamedTuple):
    id: int
    name: str
    region: str
    country: str
    latitude: float
    longitude: float
    timezone: str


class Gazetteer:
    """Real towns to put demo rows in, drawn by country weight and then by population."""

    def __init__(self, rng: random.Random, rows: list[tuple]):
        self.rng = rng
        zones = known_time_zones()
        by_country: dict[str, list[tuple[PlaceRow, int]]] = defaultdict(list)
        for pk, name, code, region_name, country, lat, lon, population, tz in rows:
            if tz not in zones:
                continue
            region = code if country == "US" else REGION_NAMES.get(country, {}).get(code, "")
            region = region or (region_name if country != "US" else code)
            row = PlaceRow(pk, name, region, country, lat, lon, tz)
            by_country[country].append((row, max(population, 1000)))
        if not by_country:
            raise DemoError("The gazetteer has no places with a time zone. " + REFERENCE_HINT)
        weighted = [(c, w) for c, w in COUNTRY_WEIGHTS.items() if c in by_country]
        others = [c for c in sorted(by_country) if c not in COUNTRY_WEIGHTS]
        if others:
            weighted.append(("*", OTHER_COUNTRIES_WEIGHT if weighted else 1))
            by_country["*"] = [entry for c in others for entry in by_country[c]]
        self._country = picker(rng, weighted)
        self._in_country = {c: picker(rng, entries) for c, entries in by_country.items()}

    def pick(self) -> PlaceRow:
        return self._in_country[self._country()]()

    def jitter(self, place: PlaceRow, km: float = 3.0) -> tuple[float, float]:
        """A point within ``km`` of the town centre (a different building, same town)."""
        dlat = self.rng.uniform(-km, km) / 111.0
        dlon = self.rng.uniform(-km, km) / (
            111.0 * max(math.cos(math.radians(place.latitude)), 0.1)
        )
        lat = min(max(place.latitude + dlat, -90.0), 90.0)
        lon = min(max(place.longitude + dlon, -180.0), 180.0)
        return round(lat, 6), round(lon, 6)


def nearest_codes(
    codes: list[tuple[str, float, float]], points: dict[Any, tuple[float, float]]
) -> dict[Any, str]:
    """The nearest code (e.g. a real ZIP) to each point: a grid look-up, no query per point."""
    grid: dict[tuple[int, int], list[tuple[str, float, float]]] = defaultdict(list)
    for code, lat, lon in codes:
        grid[(int(lat * 4), int(lon * 4))].append((code, lat, lon))
    found = {}
    for key, (lat, lon) in points.items():
        y, x = int(lat * 4), int(lon * 4)
        near = [e for dy in (-1, 0, 1) for dx in (-1, 0, 1) for e in grid.get((y + dy, x + dx), ())]
        if near:
            found[key] = min(near, key=lambda e: (e[1] - lat) ** 2 + (e[2] - lon) ** 2)[0]
    return found


@dataclass
class Reference:
    support_types: dict[str, SupportType]
    features: dict[str, list[Feature]]  # by category slug
    credential_types: list[CredentialType]
    place_rows: list[tuple]

    def __post_init__(self) -> None:
        self._by_name = {
            (category, feature.name.lower()): feature
            for category, features in self.features.items()
            for feature in features
        }

    def feature(self, category: str, name: str) -> Feature | None:
        return self._by_name.get((category, name.lower()))


def read_reference() -> Reference:
    """The reference rows the generator needs, or DemoError naming what is missing."""
    support_types = {st.slug: st for st in SupportType.objects.filter(slug__in=SUPPORT_TYPE_SLUGS)}
    features: dict[str, list[Feature]] = defaultdict(list)
    for feature in Feature.objects.select_related("category").order_by("category__slug", "pk"):
        features[feature.category.slug].append(feature)
    place_rows = list(
        Place.objects.filter(kind=Place.Kind.CITY)
        .exclude(timezone="")
        .order_by("pk")
        .values_list(
            "pk",
            "name",
            "region_code",
            "region_name",
            "country",
            "latitude",
            "longitude",
            "population",
            "timezone",
        )
    )
    missing = []
    absent = [slug for slug in SUPPORT_TYPE_SLUGS if slug not in support_types]
    if absent:
        missing.append("support types " + ", ".join(absent))
    if not features:
        missing.append("features")
    if not place_rows:
        missing.append("gazetteer places (towns with a time zone)")
    if missing:
        raise DemoError("Reference data missing: " + "; ".join(missing) + ". " + REFERENCE_HINT)
    return Reference(
        support_types=support_types,
        features=dict(features),
        credential_types=list(CredentialType.objects.order_by("slug")),
        place_rows=place_rows,
    )
