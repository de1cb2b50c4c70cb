"""Moderation in admin: plain labels, new listings approved as the curator decides, likely
duplicates shown first, styled decisions, bulk rejection with one reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from directory.models import Listing, Submission
from directory.services.roles import CURATOR, sync_roles
from directory.submissions import services as submissions
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(client):
    sync_roles()
    user = f.user(username="cora", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATOR))
    client.force_login(user)
    return user


def suggestion(**overrides) -> Submission:
    proposed = {
        "name": "Hope on Tuesday",
        "support_type": "12-step-programs",
        "attendance": "in_person",
        "address_line1": "12 Elm Street",
        "city": "Springfield",
        "region": "IL",
        "country": "US",
        "schedules": [
            {
                "op": "add",
                "fields": {
                    "kind": "weekly",
                    "weekday": 2,
                    "start_time": "19:00",
                    "timezone": "America/Chicago",
                },
            }
        ],
    }
    proposed.update(overrides)
    return Submission.objects.create(kind="new", proposed=proposed)


@pytest.fixture
def twelve_step():
    return f.support_type(name="12-Step Programs", slug="12-step-programs")


def review_page(client, submission) -> str:
    response = client.get(reverse("admin:directory_submission_change", args=[submission.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_diff_shows_labels_people_read(client, curator, twelve_step):
    page = review_page(client, suggestion())
    start = page.index('<table class="submission-diff">')
    html = page[start : page.index("</table>", start)]
    assert "12-Step Programs" in html and "12-step-programs" not in html
    assert "In person" in html and "in_person" not in html
    assert "Every Tuesday 19:00" in html


def test_approving_a_suggestion_makes_a_draft_with_the_curators_choices(
    client, curator, twelve_step
):
    other_type = f.support_type(name="Recovery Groups", slug="recovery-groups")
    centre = f.organization(name="Hope Centre")
    submission = suggestion()
    html = review_page(client, submission)
    assert 'name="approve-organization"' in html and 'name="approve-status"' in html
    response = client.post(
        reverse("admin:directory_submission_approve", args=[submission.pk]),
        {"approve-organization": centre.pk, "approve-support_type": other_type.slug},
        follow=True,
    )
    assert "Not approved" not in response.content.decode()
    listing = Listing.objects.get(name="Hope on Tuesday")
    assert listing.status == "draft"  # not public until the curator publishes it
    assert listing.organization == centre and listing.support_type == other_type
    assert listing.location.organization == centre
    assert "as draft" in response.content.decode()


def test_approving_a_suggestion_can_publish_it(client, curator, twelve_step):
    submission = suggestion()
    client.post(
        reverse("admin:directory_submission_approve", args=[submission.pk]),
        {"approve-support_type": twelve_step.slug, "approve-status": "published"},
    )
    assert Listing.objects.get(name="Hope on Tuesday").status == "published"


def test_likely_duplicates_are_shown_before_approving(client, curator, twelve_step):
    f.place(
        name="Springfield",
        search_name="springfield",
        region_code="IL",
        latitude=39.78,
        longitude=-89.65,
    )
    near = f.location(latitude=39.785, longitude=-89.655, city="Springfield")
    far = f.location(latitude=41.0, longitude=-87.0, city="Elsewhere")
    same_name_near = f.listing(name="The Hope on Tuesday Group", location=near)
    f.listing(name="Hope on Tuesday", location=far)  # same name, far away: not a duplicate
    f.listing(name="Serenity Now", location=near)  # near, different name
    same_link = f.listing(
        name="Totally different", attendance="online", conference_url="https://meet.example.org/h"
    )
    found = submissions.likely_duplicates(
        suggestion(conference_url="https://meet.example.org/h/").proposed
    )
    assert {listing for listing, _ in found} == {same_name_near, same_link}
    html = review_page(client, suggestion(conference_url="https://meet.example.org/h"))
    assert "Possibly already listed" in html
    assert "The Hope on Tuesday Group" in html and "the same join link" in html


def test_bulk_reject_with_one_reason(client, curator, twelve_step):
    first, second = suggestion(name="Spam one"), suggestion(name="Spam two")
    done = suggestion(name="Already approved")
    submissions.approve(done, by=curator)
    changelist = reverse("admin:directory_submission_changelist")
    ids = [first.pk, second.pk, done.pk]
    page = client.post(changelist, {"action": "reject_selected", "_selected_action": ids})
    assert page.status_code == 200
    assert "Reject 2 submissions" in page.content.decode()
    assert Submission.objects.filter(status="pending").count() == 2  # nothing yet
    response = client.post(
        changelist,
        {
            "action": "reject_selected",
            "_selected_action": ids,
            "reason": "Advertising, not a group.",
        },
    )
    assert response.status_code == 302
    rejected = Submission.objects.filter(status="rejected")
    assert set(rejected) == {first, second}
    assert {s.decision_reason for s in rejected} == {"Advertising, not a group."}
    # No reason: nothing rejected, the form asks again.
    third = suggestion(name="Spam three")
    page = client.post(
        changelist, {"action": "reject_selected", "_selected_action": [third.pk], "reason": " "}
    )
    assert page.status_code == 200
    third.refresh_from_db()
    assert third.status == "pending"


def test_the_decision_buttons_are_styled_by_the_stylesheet(client, curator, twelve_step):
    html = review_page(client, suggestion())
    assert 'class="review-approve"' in html and 'class="review-reject"' in html
    assert "css/staff-admin.css" in html


STAFF_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "admin"


def test_staff_templates_have_no_inline_styles_or_scripts():
    """The Content-Security-Policy forbids them: styles and scripts come from static files."""
    for path in STAFF_TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert "style=" not in text and "<style" not in text, path
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag, (path, tag)
