"""Our Meeting Guide feed imported back (the import_meeting_guide command on /meetings.json):
a database without listings gets the same feed again, and reimporting it changes nothing,
run after run, even where placeless listings share a town but not a time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.meeting_guide import export as meeting_guide
from directory.models import Listing
from tests import factories
from tests.feeds_helpers import coded_feature, online_meeting, weekly_meeting
from tests.meeting_guide_helpers import (
    by_slug,
    run_import,
    twelve_step_fixture,  # noqa: F401 - the fixture "twelve_step"
)

pytestmark = pytest.mark.django_db


VOLATILE = {"updated"}  # when our copy of the row was written: the import's own time


def test_round_trip_feed_import_feed(tmp_path, twelve_step):
    """Our feed, imported into a database without listings, gives the same feed back."""
    women, speaker = coded_feature("W", "audience"), coded_feature("SP")
    weekly_meeting(
        days=[2, 4],
        slug="tue-thu",
        features=[women, speaker],
        contact_name="Sam Q.",
        contact_email="sam@example.org",
        description="Bring a friend.",
    )
    weekly_meeting(
        slug="line2",
        location=factories.location(
            address_line2="Room 4", postal_code="62701", notes="Side door", approximate=True
        ),
    )
    online_meeting(
        slug="online",
        days=[0],
        conference_url="https://meet.example.org/r",
        conference_url_notes="Password in the chat",
        tz="Europe/London",
    )
    weekly_meeting(
        slug="hybrid",
        attendance=Listing.Attendance.HYBRID,
        conference_url="https://meet.example.org/h",
        conference_phone="+15550100",
    )
    weekly_meeting(slug="closed", attendance=Listing.Attendance.INACTIVE, end=None)
    shared_hall = factories.location(name="Grace Church", notes="Parking behind")
    weekly_meeting(
        slug="imported-fields",
        location=shared_hall,
        location_notes="Room 15",
        group_name="Came to Believe Group",
        group_notes="Business meeting first Sunday",
        district="District 7",
        regions=["South Bay", "San Jose", "Downtown"],
        website="https://ctb.example.org",
        group_email="ctb@example.org",
        group_phone="+1 408 555 0100",
        contact_name="Pat",
        contact_phone="+1 408 555 0101",
    )
    weekly_meeting(slug="same-hall", location=shared_hall, regions=["South Bay", "Campbell"])
    factories.listing(slug="appointment", by_appointment=True, contact_name="Lee")
    factories.listing(
        slug="online-appointment",
        by_appointment=True,
        attendance=Listing.Attendance.ONLINE,
        conference_url="https://meet.example.org/a",
    )
    split = weekly_meeting(slug="split", days=[1])
    factories.schedule(split, weekday=6, start_time=dt.time(9), end_time=dt.time(10))
    first = meeting_guide.build_feed("https://example.org")
    emitted = by_slug(first)["imported-fields"]
    assert {k: emitted[k] for k in ["group", "district", "region", "sub_region", "email"]} == {
        "group": "Came to Believe Group",
        "district": "District 7",
        "region": "South Bay",
        "sub_region": "Downtown",
        "email": "ctb@example.org",
    }
    assert emitted["regions"] == ["South Bay", "San Jose", "Downtown"]
    assert emitted["location_notes"] == "Parking behind\nRoom 15"
    assert (emitted["website"], emitted["phone"]) == ("https://ctb.example.org", "+1 408 555 0100")

    Listing.objects.all().delete()
    from directory.models import Location

    Location.objects.all().delete()
    out, err = run_import(tmp_path, first)
    listings = len({row["url"] for row in first})
    assert listings == len(first) - 2  # tue-thu and split have two records each
    assert sum("day" not in row for row in first) == 2
    assert out == f"{listings} created, 0 updated, 0 unchanged, 0 archived, 0 restored, 0 skipped"
    second = meeting_guide.build_feed("https://example.org")

    def comparable(rows):
        """Rows without what the import cannot keep: when they were written, and the
        approximate place of a listing without a location (its organisation's town or its
        zone's country: the imported listing belongs to the source's organisation)."""
        placeless = {"formatted_address", "city", "state", "country", "region"}
        return {
            row["slug"]: {
                k: v
                for k, v in row.items()
                if k not in VOLATILE and not ("address" not in row and k in placeless)
            }
            for row in rows
        }

    before, after = comparable(first), comparable(second)
    # A listing's day records come back as one listing (grouped by its url), under its slug.
    assert {"split-mon-1900", "split-sat-0900", "tue-thu-tue-1900"} <= set(after)
    for slug in before:
        assert after.get(slug) == before[slug], slug
    assert after == before

    again, _ = run_import(tmp_path, first)
    assert again.startswith(f"0 created, 0 updated, {listings} unchanged, 0 archived,")


def test_reimporting_our_feed_settles_when_placeless_listings_share_a_town_not_a_zone(
    tmp_path, twelve_step
):
    """Online listings without a place are published at their organisation's town: two of
    them in different time zones share that approximate address. Imported, they must not
    share one location whose zone each run sets to the other's (the second run and every one
    after it reported listings "updated" with nothing changed)."""
    organization = factories.organization(slug="placeless")
    weekly_meeting(slug="hall", organization=organization)  # the organisation's town
    for slug, tz in [("chicago", "America/Chicago"), ("new-york", "America/New_York")]:
        online_meeting(slug=slug, organization=organization, location=None, tz=tz)
    rows = meeting_guide.build_feed("https://example.org")
    addresses = {row["slug"]: row["formatted_address"] for row in rows}
    assert addresses["chicago"] == addresses["new-york"]  # the shape that made runs flip
    Listing.objects.all().delete()

    first, _ = run_import(tmp_path, rows)
    assert first.startswith("3 created, 0 updated, 0 unchanged,"), first
    for _ in range(2):
        again, _ = run_import(tmp_path, rows)
        assert again.startswith("0 created, 0 updated, 3 unchanged,"), again
    zones = {
        row["slug"]: row["timezone"] for row in meeting_guide.build_feed("https://example.org")
    }
    assert zones == {
        "hall": "America/Chicago",
        "chicago": "America/Chicago",
        "new-york": "America/New_York",
    }
