"""Meeting Guide feeds as real intergroups publish them: each problem of issue 10, reproduced
with a feed built here, and the feed-source life cycle (identity, archive, restore, guards)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.meeting_guide.addresses import Context, parse_formatted_address
from directory.meeting_guide.importing import run_source
from directory.meeting_guide.values import clean_text, parse_time
from directory.models import FeedListing, FeedRun, FeedSource, Listing, Location
from tests import factories
from tests.feeds_helpers import coded_feature

pytestmark = pytest.mark.django_db


def row(slug, **kw) -> dict:
    data = {
        "name": f"Meeting {slug}",
        "slug": slug,
        "day": 2,
        "time": "19:00",
        "end_time": "20:00",
        "timezone": "America/Los_Angeles",
        "location": "First Church",
        "address": "100 Main St",
        "city": "San Jose",
        "state": "CA",
        "postal_code": "95112",
        "country": "US",
        "latitude": 37.3382,
        "longitude": -121.8863,
        "types": ["O"],
    }
    data.update(kw)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def source():
    return factories.feed_source(organization=factories.organization(slug="san-jose-ig"))


def sync(source, rows, **kw):
    return run_source(source, rows=rows, **kw)


def counts(result) -> tuple:
    return (result.created, result.updated, result.unchanged, result.archived, result.restored)


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


# ----------------------------------------------------------------------------- attendance


def test_a_town_only_address_with_a_link_is_online_not_hybrid(source):
    rows = [
        {
            "name": "Online Serenity",
            "slug": "online-serenity",
            "day": 1,
            "time": "18:00",
            "location": "Online Meeting",
            "formatted_address": "San Jose, CA, USA",
            "conference_url": "https://zoom.us/j/123456789",
            "timezone": "America/Los_Angeles",
        },
        row("onl-code", types=["ONL", "O"], conference_phone="+16699006833,,123456789#"),
        row(
            "onl-town",
            types=["ONL"],
            address=None,
            formatted_address="Larkspur, CA, USA",
            conference_url="https://zoom.us/j/1",
        ),
        row("hybrid", conference_url="https://zoom.us/j/2"),
        row("closed-with-link", types=["TC"], conference_url="https://zoom.us/j/3"),
        row("closed", types=["TC"]),
        row("option-wins", attendance_option="in_person", conference_url="https://zoom.us/j/4"),
    ]
    coded_feature("O")
    result = sync(source, rows)
    assert result.created == 7, result.lines()
    attendance = dict(Listing.objects.values_list("feed_origin__feed_slug", "attendance"))
    assert attendance == {
        "online-serenity": "online",
        "onl-code": "hybrid",  # ONL plus a street address and a link
        "onl-town": "online",
        "hybrid": "hybrid",
        "closed-with-link": "online",
        "closed": "inactive",
        "option-wins": "in_person",
    }
    online = Listing.objects.get(feed_origin__feed_slug="online-serenity")
    location = online.location
    assert (location.address_line1, location.city, location.region, location.country) == (
        "",
        "San Jose",
        "CA",
        "US",
    )
    assert location.approximate
    # ONL is not a feature: it was read as online and is not reported as unknown.
    assert "ONL" not in json.dumps(result.warnings)


# ----------------------------------------------------------------------------- times and days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:30", dt.time(19, 30)),
        ("7:30", dt.time(7, 30)),
        ("07:30:00", dt.time(7, 30)),
        ("7:30 PM", dt.time(19, 30)),
        ("7:30pm", dt.time(19, 30)),
        ("7:30 p.m.", dt.time(19, 30)),
        ("12:00 AM", dt.time(0, 0)),
        ("12:15 pm", dt.time(12, 15)),
        ("7 PM", dt.time(19)),
        ("noon", dt.time(12)),
    ],
)
def test_times_as_feeds_write_them(text, expected):
    assert parse_time(text) == expected


@given(st.times())
@settings(max_examples=200, deadline=None)
def test_every_time_reads_back_in_24_and_12_hour_forms(moment):
    expected = moment.replace(second=0, microsecond=0)
    twelve = f"{(moment.hour % 12) or 12}:{moment.minute:02d} {'PM' if moment.hour >= 12 else 'AM'}"
    for text in (
        f"{moment.hour:02d}:{moment.minute:02d}",
        f"{moment.hour}:{moment.minute:02d}",
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}",
        twelve,
        twelve.lower().replace(" ", ""),
    ):
        assert parse_time(text) == expected, text


def test_a_feed_of_12_hour_times_imports_every_row(source):
    rows = [
        row(f"m{i}", time=f"{h}:30 {half}", end_time=f"{h % 12 + 1}:30 {half}", day=day)
        for i, (h, half, day) in enumerate(
            [(7, "PM", 1), (10, "AM", "2"), (6, "pm", "Wednesday"), (11, "AM", ["Sat", "sunday"])]
        )
    ]
    rows[2]["time"] = "6:30pm"
    result = sync(source, rows)
    assert result.created == 4 and not result.skips
    starts = {
        r.feed_origin.feed_slug: sorted((s.weekday, s.start_time) for s in r.schedules.all())
        for r in Listing.objects.select_related("feed_origin")
    }
    assert starts == {
        "m0": [(1, dt.time(19, 30))],
        "m1": [(2, dt.time(10, 30))],
        "m2": [(3, dt.time(18, 30))],
        "m3": [(0, dt.time(11, 30)), (6, dt.time(11, 30))],
    }


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


# ----------------------------------------------------------------------------- text and fields


def test_entities_and_tags_become_plain_text(source):
    rows = [
        row(
            "entities",
            name="Men&#039;s Step &amp; Tradition",
            notes="<p>Bring a <b>friend</b>.</p><p>Coffee &amp;amp; cake</p>",
            location="St. Mary&rsquo;s",
            location_notes="Enter through the first gate<br>Room 15",
        )
    ]
    sync(source, rows)
    listing = Listing.objects.get()
    assert listing.name == "Men's Step & Tradition"
    assert listing.description == "Bring a friend.\nCoffee & cake"
    assert listing.location.name == "St. Mary’s"
    assert listing.location_notes == "Enter through the first gate\nRoom 15"
    assert clean_text("&lt;script&gt;alert(1)&lt;/script&gt;") == "alert(1)"


def test_every_feed_field_is_kept(source):
    rows = [
        row(
            "full",
            group="Came to Believe Group",
            group_notes="Business meeting first Sunday",
            district="District 7",
            regions=["South Bay", "San Jose", "Downtown"],
            website="https://ctb.example.org",
            email="ctb@example.org",
            phone="+1 408 555 0100",
            url="https://aa.example.org/meetings/full",
            feedback_url="https://aa.example.org/feedback?m=full",
            location_notes="Room 15",
            contact_1_name="Pat Smith",
            contact_1_email="pat@example.org",
        ),
        row("sub", region="South Bay", sub_region="Campbell"),
    ]
    sync(source, rows)
    full = Listing.objects.get(feed_origin__feed_slug="full")
    assert (full.group_name, full.group_notes, full.district) == (
        "Came to Believe Group",
        "Business meeting first Sunday",
        "District 7",
    )
    assert full.regions == ["South Bay", "San Jose", "Downtown"]
    assert (full.website, full.group_email, full.group_phone) == (
        "https://ctb.example.org",
        "ctb@example.org",
        "+1 408 555 0100",
    )
    assert full.feed_origin.feed_url == "https://aa.example.org/meetings/full"
    assert full.feed_origin.feedback_url == "https://aa.example.org/feedback?m=full"
    assert full.location_notes == "Room 15" and full.contact_name == "Pat"
    assert Listing.objects.get(feed_origin__feed_slug="sub").regions == ["South Bay", "Campbell"]


def test_one_bad_field_is_dropped_with_a_warning_and_the_meeting_kept(source):
    long_dial = "+1 646 558 8656,,856712345678#,,,,*123456#"  # 42 characters: a real one
    assert len(long_dial) == 42
    rows = [
        row("long-dial", conference_phone=long_dial, address=None, formatted_address=None),
        row("long-phone", contact_1_phone="+1 (408) 555-0100 ext 1234 or ask for the secretary"),
        row("bad-link", conference_url="zoom.us/j/123", website="not a link"),
        row("half-coordinates", longitude=None),
        row("bad-email", contact_1_email="pat at example"),
        row("unknown-type", types=["O", "XYZ", "LGBTQ"]),
        row("bad-end", end_time="late"),
    ]
    coded_feature("O")
    result = sync(source, rows)
    assert result.created == 7 and not result.skips, result.lines()
    by_slug = {
        r.feed_origin.feed_slug: r
        for r in Listing.objects.select_related("feed_origin", "location")
    }
    assert by_slug["long-dial"].conference_phone == long_dial
    assert by_slug["long-dial"].attendance == "online"
    assert by_slug["long-phone"].contact_phone == ""
    assert by_slug["bad-link"].conference_url == "" and by_slug["bad-link"].website == ""
    assert by_slug["bad-link"].attendance == "in_person"
    assert not by_slug["half-coordinates"].location.has_coordinates
    assert by_slug["bad-email"].contact_email == ""
    assert by_slug["bad-end"].schedules.get().end_time is None
    warnings = result.warnings
    assert [i["slug"] for i in warnings["contact_1_phone dropped: longer than 40 characters"]] == [
        "long-phone"
    ]
    assert warnings["conference_url dropped: not an http(s) link"][0]["detail"] == "zoom.us/j/123"
    assert "coordinates dropped: only one of latitude and longitude" in warnings
    assert warnings["unknown type code"][0]["detail"] == "XYZ"
    assert warnings["type code has no matching feature here"][0]["detail"] == "LGBTQ"
    text = "\n".join(result.lines())
    assert "Warnings: unknown type code (1)" in text
    assert "row 6 “Meeting unknown-type” (unknown-type): XYZ" in text


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


# ----------------------------------------------------------------------------- life cycle


def test_a_meeting_missing_from_two_runs_is_archived_and_restored_when_back(source):
    rows = [row(f"m{i}") for i in range(4)]
    sync(source, rows)
    gone = Listing.objects.get(feed_origin__feed_slug="m3")

    assert counts(sync(source, rows[:3])) == (0, 0, 3, 0, 0)  # missing once: kept
    gone.refresh_from_db()
    assert gone.status == "published" and gone.feed_origin.missing_runs == 1

    assert counts(sync(source, rows[:3])) == (0, 0, 3, 1, 0)  # missing twice: archived
    gone.refresh_from_db()
    assert gone.status == "archived" and Listing.objects.filter(pk=gone.pk).exists()
    assert counts(sync(source, rows[:3])) == (0, 0, 3, 0, 0)  # archived once only

    assert counts(sync(source, rows)) == (0, 0, 3, 0, 1)  # back: restored
    gone.refresh_from_db()
    assert gone.status == "published" and gone.feed_origin.missing_runs == 0
    assert counts(sync(source, rows)) == (0, 0, 4, 0, 0)


def test_a_curators_archive_stands_when_the_meeting_is_still_in_the_feed(source):
    sync(source, [row("m1"), row("m2")])
    Listing.objects.filter(feed_origin__feed_slug="m1").update(status="archived")
    assert counts(sync(source, [row("m1"), row("m2")])) == (0, 0, 2, 0, 0)
    assert Listing.objects.get(feed_origin__feed_slug="m1").status == "archived"


def test_a_source_that_shrinks_by_80_percent_changes_nothing_and_says_why(source, tmp_path):
    rows = [row(f"m{i}") for i in range(10)]
    sync(source, rows)
    before = list(Listing.objects.order_by("pk").values())

    for _ in range(3):
        result = sync(source, rows[:2])
        assert not result.ok
        assert "2 rows, under 50% of the 10 of the last successful run" in result.failed
    assert list(Listing.objects.order_by("pk").values()) == before
    assert FeedListing.objects.filter(missing_runs__gt=0).count() == 0
    assert list(FeedSource.objects.failing()) == [source]
    assert source.last_run.status == "failed"

    # The command says so and exits non-zero; --allow-shrink accepts it.
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(rows[:2]))
    source.url = str(path)
    source.save()
    out = StringIO()
    with pytest.raises(CommandError, match="under 50%"):
        call_command("import_meeting_guide", str(path), stdout=out)
    assert "Failed: the feed has 2 rows" in out.getvalue()
    call_command("import_meeting_guide", str(path), "--allow-shrink", stdout=StringIO())
    assert FeedListing.objects.filter(missing_runs=1).count() == 8
    assert not FeedSource.objects.failing().exists()


def test_a_failed_download_changes_nothing_and_is_recorded(source, settings):
    sync(source, [row("m1")])
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # a private feed, allowed
    source.url = "http://127.0.0.1:9/meetings.json"  # nothing listens on the discard port
    source.save()
    result = run_source(source, timeout=2)
    assert not result.ok and result.failed == "The feed's server could not be reached."
    assert Listing.objects.get().status == "published"
    run = source.last_run
    assert (run.status, run.created, run.updated) == ("failed", 0, 0)
    assert list(FeedSource.objects.failing()) == [source]


def test_dry_run_changes_nothing_and_saves_no_run(source):
    result = sync(source, [row("m1"), row("m2")], dry_run=True)
    assert result.created == 2 and result.dry_run
    assert not Listing.objects.exists() and not FeedRun.objects.exists()


def test_each_run_is_saved_with_its_grouped_report(source):
    sync(source, [row("m1"), row("m2", time="25:99"), row("m3", time="late")])
    run = source.last_run
    assert (run.status, run.rows, run.created, run.skipped) == ("ok", 3, 1, 2)
    skips = run.report["skipped"]
    assert {item["slug"] for items in skips.values() for item in items} == {"m2", "m3"}
    assert skips["time 'late' is not a time of day"][0] == {
        "row": 3,
        "name": "Meeting m3",
        "slug": "m3",
        "detail": "",
    }


def test_sync_feeds_runs_every_enabled_source_and_fails_only_for_a_failed_source(tmp_path):
    good_path = tmp_path / "good.json"
    good_path.write_text(json.dumps([row("m1")]))
    good = factories.feed_source(url=str(good_path))
    factories.feed_source(url=str(tmp_path / "missing.json"), name="Broken feed")
    factories.feed_source(url=str(tmp_path / "missing.json"), enabled=False, name="Disabled")
    out = StringIO()
    with pytest.raises(CommandError, match="1 source\\(s\\) failed: Broken feed"):
        call_command("sync_feeds", stdout=out)
    assert Listing.objects.filter(feed_origin__source=good).count() == 1
    assert "Disabled" not in out.getvalue() and "Could not read" in out.getvalue()
    # Only the good one: exit status 0.
    out = StringIO()
    call_command("sync_feeds", str(good.pk), stdout=out)
    assert "0 created, 0 updated, 1 unchanged" in out.getvalue()


# ----------------------------------------------------------------------------- visible


def test_an_imported_listing_shows_in_search_and_an_inactive_one_has_no_next_meeting(
    client, source
):
    from tests.search_helpers import EVERY_KIND, parse_find_page

    sync(source, [row("findable", name="Came to Believe Larkspur"), row("closed", types=["TC"])])
    page = parse_find_page(client.get("/find/?q=Larkspur&" + EVERY_KIND).content.decode())
    assert page.result_names == ["Came to Believe Larkspur"]
    closed = Listing.objects.get(feed_origin__feed_slug="closed")
    assert closed.attendance == "inactive"
    html = client.get(closed.get_absolute_url()).content.decode()
    assert "temporarily not meeting" in html and "Next meeting" not in html
    html = client.get(Listing.objects.get(slug="findable").get_absolute_url()).content.decode()
    assert "Next meeting" in html
    # Search leaves inactive listings out altogether.
    closed_search = client.get("/find/?q=closed&" + EVERY_KIND).content.decode()
    assert parse_find_page(closed_search).result_names == []


# ----------------------------------------------------------------------------- any row


text_values = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=10), max_size=3),
    st.sampled_from(["&amp;", "<b>x</b>", "&#039;", "+1 555 0100,,123#", "https://x.example/j"]),
)
messy_rows = st.fixed_dictionaries(
    {
        "name": st.one_of(st.text(min_size=1, max_size=400), st.just("Meeting")),
        "slug": st.one_of(st.text(min_size=1, max_size=300), st.integers(0, 10**9)),
        "day": st.one_of(st.integers(0, 6), st.sampled_from(["Monday", "3", [1, 2]])),
        "time": st.sampled_from(["19:00", "7:30 PM", "7:30pm", "07:30:00"]),
    },
    optional=dict.fromkeys(
        [
            "end_time",
            "notes",
            "location",
            "location_notes",
            "address",
            "city",
            "state",
            "postal_code",
            "country",
            "formatted_address",
            "conference_url",
            "conference_url_notes",
            "conference_phone",
            "conference_phone_notes",
            "contact_1_name",
            "contact_1_email",
            "contact_1_phone",
            "website",
            "email",
            "phone",
            "group",
            "group_notes",
            "district",
            "region",
            "sub_region",
            "regions",
            "attendance_option",
            "approximate",
            "url",
            "feedback_url",
            "latitude",
            "longitude",
            "types",
        ],
        text_values,
    ),
)


@given(messy_rows)
@settings(max_examples=150, deadline=None)
def test_whatever_a_row_holds_parsing_gives_a_valid_listing_or_a_reason(data):
    """New listings are bulk-created without clean_fields: parse_row must hold every field
    to the model's rules itself."""
    from directory.meeting_guide.rows import parse_row
    from directory.meeting_guide.values import RowError

    context = Context(fallback_timezone="UTC")
    try:
        parsed = parse_row(data, context)
    except RowError:
        return
    listing = Listing(slug="x", support_type_id=1, **parsed.listing)
    listing.clean_fields(exclude=["support_type", "organization", "location", "slug"])
    if parsed.location is not None:
        Location(**parsed.location).clean_fields()
    if listing.attendance in {"online", "hybrid"}:
        assert listing.conference_url or listing.conference_phone
    assert len(parsed.feed_slug) <= 255


