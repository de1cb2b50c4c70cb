"""The Meeting Guide importer (the import_meeting_guide command): what it creates, skips and
drops with the reasons it reports, what it never deletes, a dry run, the spec's variants,
sources it cannot read, and a feed fetched over HTTP. Our own feed imported back is in
tests/test_meeting_guide_round_trip.py; feeds as real intergroups write them are in
tests/test_feed_import_*.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from directory.models import Listing
from tests import factories
from tests.feeds_helpers import coded_feature, weekly_meeting
from tests.meeting_guide_helpers import (
    run_import,
    twelve_step_fixture,  # noqa: F401 - the fixture "twelve_step"
)

pytestmark = pytest.mark.django_db


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
