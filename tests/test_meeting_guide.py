"""The Meeting Guide feed (/meetings.json) and the Meeting Guide importer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from directory.meeting_guide import export as meeting_guide
from directory.models import Listing
from tests import factories
from tests.feeds_helpers import (
    assert_meeting_guide_row,
    coded_feature,
    interval_meeting,
    monthly_meeting,
    online_meeting,
    weekly_meeting,
)

pytestmark = pytest.mark.django_db


def get_feed(client) -> list[dict]:
    response = client.get(reverse("feeds:meetings-feed"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


def by_slug(rows):
    return {row["slug"]: row for row in rows}


def test_feed_rows_follow_the_spec(client):
    women, speaker = coded_feature("W", "audience"), coded_feature("SP")
    custom = factories.feature("format", code="ZZNOTCODE", slug="custom")
    plain = factories.feature("format", slug="no-code")
    weekly_meeting(days=[2, 4], slug="tuesday-thursday", features=[women, speaker, custom, plain])
    online_meeting(slug="online", conference_url="https://meet.example.org/join")
    weekly_meeting(
        slug="hybrid", attendance=Listing.Attendance.HYBRID, conference_url="https://x.example/j"
    )
    weekly_meeting(slug="closed-for-now", attendance=Listing.Attendance.INACTIVE)

    rows = by_slug(get_feed(client))

    assert set(rows) == {
        "tuesday-thursday-tue-1900",
        "tuesday-thursday-thu-1900",
        "online",
        "hybrid",
        "closed-for-now",
    }
    for row in rows.values():
        assert_meeting_guide_row(row)
    row = rows["tuesday-thursday-tue-1900"]
    assert row["day"] == 2 and rows["tuesday-thursday-thu-1900"]["day"] == 4
    assert {k: v for k, v in row.items() if k not in {"slug", "day"}} == {
        k: v for k, v in rows["tuesday-thursday-thu-1900"].items() if k not in {"slug", "day"}
    }
    assert (row["time"], row["end_time"], row["timezone"]) == ("19:00", "20:00", "America/Chicago")
    assert row["types"] == ["SP", "W"]
    assert row["attendance_option"] == "in_person"
    assert row["approximate"] == "no"
    assert row["latitude"] == 39.7817 and row["longitude"] == -89.6501
    assert row["formatted_address"] == "1 Main Street, Springfield, IL, US"
    assert row["location"] == "Community hall"
    assert row["url"] == "http://testserver/resources/tuesday-thursday/"
    assert row["feedback_url"] == "http://testserver/resources/tuesday-thursday/report/"
    assert "conference_url" not in row
    assert rows["online"]["conference_url"] == "https://meet.example.org/join"
    assert rows["online"]["attendance_option"] == "online"
    assert rows["online"]["approximate"] == "yes"
    assert rows["hybrid"]["attendance_option"] == "hybrid"
    assert rows["closed-for-now"]["types"] == ["TC"]
    assert "conference_url" not in rows["closed-for-now"]


def test_one_listing_with_several_times_gives_unique_slugs(client):
    listing = weekly_meeting(days=[1, 3], slug="morning-and-evening", start=dt.time(7))
    factories.schedule(listing, weekday=5, start_time=dt.time(19), end_time=dt.time(20, 30))
    long_one = weekly_meeting(slug="a" * 120)
    factories.schedule(long_one, weekday=0, start_time=dt.time(8), end_time=None)

    rows = get_feed(client)

    slugs = [row["slug"] for row in rows]
    assert len(slugs) == len(set(slugs)) == 5
    assert {
        "morning-and-evening-mon-0700",
        "morning-and-evening-wed-0700",
        "morning-and-evening-fri-1900",
    } <= set(slugs)
    assert all(len(slug) <= 64 for slug in slugs)
    assert by_slug(rows)["morning-and-evening-wed-0700"]["day"] == 3
    assert by_slug(rows)["morning-and-evening-fri-1900"]["end_time"] == "20:30"
    for row in rows:
        assert_meeting_guide_row(row)
        assert row["url"].endswith(f"/resources/{row['url'].split('/')[-2]}/")
    no_end = [row for row in rows if row["time"] == "08:00"]
    assert len(no_end) == 1 and "end_time" not in no_end[0]


def test_monthly_interval_unpublished_and_expired_schedules_are_left_out(client):
    monthly_meeting(slug="first-saturday")
    interval_meeting(slug="fortnightly")
    weekly_meeting(slug="draft", status="draft")
    weekly_meeting(slug="archived", status="archived")
    expired = factories.listing(slug="ended")
    factories.schedule(expired, valid_to=dt.date(2020, 1, 1))
    mixed = monthly_meeting(slug="mixed")
    factories.schedule(mixed, weekday=3)

    rows = get_feed(client)

    assert [row["slug"] for row in rows] == ["mixed"]
    assert rows[0]["day"] == 3


def test_no_last_names_anywhere_in_the_feed(client):
    weekly_meeting(slug="contacts", contact_name="Alexandra Quimby-Fairweather")
    weekly_meeting(slug="initial", contact_name="  Jo   Q. ")

    text = json.dumps(get_feed(client))
    rows = by_slug(json.loads(text))

    assert "Quimby" not in text and "Fairweather" not in text and "Q." not in text
    assert rows["contacts"]["contact_1_name"] == "Alexandra"
    assert rows["initial"]["contact_1_name"] == "Jo"


def test_query_count_does_not_grow_with_listings(client, django_assert_max_num_queries):
    features = [coded_feature("O"), coded_feature("C")]
    for i in range(3):
        weekly_meeting(days=[i, i + 1], features=features)
    # The data version, the organisations' towns, then the three merged streams (and on
    # PostgreSQL a transaction without the statement timeout: savepoint, SET, release).
    with django_assert_max_num_queries(8):
        small = get_feed(client)
    for i in range(30):
        weekly_meeting(days=[i % 7], features=features[: i % 3])
        online_meeting(days=[(i + 1) % 7])
    with django_assert_max_num_queries(8):
        large = get_feed(client)
    assert len(small) == 6 and len(large) == 66


def test_query_count_stays_constant_beyond_one_fetch_chunk(
    client, django_assert_max_num_queries, monkeypatch
):
    """Three streamed queries however many listings: not one prefetch pair per chunk."""
    monkeypatch.setattr(meeting_guide, "CHUNK_SIZE", 4)
    features = [coded_feature("O"), coded_feature("C")]
    for i in range(25):
        weekly_meeting(days=[i % 7, (i + 2) % 7], features=features[: i % 3])
    with django_assert_max_num_queries(8):
        rows = get_feed(client)
    assert len(rows) == 50
    assert all(isinstance(row["day"], int) for row in rows)
    assert sum("O" in row["types"] for row in rows) == 2 * len([i for i in range(25) if i % 3])


def test_stream_comes_in_chunks_and_is_valid_json():
    for i in range(40):
        weekly_meeting(days=[i % 7], description="x" * 200)
    pieces = list(meeting_guide.stream_feed("https://example.org", buffer_size=1024))
    assert len(pieces) > 5
    rows = json.loads(b"".join(pieces))
    assert len(rows) == 40
    assert rows[0]["url"].startswith("https://example.org/resources/")


def test_empty_feed_is_an_empty_array(client):
    assert get_feed(client) == []


def test_discovery_link_include(rf):
    from django.template.loader import render_to_string

    html = render_to_string("includes/meetings_feed_link.html")
    assert 'rel="alternate"' in html and 'type="application/json"' in html
    assert 'title="Meetings Feed"' in html and 'href="/meetings.json"' in html


# ----------------------------------------------------------------------------- importer


def run_import(tmp_path, rows, *args) -> tuple[str, str]:
    from io import StringIO

    from django.core.management import call_command

    from directory.models import Organization

    Organization.objects.get_or_create(slug="intergroup", defaults={"name": "Intergroup"})
    path = tmp_path / "meetings.json"
    path.write_text(json.dumps(rows))
    out, err = StringIO(), StringIO()
    call_command(
        "import_meeting_guide",
        str(path),
        "--organization",
        "intergroup",
        *args,
        stdout=out,
        stderr=err,
    )
    lines = out.getvalue().splitlines()
    if lines and lines[0].startswith("New feed source"):
        lines = lines[1:]
    # The summary line, and the grouped report.
    return (lines[0] if lines else ""), "\n".join(lines[1:]) + err.getvalue()


@pytest.fixture
def twelve_step():
    return factories.support_type(name="12-Step Programs", slug="12-step-programs")


def valid_row(slug: str, **kw) -> dict:
    row = {
        "name": f"Meeting {slug}",
        "slug": slug,
        "day": 2,
        "time": "19:00",
        "end_time": "20:00",
        "timezone": "America/New_York",
        "location": "St Mark's hall",
        "address": "12 Church Lane",
        "city": "Albany",
        "state": "NY",
        "postal_code": "12207",
        "country": "US",
        "latitude": 42.65258,
        "longitude": -73.75623,
        "types": ["O", "D"],
    }
    row.update(kw)
    return row


def test_import_creates_skips_and_drops_the_right_things(tmp_path, twelve_step):
    open_, discussion = coded_feature("O"), coded_feature("D")
    ours = weekly_meeting(slug="existing", name="Our own listing", features=[open_])
    feed = [
        valid_row("new-one", day=[1, 3]),
        valid_row("existing", name="From the feed"),
        valid_row(
            "online-one",
            conference_url="https://meet.example.org/x",
            approximate="yes",
            address=None,
            location=None,
            latitude=None,
            longitude=None,
        ),
        valid_row("twice"),
        valid_row("twice", time="08:00"),
        valid_row("clash", name="First clash"),
        valid_row("clash", name="Second clash"),
        valid_row("", name="No slug"),
        valid_row("no-name", name=""),
        valid_row("bad-day", day=7),
        valid_row("pm-time", time="7pm"),
        valid_row("bad-zone", timezone="Mars/Olympus"),
        valid_row("bad-phone", conference_phone="call Bob"),
        valid_row("online-without-link", attendance_option="online"),
        "not an object",
    ]

    out, err = run_import(tmp_path, feed)

    assert out == "8 created, 0 updated, 0 unchanged, 0 archived, 0 restored, 6 skipped"
    for text in [
        "slug repeated in the feed: the first row with it is imported (1)",
        "row 7 “Second clash” (clash): the same slug as row 6, another meeting",
        "no slug (1)",
        "no name (1)",
        "day 7 is not 0-6",
        "conference_phone dropped: not a dial string (1)",
        "row 13 “Meeting bad-phone” (bad-phone): call Bob",
        "timezone not an IANA zone: inferred instead (1)",
        "needs a conference_url",
        "Skipped: not a JSON object (1)",
        "    row 15",
    ]:
        assert text in err, text
    new = Listing.objects.get(slug="new-one")
    assert sorted(new.schedules.values_list("weekday", flat=True)) == [1, 3]
    # The same meeting twice under one slug, at two times: one listing, two times.
    twice = Listing.objects.get(slug="twice")
    assert sorted(twice.schedules.values_list("start_time", flat=True)) == [
        dt.time(8),
        dt.time(19),
    ]
    assert Listing.objects.get(slug="clash").name == "First clash"
    assert {f.code for f in new.features.all()} == {"O", "D"}
    assert new.support_type == twelve_step and new.status == "published"
    assert new.location.city == "Albany" and new.location.timezone == "America/New_York"
    # Our own listing with the same slug is not the feed's: the feed's gets its own slug.
    ours.refresh_from_db()
    assert ours.name == "Our own listing"
    assert {f.code for f in ours.features.all()} == {"O"} and discussion
    theirs = Listing.objects.get(feed_origin__feed_slug="existing")
    assert theirs.slug == "existing-intergroup" and theirs.name == "From the feed"
    online = Listing.objects.get(slug="online-one")
    assert online.attendance == "online" and online.location.approximate  # just the town
    assert Listing.objects.get(slug="pm-time").schedules.get().start_time == dt.time(19)
    zone = Listing.objects.get(slug="bad-zone").schedules.get().timezone
    assert zone == "America/New_York"  # from its coordinates
    assert Listing.objects.get(slug="bad-phone").conference_phone == ""
    assert not Listing.objects.filter(slug__in=["bad-day", "no-name"]).exists()
    # One church hall, one Location row.
    assert new.location_id == theirs.location_id

    again_out, _ = run_import(tmp_path, feed)
    assert again_out == "0 created, 0 updated, 8 unchanged, 0 archived, 0 restored, 6 skipped"


def test_import_never_deletes_and_keeps_what_the_format_cannot_say(tmp_path, twelve_step):
    run_import(tmp_path, [valid_row("keeper", day=2)])
    keeper = Listing.objects.get(slug="keeper")
    factories.schedule(keeper, kind="monthly", weekday=6, week_of_month=1)
    plain = factories.feature("format", slug="no-code-feature")
    keeper.features.add(plain)
    untouched = weekly_meeting(slug="not-in-feed")

    out, _ = run_import(tmp_path, [valid_row("keeper", day=4)])

    assert out == "0 created, 1 updated, 0 unchanged, 0 archived, 0 restored, 0 skipped"
    kinds = sorted(keeper.schedules.values_list("kind", "weekday"))
    assert kinds == [("monthly", 6), ("weekly", 4)]
    assert plain in keeper.features.all()
    assert Listing.objects.filter(pk=untouched.pk).exists()


def test_dry_run_saves_nothing(tmp_path, twelve_step):
    out, _ = run_import(tmp_path, [valid_row("a"), valid_row("b")], "--dry-run")
    assert out.startswith("2 created, 0 updated, 0 unchanged, 0 archived, 0 restored, 0 skipped")
    assert out.endswith("(dry run: nothing saved)")
    from directory.models import FeedSource

    assert not FeedSource.objects.exists()
    assert not Listing.objects.exists()


def test_import_reads_the_spec_variants(tmp_path, twelve_step):
    coded_feature("TC")
    rows = [
        {
            "name": "Formatted",
            "slug": "formatted",
            "day": "3",
            "time": "7:30",
            "formatted_address": "5 High St, Troy, NY 12180, USA",
            "types": ["NOT-A-TYPE"],
        },
        {
            "name": "Closed",
            "slug": "closed",
            "day": 0,
            "time": "10:00",
            "address": "1 A St",
            "city": "Troy",
            "types": ["TC"],
        },
        {
            "name": "Closed online",
            "slug": "closed-online",
            "day": 0,
            "time": "10:00",
            "address": "1 A St",
            "city": "Troy",
            "types": ["TC"],
            "conference_phone": "+15550100",
        },
        {
            "name": "Hybrid",
            "slug": "hybrid",
            "day": 0,
            "time": "10:00",
            "address": "1 A St",
            "city": "Troy",
            "conference_url": "https://meet.example.org/h",
            "contact_1_name": "Pat Longsurname",
        },
    ]
    out, err = run_import(tmp_path, rows, "--timezone", "America/New_York")
    assert out == "4 created, 0 updated, 0 unchanged, 0 archived, 0 restored, 0 skipped", err
    formatted = Listing.objects.get(slug="formatted")
    location = formatted.location
    assert (
        location.address_line1,
        location.city,
        location.region,
        location.postal_code,
        location.country,
    ) == ("5 High St", "Troy", "NY", "12180", "US")
    schedule = formatted.schedules.get()
    assert (schedule.weekday, schedule.start_time, schedule.end_time) == (3, dt.time(7, 30), None)
    attendance = dict(Listing.objects.values_list("slug", "attendance"))
    assert attendance["closed"] == "inactive"
    assert attendance["closed-online"] == "online"
    assert attendance["hybrid"] == "hybrid"
    assert Listing.objects.get(slug="hybrid").contact_name == "Pat"


def test_unreadable_sources_import_nothing_and_say_why(tmp_path, twelve_step):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from directory.models import FeedRun

    factories.organization(slug="intergroup")
    bad = tmp_path / "bad.json"
    cases = [
        ("{not json", str(bad), "not JSON"),
        ('{"meetings": []}', str(bad), "expected a JSON array"),
        (None, str(tmp_path / "missing.json"), "Could not read"),
        (None, "ftp://example.org/meetings.json", "Only http:// and https://"),
    ]
    for content, source, message in cases:
        if content is not None:
            bad.write_text(content)
        out = StringIO()
        with pytest.raises(CommandError, match="Nothing was changed"):
            call_command("import_meeting_guide", source, "--organization", "intergroup", stdout=out)
        assert message in out.getvalue()
        assert FeedRun.objects.filter(status="failed", error__contains=message).exists()
    assert not Listing.objects.exists()
    with pytest.raises(CommandError, match="No support type"):
        call_command(
            "import_meeting_guide",
            str(tmp_path / "other.json"),
            "--organization",
            "intergroup",
            "--support-type",
            "nope",
        )
    with pytest.raises(CommandError, match="give --organization"):
        call_command("import_meeting_guide", str(tmp_path / "new.json"))


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


def test_import_from_an_http_url_then_again_changes_nothing(tmp_path, twelve_step, settings):
    """A feed served over HTTP (a local server here; nothing leaves the machine)."""
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # a private feed, allowed
    import functools
    import http.server
    import threading
    from io import StringIO

    from django.core.management import CommandError, call_command

    (tmp_path / "meetings.json").write_text(
        json.dumps([valid_row("from-url"), valid_row("bad-day", day=9)])
    )
    organization = factories.organization()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        outputs = []
        for _ in range(2):
            out, err = StringIO(), StringIO()
            call_command(
                "import_meeting_guide",
                f"{url}/meetings.json",
                "--organization",
                organization.slug,
                stdout=out,
                stderr=err,
            )
            outputs.append(out.getvalue().strip())
        summaries = [
            next(line for line in output.splitlines() if " created, " in line) for output in outputs
        ]
        assert summaries == [
            "1 created, 0 updated, 0 unchanged, 0 archived, 0 restored, 1 skipped",
            "0 created, 0 updated, 1 unchanged, 0 archived, 0 restored, 1 skipped",
        ]
        assert "day 9" in outputs[0]
        assert Listing.objects.get(slug="from-url").schedules.count() == 1
        with pytest.raises(CommandError, match="answered 404"):
            call_command(
                "import_meeting_guide", f"{url}/missing.json", "--organization", organization.slug
            )
    finally:
        server.shutdown()
        server.server_close()


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
