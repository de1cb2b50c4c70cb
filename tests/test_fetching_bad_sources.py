"""One bad feed source never stops the others or answers a 500 (issue 22): a sync goes on
past a source that breaks, a bad URL or a bad file fails its own run with the reason, and
admin answers a bad URL, preview, run or upload with why. Which addresses a fetch may reach
is in tests/test_fetching_addresses.py."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from directory.meeting_guide import importing as meeting_guide_import
from directory.models import FeedRun, FeedSource, Listing, Membership
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories
from tests.fetch_helpers import PUBLIC_ADDRESS, fake_dns
from tests.fetch_settings_helpers import (
    FEED,
    fetch_settings,  # noqa: F401 - the autouse fixture "_fetch_settings"
)

NESTED = b"[" * 100_000 + b"]" * 100_000  # json.loads: RecursionError


# ----------------------------------------------------------------------------- isolation


@pytest.mark.django_db
def test_a_sync_of_three_where_the_second_breaks_syncs_the_first_and_third(tmp_path, monkeypatch):
    sources = []
    for i in range(3):
        path = tmp_path / f"feed{i}.json"
        rows = json.loads(FEED)
        rows[0]["slug"] = f"meeting-{i}"
        path.write_text(json.dumps(rows))
        sources.append(factories.feed_source(url=str(path), name=f"Feed {i}"))
    real = meeting_guide_import.read_feed

    def read_feed(source, **kw):
        if source.pk == sources[1].pk:
            raise KeyError("an unexpected bug")
        return real(source, **kw)

    monkeypatch.setattr(meeting_guide_import, "read_feed", read_feed)
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 source\(s\) failed: Feed 1"):
        call_command("sync_feeds", stdout=out)
    for source in (sources[0], sources[2]):
        assert Listing.objects.filter(feed_origin__source=source).count() == 1
        assert source.last_run.status == "ok"
    run = sources[1].last_run
    assert run.status == "failed"
    assert run.error == "the feed could not be read (KeyError)."
    assert "Traceback" not in out.getvalue()


@pytest.mark.django_db
def test_sync_feeds_goes_on_when_a_run_itself_raises(tmp_path, monkeypatch):
    from directory.management.commands import sync_feeds

    path = tmp_path / "feed.json"
    path.write_bytes(FEED)
    first, second = factories.feed_source(url=str(path)), factories.feed_source(url=str(path))

    def run_source(source, **kw):
        if source.pk == first.pk:
            raise RuntimeError("database went away")
        return meeting_guide_import.run_source(source, **kw)

    monkeypatch.setattr(sync_feeds, "run_source", run_source)
    with pytest.raises(CommandError, match=r"1 source\(s\) failed"):
        call_command("sync_feeds", stdout=StringIO())
    assert first.last_run.error == "the run stopped with an error (RuntimeError)."
    assert second.last_run.status == "ok"


BAD_SOURCES = [
    ("http://[::1", "This is not a valid web address."),
    ("http://feeds.example.org:99999/meetings.json", "port is not a number from 1 to 65535"),
    ("http://127.1:6379/", "not on the public internet"),
    ("ftp://feeds.example.org/meetings.json", "Only http:// and https://"),
]


@pytest.mark.django_db
def test_bad_urls_and_bad_content_fail_their_own_run_and_the_sync_goes_on(tmp_path):
    nested = tmp_path / "nested.json"
    nested.write_bytes(NESTED)
    bad = [factories.feed_source(url=url) for url, _ in BAD_SOURCES]
    bad.append(factories.feed_source(url=str(nested)))
    bad.append(factories.feed_source(uploaded_feed=NESTED.decode(), url=""))
    good_path = tmp_path / "good.json"
    good_path.write_bytes(FEED)
    good = factories.feed_source(url=str(good_path))
    with pytest.raises(CommandError, match=rf"{len(bad)} source\(s\) failed"):
        call_command("sync_feeds", stdout=StringIO())
    assert good.last_run.status == "ok"
    reasons = [source.last_run.error for source in bad]
    for (_, expected), reason in zip(BAD_SOURCES, reasons, strict=False):
        assert expected in reason
    assert reasons[-2:] == [
        f"{nested} is nested too deeply to be a Meeting Guide feed.",
        "the uploaded feed is nested too deeply to be a Meeting Guide feed.",
    ]


# ----------------------------------------------------------------------------- admin


def _staff(client, role: str):
    sync_roles()
    org = factories.organization()
    user = factories.user(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    Membership.objects.create(user=user, organization=org)
    client.force_login(user)
    return org


ADMIN_BAD_URLS = [
    "http://127.1:6379/",
    "http://0x7f000001:5432/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0:8000/",
    "http://%6c%6f%63%61%6c%68%6f%73%74/",
    "http://localhost:8000/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::1",
    "http://feeds.example.org:99999/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "ftp://feeds.example.org/meetings.json",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [EDITOR, CURATOR])
@pytest.mark.parametrize("url", ADMIN_BAD_URLS)
def test_saving_a_bad_feed_url_in_admin_answers_the_form_with_why(client, role, url):
    org = _staff(client, role)
    data = {
        "name": "Feed",
        "url": url,
        "organization": org.pk,
        "support_type": factories.support_type().pk,
        "archive_after_runs": 2,
    }
    response = client.post(reverse("admin:directory_feedsource_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["url"]
    assert errors and all("Traceback" not in e for e in errors)
    assert not FeedSource.objects.exists()


@pytest.mark.django_db
def test_a_public_feed_url_saves(client, monkeypatch):
    fake_dns(monkeypatch, {"aa.example.org": PUBLIC_ADDRESS})
    org = _staff(client, EDITOR)
    data = {
        "name": "Feed",
        "url": "https://aa.example.org/wp-admin/admin-ajax.php?action=meetings",
        "organization": org.pk,
        "support_type": factories.support_type().pk,
        "archive_after_runs": 2,
    }
    assert client.post(reverse("admin:directory_feedsource_add"), data).status_code == 302
    assert FeedSource.objects.get().url == data["url"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kw",
    [
        {"url": "http://[::1"},
        {"url": "http://feeds.example.org:99999/"},
        {"url": "http://127.1:6379/"},
        {"url": "", "uploaded_feed": NESTED.decode()},
    ],
    ids=["broken-ipv6", "bad-port", "loopback", "nested-json"],
)
def test_preview_and_run_of_a_bad_source_answer_with_the_reason(client, kw):
    org = _staff(client, EDITOR)
    source = factories.feed_source(organization=org, **kw)
    preview = client.post(
        reverse("admin:directory_feedsource_preview", args=[source.pk]), follow=True
    )
    assert preview.status_code == 200
    assert "Failed: " in preview.content.decode()
    run = client.post(reverse("admin:directory_feedsource_run", args=[source.pk]), follow=True)
    assert run.status_code == 200
    assert "Failed: " in run.content.decode()
    saved = FeedRun.objects.get(source=source)
    assert saved.status == "failed" and "Traceback" not in saved.error


@pytest.mark.django_db
def test_uploading_a_deeply_nested_file_answers_the_form(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org = _staff(client, EDITOR)
    data = {
        "name": "Feed",
        "url": "",
        "upload": SimpleUploadedFile("meetings.json", NESTED),
        "organization": org.pk,
        "support_type": factories.support_type().pk,
        "archive_after_runs": 2,
    }
    response = client.post(reverse("admin:directory_feedsource_add"), data)
    assert response.status_code == 200
    assert "nested too deeply" in response.content.decode()
