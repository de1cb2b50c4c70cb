"""Curator work: approving and rejecting submissions, freshness, audit history."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from directory.models import Listing, Membership, Schedule, Submission
from directory.services.roles import CURATOR, EDITOR, sync_roles
from directory.submissions import services as submissions
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator():
    sync_roles()
    user = f.user(username="cora", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATOR))
    return user


def state(listing: Listing) -> dict:
    """Everything about a listing a visitor could notice, except the update time."""
    listing = Listing.objects.get(pk=listing.pk)
    data = model_to_dict(listing)
    data["features"] = sorted(f.slug for f in data["features"])
    data["location"] = model_to_dict(listing.location) if listing.location else None
    data["schedules"] = [model_to_dict(s) for s in listing.schedules.all()]
    return data


def history(obj) -> list[LogEntry]:
    return list(LogEntry.objects.filter(object_id=str(obj.pk)).order_by("pk"))


def test_an_approved_correction_changes_exactly_the_proposed_fields(curator):
    listing = f.listing(name="Old Name", description="Keep me", features=[f.feature()])
    f.schedule(listing, weekday=2, start_time=dt.time(19), end_time=dt.time(20))
    before = state(listing)
    submission = Submission.objects.create(
        kind="correction",
        listing=listing,
        proposed={"name": "New Name", "start_time": "18:30", "city": "Shelbyville"},
    )
    submissions.approve(submission, by=curator)
    after = state(listing)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"name", "location", "schedules"}
    assert after["name"] == "New Name"
    assert {k for k in before["location"] if before["location"][k] != after["location"][k]} <= {
        "city",
        "latitude",
        "longitude",
        "approximate",
        "timezone",
    }
    assert after["location"]["city"] == "Shelbyville"
    (old_schedule,), (new_schedule,) = before["schedules"], after["schedules"]
    assert {k for k in old_schedule if old_schedule[k] != new_schedule[k]} == {"start_time"}
    assert new_schedule["start_time"] == dt.time(18, 30)
    submission.refresh_from_db()
    assert submission.status == "approved"
    assert submission.reviewer == curator and submission.reviewed_at
    # The admin history says who changed what.
    entry = history(listing)[-1]
    assert entry.user == curator
    assert "Name" in entry.get_change_message()


def test_approval_is_one_transaction(curator, monkeypatch):
    listing = f.listing(name="Old Name")
    f.schedule(listing)
    before = state(listing)
    submission = Submission.objects.create(
        kind="correction", listing=listing, proposed={"name": "New Name", "start_time": "09:00"}
    )

    def fail(*args, **kwargs):
        raise ValidationError("the schedule could not be saved")

    monkeypatch.setattr(submissions, "_apply_schedule_ops", fail)
    with pytest.raises(ValidationError):
        submissions.approve(submission, by=curator)
    assert state(listing) == before  # the name change was rolled back with it
    submission.refresh_from_db()
    assert submission.status == "pending"
    assert not history(listing)


def test_a_shared_location_is_copied_not_changed(curator):
    hall = f.location(name="St Mark's")
    listing, neighbour = f.listing(location=hall), f.listing(location=hall)
    submission = Submission.objects.create(
        kind="correction", listing=listing, proposed={"address_line1": "2 Side Door"}
    )
    submissions.approve(submission, by=curator)
    listing.refresh_from_db()
    neighbour.refresh_from_db()
    assert listing.location != hall and listing.location.address_line1 == "2 Side Door"
    assert neighbour.location == hall and hall.address_line1 == "1 Main Street"


def test_a_rejected_submission_changes_nothing_and_needs_a_reason(curator):
    listing = f.listing(name="Old Name")
    before = state(listing)
    submission = Submission.objects.create(
        kind="correction", listing=listing, proposed={"name": "Vandalised"}
    )
    with pytest.raises(ValidationError):
        submissions.reject(submission, by=curator, reason="  ")
    submissions.reject(submission, by=curator, reason="Not accurate: checked with the group.")
    assert state(listing) == before
    submission.refresh_from_db()
    assert submission.status == "rejected"
    assert submission.decision_reason.startswith("Not accurate")
    assert history(submission)[-1].user == curator
    with pytest.raises(submissions.ReviewError):
        submissions.approve(submission, by=curator)


def test_an_approved_closure_report_archives_the_listing(client, curator):
    listing = f.listing()
    submission = Submission.objects.create(kind="closure", listing=listing, proposed={})
    submissions.approve(submission, by=curator)
    listing.refresh_from_db()
    assert listing.status == "archived"
    assert client.get(listing.get_absolute_url()).status_code == 404


def test_an_approved_suggestion_becomes_a_published_listing(client, curator):
    support_type = f.support_type()
    feature = f.feature()
    f.place(kind="postal_code", name="62701", search_name="62701", latitude=39.8, longitude=-89.6)
    submission = Submission.objects.create(
        kind="new",
        proposed={
            "name": "Hope on Tuesday",
            "support_type": support_type.slug,
            "attendance": "hybrid",
            "conference_url": "https://meet.example.org/hope",
            "address_line1": "12 Elm Street",
            "city": "Springfield",
            "postal_code": "62701",
            "country": "US",
            "weekday": 2,
            "start_time": "19:00",
            "end_time": "20:00",
            "timezone": "America/Chicago",
            "features": [feature.slug],
        },
    )
    listing = submissions.approve(submission, by=curator, status="published")
    assert listing.status == "published" and listing.slug == "hope-on-tuesday"
    assert listing.location.latitude == 39.8 and listing.location.approximate
    (schedule,) = listing.schedules.all()
    assert (schedule.kind, schedule.weekday, schedule.start_time) == ("weekly", 2, dt.time(19))
    assert list(listing.features.all()) == [feature]
    assert history(listing)[0].is_addition()
    assert "Hope on Tuesday" in client.get(listing.get_absolute_url()).content.decode()


def test_an_invalid_suggestion_cannot_be_approved(curator):
    submission = Submission.objects.create(
        kind="new",
        proposed={"name": "No link", "support_type": f.support_type().slug, "attendance": "online"},
    )
    with pytest.raises(ValidationError):
        submissions.approve(submission, by=curator)
    assert not Listing.objects.exists()
    submission.refresh_from_db()
    assert submission.status == "pending"


def test_the_review_screen_shows_a_diff_and_approves(client, curator):
    listing = f.listing(name="Old Name")
    submission = Submission.objects.create(
        kind="correction", listing=listing, proposed={"name": "New Name"}
    )
    client.force_login(curator)
    page = client.get(reverse("admin:directory_submission_change", args=[submission.pk]))
    html = page.content.decode()
    assert "Old Name" in html and "<strong>New Name</strong>" in html
    assert "Approve and apply" in html
    # Rejecting without a reason does nothing.
    reject = reverse("admin:directory_submission_reject", args=[submission.pk])
    client.post(reject, {"reason": ""})
    submission.refresh_from_db()
    assert submission.status == "pending"
    response = client.post(reverse("admin:directory_submission_approve", args=[submission.pk]))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.name == "New Name"


def test_editors_cannot_review_submissions(client):
    sync_roles()
    org = f.organization()
    editor = f.user(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    Membership.objects.create(user=editor, organization=org)
    listing = f.listing(organization=org, name="Theirs")
    submission = Submission.objects.create(
        kind="correction", listing=listing, proposed={"name": "Changed"}
    )
    client.force_login(editor)
    url = reverse("admin:directory_submission_approve", args=[submission.pk])
    assert client.post(url).status_code == 403
    listing.refresh_from_db()
    assert listing.name == "Theirs"


# --- freshness ------------------------------------------------------------------------------


def test_mark_verified_today_records_who_and_when_in_history(client, curator):
    old = timezone.now() - dt.timedelta(days=400)
    listing = f.listing(last_verified_at=old)
    client.force_login(curator)
    response = client.post(
        reverse("admin:directory_listing_changelist"),
        {"action": "mark_verified_today", "_selected_action": [listing.pk]},
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.last_verified_by == curator
    assert timezone.now() - listing.last_verified_at < dt.timedelta(minutes=1)
    entry = history(listing)[-1]
    assert entry.user == curator and "Marked verified" in entry.get_change_message()
    # The public page shows the date.
    page = client.get(listing.get_absolute_url()).content.decode()
    assert timezone.localdate().strftime("%Y-%m-%d") in page


def test_not_verified_in_six_months_filter(client, curator):
    stale = f.listing(name="Stale one", last_verified_at=timezone.now() - dt.timedelta(days=200))
    never = f.listing(name="Never checked", last_verified_at=None)
    fresh = f.listing(name="Fresh one")
    client.force_login(curator)
    response = client.get(reverse("admin:directory_listing_changelist"), {"verified": "stale"})
    shown = set(response.context["cl"].result_list)
    assert shown == {stale, never}
    assert fresh not in shown


def test_list_stale_listings_command(curator):
    f.listing(
        name="Stale one", slug="stale-one", last_verified_at=timezone.now() - dt.timedelta(days=200)
    )
    f.listing(name="Draft stale", status="draft", last_verified_at=None)
    f.listing(name="Fresh one")
    out = StringIO()
    call_command("list_stale_listings", stdout=out)
    text = out.getvalue()
    assert "stale-one" in text and "Fresh one" not in text and "Draft stale" not in text
    assert "1 published listing(s) not verified in 6 months" in text
    out = StringIO()
    call_command("list_stale_listings", "--months", "12", stdout=out)
    assert "Nothing to review" in out.getvalue()


def test_publish_and_archive_actions_are_audited(client, curator):
    listing = f.listing(status="draft")
    client.force_login(curator)
    changelist = reverse("admin:directory_listing_changelist")
    client.post(changelist, {"action": "publish", "_selected_action": [listing.pk]})
    listing.refresh_from_db()
    assert listing.status == "published"
    client.post(changelist, {"action": "archive", "_selected_action": [listing.pk]})
    listing.refresh_from_db()
    assert listing.status == "archived"
    assert [e.get_change_message() for e in history(listing)] == [
        "Changed status to Published.",
        "Changed status to Archived.",
    ]


def test_admin_edits_are_in_history_with_who_and_what(client, curator):
    listing = f.listing(name="Before")
    schedule = f.schedule(listing)
    client.force_login(curator)
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list):
            data[name] = value
        elif value is not None:
            data[name] = field.prepare_value(value) if hasattr(field, "prepare_value") else value
    data.update(
        {
            "name": "After",
            "schedules-TOTAL_FORMS": 1,
            "schedules-INITIAL_FORMS": 1,
            "schedules-0-id": schedule.pk,
            "schedules-0-listing": listing.pk,
            "schedules-0-kind": "weekly",
            "schedules-0-days": [2],
            "schedules-0-start_time": "19:00",
            "schedules-0-end_time": "20:00",
            "schedules-0-timezone": "America/Chicago",
        }
    )
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = history(listing)[-1]
    assert entry.user == curator
    assert "Name" in entry.get_change_message()
    assert Schedule.objects.filter(listing=listing).count() == 1


def test_save_and_mark_verified_is_one_trip_and_in_history(client, curator):
    from tests.admin_helpers import change_form_data

    old = timezone.now() - dt.timedelta(days=400)
    listing = f.listing(name="Before", last_verified_at=old)
    client.force_login(curator)
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    page = client.get(url)
    assert 'name="_save_verified"' in page.content.decode()
    data = change_form_data(page)
    data.update(name="After", _save_verified="Save and mark verified")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    listing.refresh_from_db()
    assert listing.name == "After"
    assert listing.last_verified_by == curator
    assert timezone.now() - listing.last_verified_at < dt.timedelta(minutes=1)
    messages = [e.get_change_message() for e in history(listing)]
    assert any("Name" in m for m in messages)
    assert any(m.startswith("Marked verified") for m in messages)
    # A form with errors saves nothing and marks nothing.
    data.update(name="", _save_verified="Save and mark verified")
    listing.last_verified_at = old
    listing.save()
    assert client.post(url, data).status_code == 200
    listing.refresh_from_db()
    assert listing.last_verified_at == old