def test_an_unexpected_error_changes_nothing_and_is_recorded(source, monkeypatch):
    from directory.meeting_guide import importing as meeting_guide_import

    sync(source, [row("m1")])

    def explode(self, rows):
        Listing.objects.update(name="half-written")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(meeting_guide_import._Importer, "run", explode)
    result = sync(source, [row("m1"), row("m2")])
    assert not result.ok and "RuntimeError: disk on fire" in result.failed
    assert Listing.objects.get().name == "Meeting m1"
    assert source.last_run.status == "failed"


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


def test_links_are_stored_whole_never_cut(source):
    """Issue 20, 5: feedback links were cut to 500 characters (658 rows of one feed)."""
    long_url = "https://intergroup.example.org/meetings/feedback?" + "q=" + "x" * 1940
    assert len(long_url) > 1_980
    too_long = "https://example.org/" + "y" * 2100
    result = sync(
        source,
        [
            row(
                "long",
                feedback_url=long_url,
                url=long_url + "&page",
                website=long_url + "&web",
                conference_url=long_url + "&join",
            ),
            row("too-long", feedback_url=too_long, website=too_long),
        ],
    )

    assert result.created == 2
    origin = FeedListing.objects.get(feed_slug="long")
    assert origin.feedback_url == long_url and origin.feed_url == long_url + "&page"
    listing = origin.listing
    assert listing.website == long_url + "&web"
    assert listing.conference_url == long_url + "&join"
    assert not any("cut" in reason for reason in result.warnings)
    assert "feedback_url dropped: longer than 2,048 characters" in result.warnings
    assert FeedListing.objects.get(feed_slug="too-long").feedback_url == ""
    # Published whole in our own feed too.
    from directory.meeting_guide.export import build_feed

    ours = next(r for r in build_feed("https://example.org") if r["name"] == "Meeting long")
    assert ours["website"] == long_url + "&web"


