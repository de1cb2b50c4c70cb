"""Corrections never lose data: per-schedule proposals, a diff in plain words, exact approval."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import reverse

from directory.models import Listing, Submission
from directory.services.roles import CURATOR, sync_roles
from directory.submissions import review as submission_review
from directory.submissions import services as submissions
from tests import factories as f
from tests.submission_helpers import report_form_data, time_field

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator():
    sync_roles()
    user = f.user(username="cora", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATOR))
    return user


def four_weekly(listing: Listing) -> dict:
    return {
        day: f.schedule(listing, weekday=day, start_time=dt.time(19), end_time=dt.time(20))
        for day in (0, 2, 4, 6)
    }


def schedules_of(listing: Listing) -> dict:
    return {s.pk: model_to_dict(s) for s in listing.schedules.all()}


def test_regression_a_legacy_correction_on_four_weekly_meetings_changes_one_time(curator):
    """The reported bug: the diff raised and approval replaced Sun/Tue/Thu/Sat with one."""
    listing = f.listing(name="Four Times a Week")
    days = four_weekly(listing)
    before = schedules_of(listing)
    # The shape the old report form stored: one flat weekly schedule.
    submission = Submission.objects.create(
        kind="correction", listing=listing, proposed={"weekday": 2, "start_time": "18:30"}
    )
    rows = submission_review.diff(submission)  # used to raise ValueError
    (row,) = [r for r in rows if r["changed"]]
    assert row["current"] == "Every Tuesday 19:00–20:00"
    assert row["proposed"] == "Every Tuesday 18:30–20:00"
    submissions.approve(submission, by=curator)
    after = schedules_of(listing)
    assert set(after) == set(before)  # no schedule deleted or added
    tuesday = days[2].pk
    assert after[tuesday]["start_time"] == dt.time(18, 30)
    for pk in before:
        changed = {k for k in before[pk] if before[pk][k] != after[pk][k]}
        assert changed == ({"start_time"} if pk == tuesday else set())


def test_a_correction_names_the_schedule_it_changes(curator):
    listing = f.listing()
    days = four_weekly(listing)
    before = schedules_of(listing)
    submission = Submission.objects.create(
        kind="correction",
        listing=listing,
        proposed={
            "schedules": [{"op": "change", "id": days[4].pk, "fields": {"start_time": "18:30"}}]
        },
    )
    rows = [r for r in submission_review.diff(submission) if r["changed"]]
    assert [(r["label"], r["current"], r["proposed"]) for r in rows] == [
        ("Change meeting time", "Every Thursday 19:00–20:00", "Every Thursday 18:30–20:00")
    ]
    submissions.approve(submission, by=curator)
    after = schedules_of(listing)
    assert set(after) == set(before)
    assert after[days[4].pk]["start_time"] == dt.time(18, 30)
    assert all(after[pk] == before[pk] for pk in before if pk != days[4].pk)


def test_add_and_remove_a_time_touch_only_those(curator):
    listing = f.listing()
    days = four_weekly(listing)
    submission = Submission.objects.create(
        kind="correction",
        listing=listing,
        proposed={
            "schedules": [
                {"op": "remove", "id": days[0].pk},
                {
                    "op": "add",
                    "fields": {
                        "kind": "weekly",
                        "weekday": 3,
                        "start_time": "12:00",
                        "end_time": "13:00",
                        "timezone": "America/Chicago",
                    },
                },
            ]
        },
    )
    words = [(r["label"], r["current"], r["proposed"]) for r in submission_review.diff(submission)]
    assert ("Remove meeting time", "Every Sunday 19:00–20:00", "—") in words
    assert ("Add meeting time", "—", "Every Wednesday 12:00–13:00") in words
    submissions.approve(submission, by=curator)
    assert sorted(s.weekday for s in listing.schedules.all()) == [2, 3, 4, 6]


def test_a_change_to_a_time_that_no_longer_exists_is_refused_and_changes_nothing(curator):
    listing = f.listing(name="Keep")
    days = four_weekly(listing)
    submission = Submission.objects.create(
        kind="correction",
        listing=listing,
        proposed={
            "name": "Changed",
            "schedules": [{"op": "change", "id": days[2].pk, "fields": {"start_time": "08:00"}}],
        },
    )
    days[2].delete()
    rows = submission_review.diff(submission)
    assert any("no longer" in r["current"] for r in rows)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        submissions.approve(submission, by=curator)
    listing.refresh_from_db()
    assert listing.name == "Keep" and listing.schedules.count() == 3


def test_the_review_screen_shows_every_schedule_change_in_words(client, curator):
    listing = f.listing(name="Four Times a Week", attendance="in_person")
    days = four_weekly(listing)
    submission = Submission.objects.create(
        kind="correction",
        listing=listing,
        proposed={
            "attendance": "hybrid",
            "conference_url": "https://meet.example.org/x",
            "schedules": [{"op": "change", "id": days[2].pk, "fields": {"start_time": "18:30"}}],
        },
    )
    client.force_login(curator)
    html = client.get(reverse("admin:directory_submission_change", args=[submission.pk]))
    html = html.content.decode()
    assert "Every Tuesday 18:30–20:00" in html
    assert "Hybrid" in html and "hybrid<" not in html  # labels, not stored values
    # Times the proposal does not name are listed as kept.
    assert "Every Sunday 19:00–20:00" in html


def report_form(client, listing):
    return client.get(reverse("directory:listing-report", args=[listing.slug])).context["form"]


def report_data(client, listing) -> dict:
    return report_form_data(report_form(client, listing))


def test_the_report_form_says_which_time_is_wrong(client):
    listing = f.listing()
    days = four_weekly(listing)
    data = report_data(client, listing)
    data.update(kind="correction")
    data[time_field(report_form(client, listing), days[4], "start_time")] = "18:30"
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    submission = Submission.objects.get()
    assert submission.proposed == {
        "schedules": [{"op": "change", "id": days[4].pk, "fields": {"start_time": "18:30"}}]
    }


def test_the_report_form_removes_and_adds_times(client):
    listing = f.listing()
    days = four_weekly(listing)
    data = report_data(client, listing)
    data.update(kind="correction")
    data[time_field(report_form(client, listing), days[6], "remove")] = "on"
    data.update(add_weekday="3", add_start_time="12:00", add_end_time="13:00")
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    ops = Submission.objects.get().proposed["schedules"]
    assert {"op": "remove", "id": days[6].pk} in ops
    (add,) = [op for op in ops if op["op"] == "add"]
    assert add["fields"]["weekday"] == 3 and add["fields"]["start_time"] == "12:00"
    assert add["fields"]["timezone"] == "America/Chicago"  # the listing's own zone


def test_an_added_time_needs_a_day_but_unchanged_times_do_not(client):
    listing = f.listing()
    four_weekly(listing)
    data = report_data(client, listing)
    data.update(kind="correction", add_start_time="12:00")
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["add_weekday"]
    data.update(add_start_time="", name="Renamed")
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 302
    assert Submission.objects.get().proposed == {"name": "Renamed"}


def test_a_meeting_time_that_ends_before_it_starts_is_named_in_the_error_summary(client):
    """Each meeting time is a form of a formset: its error is next to its field and in the
    summary at the top, which links to that field; nothing is stored."""
    listing = f.listing()
    days = four_weekly(listing)
    form = report_form(client, listing)
    data = report_data(client, listing)
    data.update(kind="correction")
    data[time_field(form, days[2], "end_time")] = "18:00"  # it starts at 19:00
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 200
    html = response.content.decode()
    summary = html[
        html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))
    ]
    field_id = response.context["form"].times.forms[1]["end_time"].id_for_label
    assert f'href="#{field_id}"' in summary
    assert "Meeting time 2: the end must be after the start." in summary
    assert "<title>Error:" in html
    assert not Submission.objects.exists()


def test_a_page_without_the_meeting_times_formset_still_sends_its_other_corrections(client):
    """A report page served before the times were a formset (or a client that leaves them
    out) proposes no change to the times, and loses nothing else."""
    listing = f.listing(name="Old Name")
    four_weekly(listing)
    data = {k: v for k, v in report_data(client, listing).items() if not k.startswith("times-")}
    data.update(kind="correction", name="New Name")
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 302
    assert Submission.objects.get().proposed == {"name": "New Name"}


def test_a_tampered_count_of_meeting_times_reads_only_the_listing_s_times(client):
    listing = f.listing()
    days = four_weekly(listing)
    form = report_form(client, listing)
    data = report_data(client, listing)
    data.update({"kind": "correction", "times-TOTAL_FORMS": "999", "times-7-remove": "on"})
    data[time_field(form, days[0], "remove")] = "on"
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Submission.objects.get().proposed == {"schedules": [{"op": "remove", "id": days[0].pk}]}
