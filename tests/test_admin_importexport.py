"""CSV export and import of listings with schedules and features (django-import-export)."""

from __future__ import annotations

import datetime as dt

import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.admin.importexport import ListingResource
from directory.models import Listing, Membership
from directory.services.roles import EDITOR, sync_roles
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings():
    org = f.organization(slug="hope-centre")
    women, wheelchair = f.feature(slug="women"), f.feature(slug="wheelchair")
    weekly = f.listing(organization=org, slug="weekly", features=[women, wheelchair])
    f.schedule(weekly, weekday=2, start_time=dt.time(19), end_time=dt.time(20, 30))
    f.schedule(
        weekly, weekday=4, start_time=dt.time(7, 15), end_time=None, notes='Say "hi", bring tea'
    )
    monthly = f.listing(
        organization=org, slug="monthly", attendance="hybrid", conference_phone="+1 555 0100"
    )
    f.schedule(
        monthly, kind="monthly", weekday=6, week_of_month=-1, start_time=dt.time(10), end_time=None
    )
    fortnightly = f.listing(slug="fortnightly", attendance="online", description="Ünïcode, commas")
    f.schedule(
        fortnightly,
        kind="interval",
        weekday=0,
        interval_weeks=2,
        anchor_date=dt.date(2026, 1, 4),
        start_time=dt.time(20),
        end_time=dt.time(21),
        timezone="Europe/London",
        valid_from=dt.date(2026, 1, 1),
    )
    return [weekly, monthly, fortnightly]


def as_dataset(rows: list[dict]) -> tablib.Dataset:
    """Rows as a CSV file would bring them in."""
    csv = tablib.Dataset(*[list(r.values()) for r in rows], headers=list(rows[0])).csv
    return tablib.Dataset().load(csv, format="csv")


def snapshot():
    return [
        (
            r.slug,
            r.updated_at,
            sorted(r.features.values_list("slug", flat=True)),
            sorted(r.schedules.values_list("pk", "weekday", "start_time", "kind")),
        )
        for r in Listing.objects.order_by("slug")
    ]


