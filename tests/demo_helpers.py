"""Reference data made by hand, for the tests that generate demo data or search it: the
support types and feature categories of the article, a few features each, and real towns
(no loaders, so no files are read)."""

from __future__ import annotations

from directory.constants import FEATURE_CATEGORIES, SUPPORT_TYPES
from directory.models import Feature, FeatureCategory, Place, SupportType
from tests import factories as f

FEATURES = {
    "format": ["Open", "Closed", "Discussion", "Step Study", "Big Book", "Speaker"],
    "audience": ["Women", "Men", "Young People"],
    "accessibility": ["Wheelchair Access", "American Sign Language"],
    "language": ["English", "Spanish", "French"],
    "focus": ["Alcohol", "Drugs"],
}
# (name, region code, country, latitude, longitude, population, time zone)
TOWNS = [
    ("Boston", "MA", "US", 42.3601, -71.0589, 675000, "America/New_York"),
    ("Worcester", "MA", "US", 42.2626, -71.8023, 206000, "America/New_York"),
    ("Springfield", "MA", "US", 42.1015, -72.5898, 155000, "America/New_York"),
    ("Lowell", "MA", "US", 42.6334, -71.3162, 115000, "America/New_York"),
    ("Cambridge", "MA", "US", 42.3736, -71.1097, 118000, "America/New_York"),
    ("Albany", "NY", "US", 42.6526, -73.7562, 99000, "America/New_York"),
    ("Buffalo", "NY", "US", 42.8864, -78.8784, 278000, "America/New_York"),
    ("Rochester", "NY", "US", 43.1566, -77.6088, 211000, "America/New_York"),
    ("Syracuse", "NY", "US", 43.0481, -76.1474, 148000, "America/New_York"),
    ("Chicago", "IL", "US", 41.8781, -87.6298, 2700000, "America/Chicago"),
    ("Peoria", "IL", "US", 40.6936, -89.5890, 113000, "America/Chicago"),
    ("Rockford", "IL", "US", 42.2711, -89.0940, 148000, "America/Chicago"),
    ("Naperville", "IL", "US", 41.7508, -88.1535, 149000, "America/Chicago"),
    ("Austin", "TX", "US", 30.2672, -97.7431, 961000, "America/Chicago"),
    ("El Paso", "TX", "US", 31.7619, -106.4850, 678000, "America/Denver"),
    ("Houston", "TX", "US", 29.7604, -95.3698, 2300000, "America/Chicago"),
    ("Denver", "CO", "US", 39.7392, -104.9903, 715000, "America/Denver"),
    ("Boulder", "CO", "US", 40.0150, -105.2705, 105000, "America/Denver"),
    ("Portland", "OR", "US", 45.5152, -122.6784, 652000, "America/Los_Angeles"),
    ("Eugene", "OR", "US", 44.0521, -123.0868, 177000, "America/Los_Angeles"),
    ("Seattle", "WA", "US", 47.6062, -122.3321, 737000, "America/Los_Angeles"),
    ("Anchorage", "AK", "US", 61.2181, -149.9003, 291000, "America/Anchorage"),
    ("Honolulu", "HI", "US", 21.3069, -157.8583, 345000, "Pacific/Honolulu"),
    ("London", "ENG", "GB", 51.5074, -0.1278, 8900000, "Europe/London"),
    ("Manchester", "ENG", "GB", 53.4808, -2.2426, 553000, "Europe/London"),
    ("Leeds", "ENG", "GB", 53.8008, -1.5491, 793000, "Europe/London"),
    ("Bristol", "ENG", "GB", 51.4545, -2.5879, 467000, "Europe/London"),
    ("Glasgow", "SCT", "GB", 55.8642, -4.2518, 633000, "Europe/London"),
    ("Edinburgh", "SCT", "GB", 55.9533, -3.1883, 525000, "Europe/London"),
    ("Cardiff", "WLS", "GB", 51.4816, -3.1791, 362000, "Europe/London"),
]


def make_reference() -> None:
    """The minimal reference data the generator needs, made by hand (no loaders)."""
    for position, (slug, name) in enumerate(SUPPORT_TYPES):
        SupportType.objects.create(
            slug=slug,
            name=name,
            position=position,
            is_meeting_based=slug not in {"peer-mentors", "sober-companions"},
        )
    for position, (slug, name) in enumerate(FEATURE_CATEGORIES):
        category = FeatureCategory.objects.create(slug=slug, name=name, position=position)
        for index, feature_name in enumerate(FEATURES[slug]):
            Feature.objects.create(
                category=category,
                name=feature_name,
                slug=f"{slug}-{index}",
                position=index,
            )
    for index, (name, region, country, lat, lon, population, tz) in enumerate(TOWNS):
        f.place(
            name=name,
            search_name=name.lower(),
            region_code=region,
            country=country,
            latitude=lat,
            longitude=lon,
            population=population,
            timezone=tz,
            source_id=str(5_000_000 + index),
        )
    # Two real-looking ZIP codes near Boston: US addresses take the nearest one.
    for code, lat, lon in [("02108", 42.3576, -71.0636), ("02139", 42.3647, -71.1042)]:
        f.place(
            kind=Place.Kind.POSTAL_CODE,
            name=code,
            search_name=code,
            region_code="MA",
            latitude=lat,
            longitude=lon,
            timezone="America/New_York",
            source_id=code,
        )
