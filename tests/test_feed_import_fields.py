"""What a Meeting Guide row's fields become: attendance (online, hybrid, in person, inactive),
times and days as feeds write them, plain text from entities and tags, every field kept, a bad
field dropped with a warning and the meeting kept, links and long text stored whole, a meeting
by appointment, and an imported listing in search and on its page (issues 10 and 20)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.meeting_guide.values import clean_text, parse_time
from directory.models import FeedListing, Listing
from tests.feed_import_helpers import (
    row,
    source_fixture,  # noqa: F401 - the fixture "source"
    sync,
)
from tests.feeds_helpers import coded_feature

pytestmark = pytest.mark.django_db


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


# ----------------------------------------------------------------------------- issue 20


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