def test_long_text_is_kept_whole_or_dropped_with_a_warning(source):
    notes = "A long story. " * 2000
    result = sync(
        source,
        [row("notes", notes=notes, location_notes="Round the back. " * 300, district="D" * 150)],
    )
    listing = Listing.objects.get()
    assert listing.description == notes.strip()
    assert len(listing.location_notes) > 4000
    assert listing.district == ""
    assert "district dropped: longer than 100 characters" in result.warnings
    too_long_name = sync(source, [row("n", name="N" * 250)])
    assert "name is longer than 200 characters (250)" in too_long_name.skips


def test_a_meeting_without_a_day_is_listed_by_appointment(source, client):
    """Issue 20, 6: the spec allows a meeting without a day; it was skipped."""
    appointment = row("appointment", day=None, time=None, end_time=None, timezone=None)
    result = sync(source, [appointment])

    assert result.created == 1 and not result.skips
    listing = Listing.objects.get()
    assert listing.by_appointment and not listing.schedules.exists()
    page = client.get(listing.get_absolute_url())
    assert "By appointment." in page.content.decode()
    found = client.get("/find/", {"attendance": "in_person"})
    assert found.context["result"].count == 1
    assert "<strong>By appointment</strong>" in found.content.decode()
    # Not on any day: the day facet does not count it, a search by day does not find it.
    assert (
        client.get("/find/", {"day": "2", "attendance": "in_person"}).context["result"].count == 0
    )
    # Our feed says it the same way, and the round trip keeps it.
    from directory.meeting_guide.export import build_feed

    (record,) = build_feed("https://example.org")
    assert "day" not in record and "time" not in record
    assert sync(source, [appointment]).unchanged == 1


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


