"""Places visitors type: unknown ones say so, suggest the nearest spellings and show no
in-person listings (online ones instead) rather than the whole country."""

from __future__ import annotations

import pytest

from directory.models import Listing
from directory.search.geo import resolve_place
from tests import factories as f
from tests.search_helpers import parse_find_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def towns():
    f.place(name="Rehoboth Beach", search_name="rehoboth beach", region_code="DE")
    f.place(name="Larkspur", search_name="larkspur", region_code="CA", population=12_000)
    f.place(name="Larkspur", search_name="larkspur", region_code="CO", population=200)
    f.place(name="Lark", search_name="lark", region_code="UT")


def test_an_unknown_place_suggests_the_nearest_spellings(towns):
    found = resolve_place("Rehobth Beach")
    assert found.origin is None and "couldn" in found.error
    assert [p.name for p in found.suggestions] == ["Rehoboth Beach"]
    assert [p.region_code for p in resolve_place("Larkspurr").suggestions] == ["CA"]
    assert resolve_place(",").error and resolve_place(",").origin is None


def test_an_unknown_place_shows_online_listings_only(client, towns):
    f.listing(name="In person far away", location=f.location(latitude=30.0, longitude=-90.0))
    f.listing(
        name="Hybrid far away",
        attendance=Listing.Attendance.HYBRID,
        location=f.location(latitude=31.0, longitude=-91.0),
    )
    f.listing(name="Online anywhere", attendance=Listing.Attendance.ONLINE)
    for schedule_owner in Listing.objects.all():
        f.schedule(schedule_owner)
    html = client.get("/find/?near=Rehobth+Beach").content.decode()
    assert parse_find_page(html).result_names == ["Online anywhere"]
    assert "Showing meetings you can join online instead." in html
    assert "Did you mean" in html and "Rehoboth Beach, US" in html
    # No place at all: the same, online listings until a place is given; in person (or
    # hybrid) when the visitor asks for it.
    assert parse_find_page(client.get("/find/").content.decode()).result_count == 1
    every_kind = "/find/?near=Rehobth+Beach&attendance=in_person&attendance=hybrid"
    assert parse_find_page(client.get(every_kind).content.decode()).result_count == 2


def test_a_found_place_is_looked_up_once_for_every_process(towns, django_assert_num_queries):
    """Visitors type the same towns again and again: a place found is kept in the shared
    cache (Redis in production, so every worker reads it from there), with the same answer."""
    first = resolve_place("Larkspur")
    assert first.origin.place.region_code == "CA"
    assert [p.region_code for p in first.alternatives] == ["CO"]
    with django_assert_num_queries(0):
        again = resolve_place("  Larkspur ")
    assert (again.origin.latitude, again.origin.label) == (
        first.origin.latitude,
        first.origin.label,
    )
    assert [p.pk for p in again.alternatives] == [p.pk for p in first.alternatives]
    with django_assert_num_queries(1):  # another place is another look-up
        assert resolve_place("Larkspur, CO").origin.place.region_code == "CO"
    with django_assert_num_queries(0):  # the same place however it is typed: one entry
        assert resolve_place("larkspur ,co").origin.place.region_code == "CO"
        assert resolve_place("LARKSPUR").origin.place.region_code == "CA"


def test_a_place_not_found_is_found_once_the_gazetteer_has_it(towns):
    """Only places found are kept: a town missing from the gazetteer is found as soon as it
    is loaded, not an hour later."""
    assert resolve_place("Milton, DE").origin is None
    f.place(name="Milton", search_name="milton", region_code="DE")
    assert resolve_place("Milton, DE").origin.place.name == "Milton"
