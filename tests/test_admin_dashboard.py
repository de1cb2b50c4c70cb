"""The admin index: branded, a "Needs attention" panel per role, names people use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from directory.admin.dashboard import DASHBOARD_ITEMS, DashboardItem, register
from directory.models import FeedRun, Listing, Membership, Submission
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories as f

pytestmark = pytest.mark.django_db


def staff(group: str, organization=None):
    sync_roles()
    user = f.user(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    if organization is not None:
        Membership.objects.create(user=user, organization=organization)
    return user


@pytest.fixture
def work():
    """Two organisations' worth of things waiting, in messy states."""
    ours, theirs = f.organization(name="Ours"), f.organization(name="Theirs")
    now = timezone.now()
    today = timezone.localdate()
    old = now - dt.timedelta(days=200)
    f.listing(organization=ours, last_verified_at=old)  # stale
    f.listing(organization=ours, last_verified_at=None)  # never verified: stale
    f.listing(organization=ours, last_verified_at=old, status="draft")  # not public: not counted
    f.listing(organization=ours)  # fresh
    f.listing(organization=theirs, last_verified_at=old)  # someone else's
    listing = f.listing(organization=theirs)
    Submission.objects.create(kind="correction", listing=listing, proposed={"name": "x"})
    Submission.objects.create(kind="new", proposed={"name": "New one"})
    Submission.objects.create(
        kind="new",
        proposed={"name": "Done"},
        status="rejected",
        decision_reason="spam",
        reviewer=f.user(),
        reviewed_at=now,
    )
    mine = f.peer_worker(organization=ours)
    other = f.peer_worker(organization=theirs)
    f.credential(mine, expires_on=today + dt.timedelta(days=10))  # expiring
    f.credential(mine, expires_on=today + dt.timedelta(days=60))  # expiring (last day)
    f.credential(mine, expires_on=today + dt.timedelta(days=61))  # not yet
    f.credential(mine, expires_on=today - dt.timedelta(days=1))  # expired
    f.credential(other, expires_on=today - dt.timedelta(days=5))  # expired, not mine

    def run(source, status, minutes_ago):
        at = now - dt.timedelta(minutes=minutes_ago)
        FeedRun.objects.create(source=source, started_at=at, finished_at=at, status=status)

    broken = f.feed_source(organization=ours)  # failed last: counted
    run(broken, "ok", 60)
    run(broken, "failed", 5)
    mended = f.feed_source(organization=ours)  # failed, then worked: not counted
    run(mended, "failed", 60)
    run(mended, "ok", 5)
    run(f.feed_source(organization=ours, enabled=False), "failed", 5)  # switched off
    run(f.feed_source(organization=theirs), "failed", 5)  # someone else's
    return ours


def panel(client) -> dict:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    return response, html


def test_a_curator_sees_every_count_and_each_link_lists_exactly_those(client, work):
    from directory.admin.dashboard import attention_counts

    curator = staff(CURATOR)
    client.force_login(curator)
    response, html = panel(client)
    assert "Peer Support Directory — staff" in html
    assert "Django administration" not in html
    assert "Needs attention" in html
    request = response.wsgi_request
    found = {c.key: c for c in attention_counts(request)}
    assert {k: c.count for k, c in found.items()} == {
        "submissions_pending": 2,
        "listings_stale": 3,
        "credentials_expiring": 2,
        "credentials_expired": 2,
        "feeds_failed": 2,
    }
    for item in found.values():
        assert f'href="{item.url.replace("&", "&amp;")}"' in html
        listed = client.get(item.url)
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == item.count, item.key


def test_an_editor_sees_only_their_organisations_counts_and_no_submissions(client, work):
    from directory.admin.dashboard import attention_counts

    editor = staff(EDITOR, organization=work)
    client.force_login(editor)
    response, html = panel(client)
    found = {c.key: c for c in attention_counts(response.wsgi_request)}
    assert "submissions_pending" not in found
    assert found["listings_stale"].count == 2
    assert found["credentials_expired"].count == 1
    assert found["feeds_failed"].count == 1
    for item in found.values():
        assert client.get(item.url).context["cl"].result_count == item.count, item.key
    assert "waiting for review" not in html


def test_the_panel_costs_a_query_per_item(client, work):
    curator = staff(CURATOR)
    client.force_login(curator)
    client.get(reverse("admin:index"))  # warm up sessions, content types
    with CaptureQueriesContext(connection) as with_panel:
        client.get(reverse("admin:index"))
    saved = list(DASHBOARD_ITEMS)
    DASHBOARD_ITEMS.clear()
    try:
        with CaptureQueriesContext(connection) as without_panel:
            client.get(reverse("admin:index"))
    finally:
        DASHBOARD_ITEMS.extend(saved)
    assert len(with_panel) - len(without_panel) == len(saved)


def test_another_part_of_the_project_can_add_an_item(client, work):
    from directory.admin.dashboard import attention_counts

    item = DashboardItem(
        key="drafts",
        label="draft listings",
        model=Listing,
        query="status__exact=draft",
        queryset=lambda qs, now: qs.filter(status="draft"),
    )
    register(item)
    register(item)  # once per key
    try:
        curator = staff(CURATOR)
        client.force_login(curator)
        response, html = panel(client)
        drafts = [c for c in attention_counts(response.wsgi_request) if c.key == "drafts"]
        assert [c.count for c in drafts] == [1]
        assert "draft listings" in html
    finally:
        DASHBOARD_ITEMS.remove(item)


def test_admin_says_listings_and_hides_demo_internals_from_editors(client, work):
    editor = staff(EDITOR, organization=work)
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Listings" in html and ">Resources<" not in html
    changelist = client.get(reverse("admin:directory_listing_changelist")).content.decode()
    assert "Is demo" not in changelist and "is_demo" not in changelist
    listing = Listing.objects.filter(organization=work).first()
    form = client.get(reverse("admin:directory_listing_change", args=[listing.pk]))
    assert "is_demo" not in form.content.decode()
    curator = staff(CURATOR)
    client.force_login(curator)
    changelist = client.get(reverse("admin:directory_listing_changelist")).content.decode()
    assert "is_demo" in changelist
