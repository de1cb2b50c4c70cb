"""Our feeds read by the software people use (tests/meeting_guide_clients.py says what each
client does), and answered 304 when the poller already has them."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from django.urls import reverse

from directory.feeds import published
from directory.meeting_guide import export as meeting_guide
from directory.models import Listing
from tests import factories
from tests.feeds_helpers import (
    assert_meeting_guide_row,
    monthly_meeting,
    online_meeting,
    weekly_meeting,
)
from tests.meeting_guide_clients import TsmlLoadError, tsml_plugin_import, tsml_ui_load

pytestmark = pytest.mark.django_db
FEED = "/meetings.json"


def get_feed(client, **headers) -> list[dict]:
    response = client.get(FEED, headers=headers)
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def every_kind():
    """One listing of every kind the feed has to say."""
    org = factories.organization(name="Springfield Intergroup")
    hall = factories.location(city="Springfield", region="IL", country="US")
    weekly_meeting(slug="in-person", organization=org, location=hall)
    weekly_meeting(slug="three-days", days=[1, 3, 5], organization=org, location=hall)
    several = weekly_meeting(slug="two-times", days=[2], start=dt.time(7), end=dt.time(8))
    factories.schedule(several, weekday=2, start_time=dt.time(7), end_time=dt.time(9))
    factories.schedule(several, weekday=4, start_time=dt.time(19), end_time=None)
    online_meeting(slug="online-of-the-intergroup", organization=org, days=[0, 6])
    online_meeting(slug="online-alone", tz="Europe/London")
    weekly_meeting(
        slug="hybrid",
        attendance=Listing.Attendance.HYBRID,
        conference_url="https://zoom.us/j/123",
    )
    weekly_meeting(slug="closed", attendance=Listing.Attendance.INACTIVE, days=[1, 2])
    factories.listing(slug="by-appointment", by_appointment=True)
    factories.listing(
        slug="online-by-appointment",
        by_appointment=True,
        attendance=Listing.Attendance.ONLINE,
        conference_phone="+15550100",
    )
    weekly_meeting(slug="x" * 200, days=[0, 1])
    monthly_meeting(slug="first-saturday")  # not in the feed: the format cannot say it
    factories.listing(slug="no-schedule")  # not a meeting by appointment: not in the feed


def test_the_client_model_fails_as_the_real_client_did_on_our_old_feed():
    """Two records with day lists: the real TSML UI stopped with "Invalid unit value"; an
    online record without an address field was dropped."""
    base = {"time": "19:00", "timezone": "UTC", "city": "Springfield"}
    old = [
        {**base, "slug": "a", "name": "A", "day": [0, 1, 2, 3]},
        {**base, "slug": "b", "name": "B", "day": [1, 4]},
        {**base, "slug": "c", "name": "C", "day": 2},
    ]
    with pytest.raises(TsmlLoadError, match="Invalid unit value 1,4"):
        tsml_ui_load(old)
    assert set(tsml_ui_load(old[:1] + old[2:]).meetings) == {"a-0", "a-1", "a-2", "a-3", "c"}
    split = [{**row, "day": 1, "city": None if row["slug"] != "c" else "X"} for row in old]
    assert set(tsml_ui_load(split).meetings) == {"c"}
    assert tsml_plugin_import(split)[1] == [
        "No location information provided for A.",
        "No location information provided for B.",
    ]


def test_every_listing_kind_reaches_every_client(client):
    every_kind()

    feed = get_feed(client)

    slugs = [row["slug"] for row in feed]
    assert len(slugs) == len(set(slugs)) == 17
    for row in feed:
        assert_meeting_guide_row(row)
        assert not isinstance(row.get("day"), list)
    loaded = tsml_ui_load(feed)
    assert loaded.dropped == [] and set(loaded.meetings) == set(slugs)
    imported, errors = tsml_plugin_import(feed)
    assert errors == [] and len(imported) == len(feed)

    rows = {row["slug"]: row for row in feed}
    assert {s for s in slugs if s.startswith("three-days")} == {
        "three-days-mon-1900",
        "three-days-wed-1900",
        "three-days-fri-1900",
    }
    assert {s for s in slugs if s.startswith("two-times")} == {
        "two-times-tue-0700",
        "two-times-tue-0700-2",
        "two-times-thu-1900",
    }
    assert rows["in-person"]["approximate"] == "no" and loaded.meetings["in-person"]["in_person"]
    # Online-only without a location: its organisation's town, else its zone's country.
    ours = rows["online-of-the-intergroup-sun-1900"]
    assert (ours["city"], ours["state"], ours["country"]) == ("Springfield", "IL", "US")
    assert ours["approximate"] == "yes" and ours["formatted_address"] == "Springfield, IL, US"
    alone = rows["online-alone"]
    assert (alone["country"], alone["formatted_address"], alone["approximate"]) == (
        "GB",
        "GB",
        "yes",
    )
    assert loaded.meetings["hybrid"]["online"] and loaded.meetings["hybrid"]["in_person"]
    assert rows["closed-mon-1900"]["types"] == ["TC"]
    assert not loaded.meetings["closed-mon-1900"]["active"]
    for slug in ["by-appointment", "online-by-appointment"]:
        assert "day" not in rows[slug] and "time" not in rows[slug]
        assert loaded.meetings[slug]["when"] == "appointment"
    assert all(len(slug) <= 64 for slug in slugs)
    assert "first-saturday" not in rows and "no-schedule" not in rows


def test_unchanged_feed_answers_304_without_building_anything(
    client, monkeypatch, django_assert_num_queries
):
    weekly_meeting(slug="tuesday")
    first = client.get(FEED)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified
    b"".join(first.streaming_content)

    def no_build(*args, **kwargs):
        raise AssertionError("built again")

    monkeypatch.setattr(meeting_guide, "write_feed", no_build)
    with django_assert_num_queries(1):  # the data version
        again = client.get(FEED, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"
    assert client.get(FEED, headers={"If-Modified-Since": modified}).status_code == 304
    # Served again from the same built file, without building.
    assert json.loads(b"".join(client.get(FEED).streaming_content))[0]["slug"] == "tuesday"


def test_a_changed_listing_changes_the_etag(client):
    listing = weekly_meeting(slug="tuesday", name="Before")
    etag = client.get(FEED)["ETag"]
    listing.name = "After"
    listing.save()

    response = client.get(FEED, headers={"If-None-Match": etag})

    assert response.status_code == 200 and response["ETag"] != etag
    assert json.loads(b"".join(response.streaming_content))[0]["name"] == "After"


def test_the_feed_is_sent_compressed_to_clients_that_take_gzip(client):
    for day in range(7):
        weekly_meeting(days=[day], description="Bring a friend. " * 20)
    plain = get_feed(client)

    response = client.get(FEED, headers={"Accept-Encoding": "gzip, deflate"})

    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    assert json.loads(gzip.decompress(body)) == plain
    assert "attachment" not in response.get("Content-Disposition", "")


@pytest.mark.parametrize(
    "path",
    ["/hsds/services", "/hsds/organizations", "/resources/weekly.ics", "/find/calendar.ics"],
)
def test_hsds_and_calendars_answer_304_when_unchanged(client, path, django_assert_num_queries):
    listing = weekly_meeting(slug="weekly")
    first = client.get(path)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]

    with django_assert_num_queries(1):
        assert client.get(path, headers={"If-None-Match": first["ETag"]}).status_code == 304
    listing.description = "Changed"
    listing.save()
    changed = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_pollers_arriving_during_the_first_build_are_asked_to_come_back(client, settings):
    """Production never makes a request wait for another's build: pollers arriving together
    would hold every worker for the build's length (a soak drill saw the site answer 503)."""
    import fcntl

    settings.DIRECTORY_SEARCH_INDEX_REFRESH = "background"
    weekly_meeting(slug="weekly")
    lock_path = published._cache_directory() / "meetings.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is building the first file
        response = client.get(FEED)
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "being prepared" in response.json()["error"]
    # Nobody building: the lone poller gets the feed, built for it.
    assert get_feed(client)[0]["slug"] == "weekly"


def test_a_search_for_now_is_not_cached_past_its_minute(client):
    weekly_meeting(slug="weekly")
    response = client.get("/find/calendar.ics", {"when": "now"})
    assert response["ETag"] and "Last-Modified" not in response


def test_the_data_version_records_when_it_changed():
    before = published.data_version()
    weekly_meeting()
    after = published.data_version()
    assert after.listings != before.listings
    assert after.changed_at is not None
    assert after.last_modified >= after.changed_at


def test_feed_of_a_directory_without_listings_is_an_empty_array_with_an_etag(client):
    response = client.get(reverse("feeds:meetings-feed"))
    assert response["ETag"] and json.loads(b"".join(response.streaming_content)) == []