def test_a_report_counts_every_problem_and_keeps_fifty_examples(source):
    rows = [row(f"m{i}", conference_phone="call Bob", types=["ZZ"]) for i in range(200)]
    rows += [row(f"bad{i}", day=9) for i in range(120)]
    result = sync(source, rows)

    assert result.created == 200 and result.skipped == 120
    assert result.count("warnings", "conference_phone dropped: not a dial string") == 200
    assert len(result.warnings["conference_phone dropped: not a dial string"]) == 50
    run = FeedRun.objects.get()
    assert run.skipped == 120
    assert len(json.dumps(run.report)) < 60_000
    assert "Skipped: day 9 is not 0-6 (0 = Sunday) or a day name (120)" in result.lines()
    assert "    … and 100 more" in result.lines()


def test_a_feed_too_big_or_too_deep_changes_nothing_and_says_why(source, settings, tmp_path):
    from directory.meeting_guide.reading import FeedReadError, parse_feed

    settings.DIRECTORY_FEED_MAX_ROWS = 10
    with pytest.raises(FeedReadError, match="11 rows, more than the 10"):
        parse_feed(json.dumps([row(f"m{i}") for i in range(11)]))
    with pytest.raises(FeedReadError, match="nested too deeply"):
        parse_feed("[" * 100_000 + "]" * 100_000)


def test_control_and_text_direction_characters_never_reach_a_listing(source):
    """Issue 22, 7: feeds' names carried them into the curator e-mail and calendars."""
    sync(
        source,
        [
            row(
                "odd",
                name="Hope\u202e group\x07\r\nTuesday",
                notes="Line one\x00\r\nLine\u2066 two",
            )
        ],
    )
    listing = Listing.objects.get()
    assert listing.name == "Hope group Tuesday"
    assert listing.description == "Line one\nLine two"