def test_export_then_import_unchanged_creates_and_updates_nothing(listings):
    csv = ListingResource().export().csv
    assert "weekly" in csv and '""kind"":""monthly""' in csv
    before = snapshot()
    result = ListingResource().import_data(tablib.Dataset().load(csv, format="csv"), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 0
    assert result.totals["update"] == 0
    assert result.totals["skip"] == 3
    assert snapshot() == before


def test_import_updates_creates_and_rejects_per_row(listings):
    dataset = tablib.Dataset().load(ListingResource().export().csv, format="csv")
    rows = dataset.dict
    rows[0]["name"] = "Renamed"  # fortnightly (export order is by name)
    rows[1]["schedules"] = '[{"kind":"weekly","weekday":3,"start_time":"18:00","timezone":"UTC"}]'
    rows.append({**rows[2], "slug": "brand-new", "name": "Brand new"})
    rows.append({**rows[2], "slug": "broken", "schedules": '[{"weekday": 9}]'})
    rows.append({**rows[2], "slug": "bad-type", "support_type": "no-such-type"})
    result = ListingResource().import_data(
        tablib.Dataset(*[], headers=None).load(
            tablib.Dataset(*[list(r.values()) for r in rows], headers=list(rows[0])).csv,
            format="csv",
        ),
        dry_run=False,
    )
    problems = {r.object_repr or i: r.import_type for i, r in enumerate(result.rows)}
    assert result.totals["update"] == 2, problems
    assert result.totals["new"] == 1, problems
    assert result.totals["invalid"] == 2, (problems, result.totals, [r.errors for r in result.rows])
    assert result.totals["skip"] == 1
    updated = Listing.objects.get(slug=rows[1]["slug"])
    assert list(updated.schedules.values_list("weekday", "start_time")) == [(3, dt.time(18))]
    created = Listing.objects.get(slug="brand-new")
    assert created.schedules.count() == rows[2]["schedules"].count("start_time")
    assert not Listing.objects.filter(slug__in=["broken", "bad-type"]).exists()


def test_dry_run_preview_in_admin_shows_rows_and_writes_nothing(admin_client, listings):
    csv = ListingResource().export().csv.replace("weekly", "weekly-copy", 1)
    response = admin_client.post(
        reverse("admin:directory_listing_import"),
        {
            "format": 0,
            "listing": 0,
            "import_file": SimpleUploadedFile("listings.csv", csv.encode(), "text/csv"),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "New" in html and "Skip" in html
    assert not Listing.objects.filter(slug="weekly-copy").exists()


def test_editor_import_cannot_touch_other_organisations(client, listings):
    sync_roles()
    mine = f.organization(slug="mine")
    editor = f.user(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    Membership.objects.create(user=editor, organization=mine)
    dataset = tablib.Dataset().load(ListingResource().export().csv, format="csv")
    rows = dataset.dict
    for row in rows:
        row["name"] = "Taken over"
    rows.append({**rows[0], "slug": "their-new", "organization": "hope-centre"})
    rows.append({**rows[0], "slug": "my-new", "organization": "mine", "location": ""})
    result = ListingResource(user=editor).import_data(as_dataset(rows), dry_run=False)
    assert result.totals["invalid"] == 4
    assert result.totals["new"] == 1
    assert not Listing.objects.filter(name="Taken over").exclude(slug="my-new").exists()
    assert Listing.objects.get(slug="my-new").organization == mine


def _schedules(listing) -> list:
    return sorted((s.weekday, s.start_time, s.kind, s.timezone) for s in listing.schedules.all())


def test_export_spells_out_the_location_and_the_verified_date(listings):
    weekly = listings[0]
    weekly.last_verified_at = dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC)
    weekly.save()
    rows = {r["slug"]: r for r in ListingResource().export().dict}
    row = rows["weekly"]
    assert str(row["location"]) == str(weekly.location.uuid)  # the stable id import matches by
    assert row["location_address"] == "Community hall, 1 Main Street, Springfield, IL, US"
    assert row["last_verified"] == "2026-03-04 10:30"  # local time (America/New_York)
    assert rows["fortnightly"]["location_address"] == ""


@pytest.mark.parametrize("cell", ["missing column", "", "same"])
def test_an_update_without_schedules_or_with_the_same_never_clears_them(listings, cell):
    weekly = listings[0]
    before = _schedules(weekly)
    assert len(before) == 2
    rows = [r for r in ListingResource().export().dict if r["slug"] == "weekly"]
    rows[0]["name"] = "Renamed weekly"
    if cell == "missing column":
        rows = [{k: v for k, v in r.items() if k != "schedules"} for r in rows]
    elif cell == "":
        rows[0]["schedules"] = ""
    result = ListingResource().import_data(as_dataset(rows), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    weekly.refresh_from_db()
    assert weekly.name == "Renamed weekly"
    assert _schedules(weekly) == before


def test_an_explicit_empty_list_removes_the_times_on_purpose(listings):
    weekly = listings[0]
    rows = [r for r in ListingResource().export().dict if r["slug"] == "weekly"]
    rows[0]["schedules"] = "[]"
    result = ListingResource().import_data(as_dataset(rows), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert _schedules(weekly) == []


def test_the_preview_shows_only_the_fields_that_change(admin_client, listings):
    rows = tablib.Dataset().load(ListingResource().export().csv, format="csv").dict
    by_slug = {row["slug"]: row for row in rows}
    by_slug["weekly"]["name"] = "Weekly, renamed"
    by_slug["monthly"]["schedules"] = (
        '[{"kind":"weekly","weekday":3,"start_time":"18:00","timezone":"UTC"}]'
    )
    csv = tablib.Dataset(*[list(r.values()) for r in rows], headers=list(rows[0])).csv
    response = admin_client.post(
        reverse("admin:directory_listing_import"),
        {
            "format": 0,
            "listing": 0,
            "import_file": SimpleUploadedFile("listings.csv", csv.encode(), "text/csv"),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    preview = html[html.index('class="import-preview"') :]
    changes = {
        slug: preview[preview.index(f">{slug}<") :].split("</tr>", 1)[0]
        for slug in ("weekly", "monthly", "fortnightly")
    }
    assert "<dt>name</dt>" in changes["weekly"]
    assert '<ins class="diff-insert">' in changes["weekly"]
    assert "<dt>schedules</dt>" not in changes["weekly"]
    assert "<dt>description</dt>" not in changes["weekly"]  # unchanged: not shown
    assert "<dt>schedules</dt>" in changes["monthly"]
    assert "<dt>name</dt>" not in changes["monthly"]
    assert "No changes" in changes["fortnightly"]
    assert Listing.objects.get(slug="weekly").name != "Weekly, renamed"  # a preview only


def test_an_import_file_over_the_limit_is_refused_and_nothing_is_cached(
    admin_client, listings, settings
):
    """Issue 22, 7: the CSV import had no size limit and kept the whole file a day in Redis."""
    from django.core.cache import cache

    from directory.admin.importexport import ImportFileStorage

    settings.DIRECTORY_IMPORT_MAX_MB = 1
    csv = ListingResource().export().csv
    big = csv + ("x" * 1000 + "\n") * 1100
    response = admin_client.post(
        reverse("admin:directory_listing_import"),
        {
            "format": 0,
            "listing": 0,
            "import_file": SimpleUploadedFile("listings.csv", big.encode(), "text/csv"),
        },
    )
    assert response.status_code == 200
    assert "The file is larger than 1 MB" in response.content.decode()
    assert not Listing.objects.filter(slug="weekly-copy").exists()
    assert ImportFileStorage.CACHE_LIFETIME == 3600
    assert not any(
        key.startswith(ImportFileStorage.CACHE_PREFIX) for key in getattr(cache, "_cache", {})
    )


def test_the_feed_sources_list_never_loads_the_uploaded_feeds(admin_client):
    source = f.feed_source(uploaded_feed="[" + "0," * 200_000 + "0]")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:directory_feedsource_changelist"))
    assert response.status_code == 200 and source.name in response.content.decode()
    assert not any("uploaded_feed" in q["sql"] for q in queries.captured_queries)
