"""A feed source's runs: a meeting missing from two runs is archived and restored when back, a
curator's archive stands, a feed that shrinks or cannot be downloaded changes nothing, a dry
run saves nothing, each run is saved with its grouped report (counting every problem, fifty
examples kept), an unexpected error changes nothing, and the import_meeting_guide and
sync_feeds commands say so and exit non-zero."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from directory.meeting_guide.importing import run_source
from directory.models import FeedListing, FeedRun, FeedSource, Listing
from tests import factories
from tests.feed_import_helpers import (
    counts,
    row,
    source_fixture,  # noqa: F401 - the fixture "source"
    sync,
)

pytestmark = pytest.mark.django_db


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
