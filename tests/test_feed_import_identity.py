"""Which listing a Meeting Guide row is: a source's rows never touch another source's or our
own listings whatever their slugs, a listing written one record per day stays one listing as
its days change, rows that only share a url stay apart, and a listing a curator moved to
another organisation is never overwritten (issues 10, 20 and 22)."""

from __future__ import annotations

import pytest

from directory.models import FeedListing, Listing
from tests import factories
from tests.feed_import_helpers import (
    counts,
    row,
    source_fixture,  # noqa: F401 - the fixture "source"
    sync,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- identity


def test_two_sources_with_the_same_generic_slugs_never_touch_each_other(source):
    other = factories.feed_source(organization=factories.organization(slug="newport-ig"))
    san_jose = [row("speaker-meeting"), row("came-to-believe", day=4)]
    newport = [
        row(
            "speaker-meeting",
            name="Newport Speaker",
            city="Newport Beach",
            postal_code="92660",
            address="1 Harbor Rd",
            latitude=33.6189,
            longitude=-117.9289,
        ),
        row("came-to-believe", name="Newport CTB", day=[0, 6]),
    ]
    assert counts(sync(source, san_jose)) == (2, 0, 0, 0, 0)
    assert counts(sync(other, newport)) == (2, 0, 0, 0, 0)

    mine = Listing.objects.get(feed_origin__source=source, feed_origin__feed_slug="speaker-meeting")
    theirs = Listing.objects.get(
        feed_origin__source=other, feed_origin__feed_slug="speaker-meeting"
    )
    assert mine.slug == "speaker-meeting" and theirs.slug == "speaker-meeting-newport-ig"
    assert mine.location.city == "San Jose" and mine.organization.slug == "san-jose-ig"
    assert theirs.location.city == "Newport Beach" and theirs.organization.slug == "newport-ig"
    assert Listing.objects.count() == 4
    # Back and forth for ever changes nothing.
    for _ in range(2):
        assert counts(sync(source, san_jose)) == (0, 0, 2, 0, 0)
        assert counts(sync(other, newport)) == (0, 0, 2, 0, 0)


def test_no_feed_can_update_a_listing_of_another_source_or_our_own(source):
    ours = factories.listing(slug="back-to-basics-3", name="Curated by us")
    sync(source, [row("came-to-believe")])
    theirs = Listing.objects.get(feed_origin__source=source)
    attacker = factories.feed_source()
    # Every key the attacker could aim at: their slug, our global slugs, the other's feed slug.
    rows = [
        row(slug, name="Hijacked", city="Elsewhere", address="9 Other Rd")
        for slug in ["came-to-believe", "back-to-basics-3", str(theirs.pk), str(theirs.uuid)]
    ]
    assert sync(attacker, rows).created == 4
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.name == "Curated by us" and theirs.name == "Meeting came-to-believe"
    assert theirs.feed_origin.source == source
    assert not Listing.objects.filter(name="Hijacked", feed_origin__source=source).exists()
    assert FeedListing.objects.filter(source=attacker).count() == 4


def test_importing_several_sources_twice_creates_updates_and_archives_nothing():
    sources = [factories.feed_source() for _ in range(3)]
    feeds = [
        [row(f"meeting-{i}", day=i % 7, time=f"{i % 12 + 1}:00 PM") for i in range(n)]
        for n in (3, 5, 8)
    ]
    for source, rows in zip(sources, feeds, strict=True):
        assert sync(source, rows).created == len(rows)
    for source, rows in zip(sources, feeds, strict=True):
        assert counts(sync(source, rows)) == (0, 0, len(rows), 0, 0)
        assert set(
            Listing.objects.filter(feed_origin__source=source).values_list(
                "feed_origin__feed_slug", flat=True
            )
        ) == {r["slug"] for r in rows}


def test_slugs_of_any_characters_the_spec_allows(source):
    result = sync(source, [row("a.a.-for-women-235"), row(4711), row("Über Meeting")])
    assert result.created == 3 and not result.skips
    assert set(Listing.objects.values_list("slug", flat=True)) == {
        "aa-for-women-235",
        "4711",
        "uber-meeting",
    }
    assert FeedListing.objects.filter(feed_slug="a.a.-for-women-235").exists()
    assert counts(sync(source, [row("a.a.-for-women-235"), row(4711), row("Über Meeting")])) == (
        0,
        0,
        3,
        0,
        0,
    )


# ----------------------------------------------------------------------------- issues 20 and 22


def test_day_records_stay_one_listing_as_its_days_change(source):
    """A listing written one record per day (our own feed's shape) is one listing, and stays
    the same listing when a day is added or the record it was first known by goes."""
    url = "https://intergroup.example.org/meetings/serenity/"
    monday, wednesday, friday = (
        row(f"serenity-{day}", day=n, url=url, name="Serenity")
        for day, n in (("mon", 1), ("wed", 3), ("fri", 5))
    )
    first = sync(source, [monday, wednesday])
    assert first.created == 1
    listing = Listing.objects.get()
    assert listing.slug == "serenity"  # what its records' slugs share
    assert sorted(listing.schedules.values_list("weekday", flat=True)) == [1, 3]

    second = sync(source, [wednesday, friday])
    assert (second.created, second.updated, second.archived) == (0, 1, 0)
    assert sorted(listing.schedules.values_list("weekday", flat=True)) == [3, 5]
    third = sync(source, [wednesday, friday])
    assert (third.created, third.unchanged, third.archived) == (0, 1, 0)
    assert Listing.objects.get().pk == listing.pk


def test_rows_that_share_a_url_but_are_different_meetings_stay_apart(source):
    """A feed that gives its home page as every meeting's url: only the same meeting merges."""
    home = "https://intergroup.example.org/"
    result = sync(
        source,
        [row("a", url=home, name="Morning"), row("b", url=home, name="Evening", day=4)],
    )
    assert result.created == 2


def test_a_listing_moved_to_another_organisation_is_a_conflict_never_overwritten(source):
    """Issue 22, 6: the feed's next run used to overwrite it and move it back."""
    sync(source, [row("moved", name="From the feed")])
    listing = Listing.objects.get()
    other = factories.organization(name="Treatment centre B")
    listing.organization = other
    listing.name = "Curated by B"
    listing.save()

    result = sync(source, [row("moved", name="From the feed, changed")])
    again = sync(source, [row("moved", name="From the feed, changed")])

    listing.refresh_from_db()
    assert (listing.organization, listing.name, listing.status) == (
        other,
        "Curated by B",
        "published",
    )
    assert (result.updated, result.created, result.archived) == (0, 0, 0)
    (item,) = result.skips["listing moved to another organisation: not updated"]
    assert "Treatment centre B" in item["detail"]
    assert again.archived == 0 and Listing.objects.count() == 1
