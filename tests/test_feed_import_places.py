"""Where a Meeting Guide row meets: time zones inferred per meeting (coordinates, the
gazetteer, the source's fallback), formatted addresses parsed into their parts in many
countries, one location for a shared building, and feeds that write the whole address in
``address`` with no city, coordinates or zone (issue 20)."""

from __future__ import annotations

import pytest

from directory.meeting_guide.addresses import Context, parse_formatted_address
from directory.models import Listing, Location
from tests import factories
from tests.feed_import_helpers import (
    counts,
    row,
    source_fixture,  # noqa: F401 - the fixture "source"
    sync,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- time zones


def test_missing_time_zones_are_inferred_per_meeting_across_zones(source):
    factories.place(
        name="Rehoboth Beach",
        search_name="rehoboth beach",
        region_code="DE",
        timezone="America/New_York",
    )
    source.fallback_timezone = "Europe/London"
    source.save()
    base = {"timezone": None}
    rows = [
        row("los-angeles", **base),
        row("berlin", **base, latitude=52.52, longitude=13.405, city="Berlin", country="DE"),
        row("sydney", **base, latitude=-33.8688, longitude=151.2093, city="Sydney", country="AU"),
        row("calgary", **base, latitude=51.0447, longitude=-114.0719, city="Calgary", country="CA"),
        row(
            "rehoboth",
            **base,
            latitude=None,
            longitude=None,
            city="Rehoboth Beach",
            state="DE",
            postal_code="19971",
        ),
        row("nowhere", **base, latitude=None, longitude=None, city="Unknownville", state="ZZ"),
    ]
    result = sync(source, rows)
    assert result.created == 6 and not result.skips
    zones = dict(Listing.objects.values_list("feed_origin__feed_slug", "schedules__timezone"))
    assert zones == {
        "los-angeles": "America/Los_Angeles",
        "berlin": "Europe/Berlin",
        "sydney": "Australia/Sydney",
        "calgary": "America/Edmonton",
        "rehoboth": "America/New_York",  # its town in the gazetteer
        "nowhere": "Europe/London",  # only then the source's fallback
    }


def test_without_any_zone_the_row_is_skipped_and_says_how_to_fix_it(source):
    result = sync(
        source, [row("nowhere", timezone=None, latitude=None, longitude=None, city="Zzyzx")]
    )
    assert result.created == 0
    (reason,) = result.skips
    assert reason.startswith("no timezone, and none could be inferred from its coordinates")
    assert reason.endswith("(give the source a fallback)")


# ----------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("formatted", "expected"),
    [
        ("123 Main St, San Jose, CA 95112, USA", ("123 Main St", "San Jose", "CA", "95112", "US")),
        ("San Jose, CA, USA", ("", "San Jose", "CA", "", "US")),
        (
            "20 Baltimore Ave, Rehoboth Beach, DE 19971",
            ("20 Baltimore Ave", "Rehoboth Beach", "DE", "19971", "US"),
        ),
        (
            "Friedrichstraße 10, 10117 Berlin, Germany",
            ("Friedrichstraße 10", "Berlin", "", "10117", "DE"),
        ),
        (
            "Stratumseind 32, 5611 ET Eindhoven, Netherlands",
            ("Stratumseind 32", "Eindhoven", "", "5611 ET", "NL"),
        ),
        (
            "12 Long St, Cape Town, 8001, South Africa",
            ("12 Long St", "Cape Town", "", "8001", "ZA"),
        ),
        (
            "Calle de Durango 100, Roma Nte., 06700 Ciudad de México, CDMX, Mexico",
            ("Calle de Durango 100, Roma Nte.", "Ciudad de México", "CDMX", "06700", "MX"),
        ),
        (
            "10 Downing Street, London SW1A 2AA, UK",
            ("10 Downing Street", "London", "", "SW1A 2AA", "GB"),
        ),
        (
            "1 Church Rd, Brighton, BN1 1AA, United Kingdom",
            ("1 Church Rd", "Brighton", "", "BN1 1AA", "GB"),
        ),
        (
            "100 Queen St W, Toronto, ON M5H 2N2, Canada",
            ("100 Queen St W", "Toronto", "ON", "M5H 2N2", "CA"),
        ),
    ],
)
def test_formatted_addresses_are_parsed_into_their_parts(formatted, expected):
    parts = parse_formatted_address(formatted, Context())
    got = tuple(parts[k] for k in ("address_line1", "city", "region", "postal_code", "country"))
    assert got == expected


def test_foreign_meetings_keep_their_country_and_town(source):
    rows = [
        {
            "name": "Berlin English",
            "slug": "berlin",
            "day": 3,
            "time": "19:30",
            "formatted_address": "Friedrichstraße 10, 10117 Berlin, Germany",
            "latitude": 52.52,
            "longitude": 13.39,
        },
        {
            "name": "Eindhoven",
            "slug": "eindhoven",
            "day": 5,
            "time": "20:00",
            "formatted_address": "Stratumseind 32, 5611 ET Eindhoven, Netherlands",
            "latitude": 51.44,
            "longitude": 5.48,
        },
    ]
    assert sync(source, rows).created == 2
    berlin = Location.objects.get(listings__feed_origin__feed_slug="berlin")
    assert (berlin.country, berlin.city, berlin.postal_code, berlin.approximate) == (
        "DE",
        "Berlin",
        "10117",
        False,
    )
    assert berlin.timezone == "Europe/Berlin"
    assert Location.objects.get(listings__feed_origin__feed_slug="eindhoven").country == "NL"


