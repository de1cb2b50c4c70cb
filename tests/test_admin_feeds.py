"""Feed sources in admin: upload, dry-run preview, run, the report, scoping of the actions."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from directory.models import FeedRun, FeedSource, Listing, Membership
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories
from tests.fetch_helpers import PUBLIC_ADDRESS, fake_dns

pytestmark = pytest.mark.django_db

ROWS = [
    {
        "name": "Came to Believe",
        "slug": "came-to-believe",
        "day": 1,
        "time": "7:30 PM",
        "timezone": "America/Los_Angeles",
        "formatted_address": "100 Main St, San Jose, CA 95112, USA",
    },
    {"name": "No time", "slug": "no-time", "day": 2, "formatted_address": "San Jose, CA, USA"},
]


@pytest.fixture
def curator(client):
    sync_roles()
    user = factories.user(is_staff=True)
    user.groups.add(Group.objects.get(name=CURATOR))
    client.force_login(user)
    return user


def test_a_curator_uploads_a_feed_previews_it_and_runs_it(client, curator):
    org, support = factories.organization(), factories.support_type()
    upload = SimpleUploadedFile("meetings.json", json.dumps(ROWS).encode(), "application/json")
    response = client.post(
        reverse("admin:directory_feedsource_add"),
        {
            "name": "Santa Clara County",
            "url": "",
            "upload": upload,
            "organization": org.pk,
            "support_type": support.pk,
            "fallback_timezone": "",
            "enabled": "on",
            "archive_after_runs": 2,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    source = FeedSource.objects.get()
    assert json.loads(source.uploaded_feed) == ROWS

    change = reverse("admin:directory_feedsource_change", args=[source.pk])
    html = client.get(change).content.decode()
    assert "Preview a run (dry run)" in html and "Run now" in html and "No runs yet." in html

    preview = client.post(
        reverse("admin:directory_feedsource_preview", args=[source.pk]), follow=True
    )
    # The job's page (its number depends on the jobs earlier tests made on this database).
    assert re.search(rf"/feedsource/{source.pk}/jobs/\d+/$", preview.redirect_chain[0][0])
    text = preview.content.decode()
    assert "1 created, 0 updated, 0 unchanged, 0 archived, 0 restored, 1 skipped" in text
    assert "Skipped: no time (1)" in text and "row 2 “No time” (no-time)" in text
    assert not Listing.objects.exists() and not FeedRun.objects.exists()

    response = client.post(reverse("admin:directory_feedsource_run", args=[source.pk]))
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    assert Listing.objects.get().name == "Came to Believe"
    run = FeedRun.objects.get()
    assert run.status == "ok" and run.triggered_by.startswith("admin: ")
    html = client.get(change).content.decode()
    assert "1 created" in html and "Skipped: no time (1)" in html
    listing = client.get(reverse("admin:directory_feedsource_changelist")).content.decode()
    assert "OK" in listing


def test_actions_need_post_and_a_source_in_the_users_organisations(client):
    sync_roles()
    mine, theirs = factories.organization(), factories.organization()
    editor = factories.user(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    Membership.objects.create(user=editor, organization=mine)
    client.force_login(editor)
    own = factories.feed_source(organization=mine, uploaded_feed=json.dumps(ROWS), url="")
    other = factories.feed_source(organization=theirs, uploaded_feed=json.dumps(ROWS), url="")
    for name in ("run", "preview"):
        assert (
            client.get(reverse(f"admin:directory_feedsource_{name}", args=[own.pk])).status_code
            == 405
        )
        target = reverse(f"admin:directory_feedsource_{name}", args=[other.pk])
        assert client.post(target).status_code == 404
    assert not FeedRun.objects.exists() and not Listing.objects.exists()
    client.post(reverse("admin:directory_feedsource_run", args=[own.pk]))
    assert Listing.objects.get().organization == mine


def test_a_source_needs_a_url_or_a_file_and_the_file_must_be_a_feed(client, curator):
    org, support = factories.organization(), factories.support_type()
    data = {
        "name": "Broken",
        "url": "",
        "organization": org.pk,
        "support_type": support.pk,
        "archive_after_runs": 2,
    }
    response = client.post(reverse("admin:directory_feedsource_add"), data)
    assert "Give the feed" in response.content.decode()
    data["upload"] = SimpleUploadedFile("x.json", b'{"not": "a list"}')
    response = client.post(reverse("admin:directory_feedsource_add"), data)
    assert "expected a JSON array" in response.content.decode()
    assert not FeedSource.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost/meetings.json",
        "http://10.0.0.5/feed.json",
        "http://[::1]/feed.json",
        "file:///etc/passwd",
        "/etc/passwd",
    ],
)
def test_an_editor_cannot_point_a_source_inside_our_network_or_at_server_files(
    client, url, monkeypatch
):
    fake_dns(monkeypatch, {"aa-intergroup.example.org": PUBLIC_ADDRESS})
    sync_roles()
    org = factories.organization()
    editor = factories.user(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    Membership.objects.create(user=editor, organization=org)
    client.force_login(editor)
    data = {
        "name": "Feed",
        "url": url,
        "organization": org.pk,
        "support_type": factories.support_type().pk,
        "archive_after_runs": 2,
    }
    response = client.post(reverse("admin:directory_feedsource_add"), data)
    assert response.status_code == 200
    assert not FeedSource.objects.exists()
    data["url"] = "https://aa-intergroup.example.org/wp-admin/admin-ajax.php?action=meetings"
    assert client.post(reverse("admin:directory_feedsource_add"), data).status_code == 302


def test_fetches_leave_the_request_and_at_most_two_run_at_once(client, curator, settings):
    """Issue 22, 2: a preview or run is a job for the task worker; its page looks again until
    it is done; a third while two are under way is refused (staff cannot take the site)."""
    from directory.models import FeedJob

    settings.DIRECTORY_FEED_JOBS_AT_ONCE = 2
    source = factories.feed_source(uploaded_feed=json.dumps(ROWS), url="")
    for _ in range(2):  # two fetches under way (queued for the worker)
        FeedJob.objects.create(source=source, kind="run", state="running")
    refused = client.post(
        reverse("admin:directory_feedsource_preview", args=[source.pk]), follow=True
    )
    assert "2 feeds are being fetched already: try again in a minute." in refused.content.decode()
    assert FeedJob.objects.count() == 2

    waiting = FeedJob.objects.first()
    page = client.get(reverse("admin:directory_feedsource_job", args=[source.pk, waiting.pk]))
    html = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html and "Fetching and reading…" in html

    FeedJob.objects.update(created_at=timezone.now() - FeedJob.STALE_AFTER * 2)  # workers died
    done = client.post(reverse("admin:directory_feedsource_preview", args=[source.pk]), follow=True)
    html = done.content.decode()
    assert "1 created" in html and "http-equiv" not in html
    assert FeedJob.objects.filter(state="done", kind="preview").count() == 1


def test_a_job_is_seen_only_by_staff_of_its_organisation(client):
    from directory.models import FeedJob

    sync_roles()
    mine, theirs = factories.organization(), factories.organization()
    editor = factories.user(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    Membership.objects.create(user=editor, organization=mine)
    client.force_login(editor)
    other = factories.feed_source(organization=theirs, uploaded_feed=json.dumps(ROWS), url="")
    job = FeedJob.objects.create(source=other, kind="preview", state="done", summary="secret")
    page = client.get(reverse("admin:directory_feedsource_job", args=[other.pk, job.pk]))
    assert page.status_code == 404
