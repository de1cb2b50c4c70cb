"""The Meeting Guide feed we publish (/meetings.json): rows that follow the spec, one per
listing's weekly time, what it leaves out (other kinds of schedule, unpublished listings, last
names), its queries and its streaming. Importing a feed is in tests/test_meeting_guide_import.py
and the round trip in tests/test_meeting_guide_round_trip.py."""

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
from tests.meeting_guide_helpers import by_slug

pytestmark = pytest.mark.django_db


def get_feed(client) -> list[dict]:
    response = client.get(reverse("feeds:meetings-feed"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


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