# ----------------------------------------------------------------------------- locations


def test_a_shared_building_keeps_each_meetings_notes(source):
    rows = [
        row("first", location_notes="Enter through the first gate"),
        row("second", location_notes="Room 15", day=4),
        row("third", location_notes=""),
        row("moved-pin", latitude=37.3390),  # same address, other coordinates: another place
    ]
    sync(source, rows)
    notes = dict(Listing.objects.values_list("feed_origin__feed_slug", "location_notes"))
    assert notes == {
        "first": "Enter through the first gate",
        "second": "Room 15",
        "third": "",
        "moved-pin": "",
    }
    locations = dict(Listing.objects.values_list("feed_origin__feed_slug", "location_id"))
    assert locations["first"] == locations["second"] == locations["third"]
    assert locations["moved-pin"] != locations["first"]
    assert Location.objects.count() == 2
    assert counts(sync(source, rows)) == (0, 0, 4, 0, 0)


# ----------------------------------------------------------------------------- issue 20


def address_only(slug, address, **kw) -> dict:
    """A row the way one real intergroup writes them: the whole address in ``address``, no
    formatted_address, city, coordinates or time zone."""
    data = {
        "name": f"Meeting {slug}",
        "slug": slug,
        "day": 3,
        "time": "19:30",
        "location": "Community hall",
        "address": address,
        "types": ["O"],
    }
    data.update(kw)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def gazetteer():
    edmonton = factories.place(
        name="Edmonton",
        search_name="edmonton",
        region_code="01",
        country="CA",
        latitude=53.55014,
        longitude=-113.46871,
        population=1_010_899,
        timezone="America/Edmonton",
    )
    factories.place(
        name="Edmonton",
        search_name="edmonton",
        region_code="ENG",
        country="GB",
        latitude=51.62561,
        longitude=-0.05798,
        population=82_000,
        timezone="Europe/London",
    )
    factories.place(
        name="Sydney",
        search_name="sydney",
        region_code="02",
        country="AU",
        latitude=-33.86785,
        longitude=151.20732,
        population=4_627_345,
        timezone="Australia/Sydney",
    )
    factories.place(
        name="Springfield",
        search_name="springfield",
        region_code="IL",
        region_name="Illinois",
        latitude=39.80172,
        longitude=-89.64371,
        timezone="America/Chicago",
    )
    return edmonton


def test_an_address_only_canadian_feed_imports_every_row_with_zone_and_place(source, gazetteer):
    """Issue 20, 4: 315 rows like these imported nothing ("no timezone")."""
    rows = [
        address_only(f"yeg-{i}", f"{8300 + i} 104 St, Edmonton, Alberta, T6E 4E8, Canada")
        for i in range(20)
    ]
    result = sync(source, rows)

    assert (result.created, result.skipped) == (20, 0), result.skips
    for listing in Listing.objects.select_related("location").prefetch_related("schedules"):
        location = listing.location
        assert (location.city, location.region, location.postal_code, location.country) == (
            "Edmonton",
            "Alberta",
            "T6E 4E8",
            "CA",
        )
        assert location.address_line1.endswith("104 St")
        assert (location.latitude, location.longitude) == (53.55014, -113.46871)
        assert location.approximate  # the town's coordinates, not the building's
        assert {s.timezone for s in listing.schedules.all()} == {"America/Edmonton"}
        assert location.timezone == "America/Edmonton"
    # A search by place finds them: they have coordinates now.
    assert Location.objects.filter(latitude__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("address", "zone", "city", "country"),
    [
        # A town the gazetteer does not know: its province.
        (
            "12 Main St, Moose Jaw, Saskatchewan, S6H 1A1, Canada",
            "America/Regina",
            "Moose Jaw",
            "CA",
        ),
        ("5 Rue Principale, Gatineau, QC J8X 3Y2, Canada", "America/Toronto", "Gatineau", "CA"),
        # A country that keeps one time.
        (
            "10 High Street, Hornchurch, RM11 1AA, United Kingdom",
            "Europe/London",
            "Hornchurch",
            "GB",
        ),
        ("Hauptstraße 5, 10115 Berlin, Germany", "Europe/Berlin", "Berlin", "DE"),
        # The town in the gazetteer (not England's Edmonton: the country says Australia).
        ("1 George St, Sydney NSW 2000, Australia", "Australia/Sydney", "Sydney", "AU"),
        ("100 Main St, Springfield, IL 62701", "America/Chicago", "Springfield", "US"),
    ],
)
def test_whole_addresses_of_many_countries_give_town_and_zone(
    source, gazetteer, address, zone, city, country
):
    result = sync(source, [address_only("m", address)])

    assert result.created == 1, result.skips
    listing = Listing.objects.select_related("location").get()
    assert (listing.location.city, listing.location.country) == (city, country)
    assert listing.schedules.get().timezone == zone


def test_a_feed_shape_we_cannot_read_says_so_on_every_row(source):
    """No zone anywhere (Mexico keeps several): each row says why, none is dropped silently."""
    rows = [
        address_only(f"mx-{i}", "Calle 5 de Mayo 10, Centro, 06000 CDMX, Mexico") for i in range(3)
    ]
    result = sync(source, rows)
    assert result.created == 0
    ((reason, items),) = result.skips.items()
    assert "give the source a fallback" in reason and [i["row"] for i in items] == [1, 2, 3]
    source.fallback_timezone = "America/Mexico_City"
    source.save()
    assert sync(source, rows).created == 3
