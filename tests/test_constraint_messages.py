"""Every model constraint speaks plainly, with a code, on the field it concerns.

One case per constraint: a violating object is checked by the model (``full_clean``), by a
ModelForm of the model (what admin uses), and the message never names the constraint.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import models
from django.forms import modelform_factory
from django.forms.models import model_to_dict
from django.utils import timezone

from directory.models import (
    CrisisLine,
    GuidePoint,
    GuideSection,
    Membership,
    Place,
    Submission,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def location_bad_coordinates():
    from directory.models import Location

    return Location(city="Springfield", latitude=91, longitude=None, timezone="America/Chicago")


def listing(**overrides):
    from directory.models import Listing

    values = {
        "name": "A listing",
        "slug": f"a-listing-{f.n()}",
        "support_type": f.support_type(),
        "attendance": "in_person",
        "status": "draft",
        "cost": "free",
    }
    values.update(overrides)
    return Listing(**values)


def schedule(**overrides):
    from directory.models import Schedule

    values = {
        "listing": f.listing(),
        "kind": "weekly",
        "weekday": 2,
        "start_time": dt.time(19),
        "end_time": dt.time(20),
        "timezone": "America/Chicago",
    }
    values.update(overrides)
    return Schedule(**values)


def worker(**overrides):
    from directory.models import PeerWorker

    values = {"display_name": "Sam R.", "slug": f"sam-{f.n()}", "status": "draft"}
    values.update(overrides)
    return PeerWorker(**values)


def credential(**overrides):
    from directory.models import Credential

    values = {"worker": f.peer_worker(), "credential_type": f.credential_type()}
    values.update(overrides)
    return Credential(**values)


def membership_twice():
    user, org = f.user(), f.organization()
    Membership.objects.create(user=user, organization=org)
    return Membership(user=user, organization=org)


def place(**overrides):
    values = {
        "kind": "city",
        "name": "Springfield",
        "search_name": "springfield",
        "country": "US",
        "latitude": 39.8,
        "longitude": -89.6,
        "source_id": "4250542",
    }
    values.update(overrides)
    return Place(**values)


def place_twice():
    f.place(kind="city", country="US", source_id="4250542")
    return place()


def feature_code_twice():
    from directory.models import Feature

    existing = f.feature(code="W")
    return Feature(category=existing.category, slug="women-2", name="Women (2)", code="W")


def credential_type_twice():
    from directory.models import CredentialType

    f.credential_type(abbreviation="CPRS", issuing_body="Board")
    return CredentialType(abbreviation="CPRS", name="Again", slug="cprs-2", issuing_body="Board")


def guide_point_twice():
    section = GuideSection.objects.create(slug="s", title="S", kind="benefits", body="b")
    GuidePoint.objects.create(section=section, text="one", position=1)
    return GuidePoint(section=section, text="two", position=1)


def crisis_line_twice():
    CrisisLine.objects.create(country="US", name="988 Lifeline", phone="988")
    return CrisisLine(country="US", name="988 Lifeline", phone="988")


def feed_source(**values):
    from directory.models import FeedSource

    values = {
        "name": "Intergroup",
        "url": "https://feeds.example.org/meetings.json",
        "organization": f.organization(),
        "support_type": f.support_type(),
        **values,
    }
    return FeedSource(**values)


def feed_run_unknown_status():
    from directory.models import FeedRun

    now = timezone.now()
    return FeedRun(source=f.feed_source(), started_at=now, finished_at=now, status="maybe")


def feed_listing_twice():
    from directory.models import FeedListing

    source = f.feed_source()
    FeedListing.objects.create(source=source, feed_slug="speaker-meeting", listing=f.listing())
    return FeedListing(source=source, feed_slug="speaker-meeting", listing=f.listing())


# Constraints on a field that no ModelForm edits (Django then skips them in forms): the admin
# form that fills that field checks the rule itself (FeedSourceForm: a URL or an upload).
FORM_CHECKS_IT_ITSELF = {"feedsource_has_feed"}

# constraint name -> (builder of a violating unsaved object, field the error belongs on)
CASES = {
    "location_coordinates_valid": (location_bad_coordinates, "latitude"),
    "resource_online_has_link_or_phone": (lambda: listing(attendance="online"), "conference_url"),
    "resource_verifier_has_date": (
        lambda: listing(last_verified_by=f.user(), last_verified_at=None),
        "last_verified_at",
    ),
    "resource_attendance_known": (lambda: listing(attendance="by_post"), "attendance"),
    "resource_status_known": (lambda: listing(status="hidden"), "status"),
    "schedule_weekday_range": (lambda: schedule(weekday=9), "weekday"),
    "schedule_end_after_start": (lambda: schedule(end_time=dt.time(18)), "end_time"),
    "schedule_kind_fields": (lambda: schedule(kind="monthly"), "week_of_month"),
    "schedule_valid_range": (
        lambda: schedule(valid_from=dt.date(2026, 5, 1), valid_to=dt.date(2026, 4, 1)),
        "valid_to",
    ),
    "schedule_anchor_on_weekday": (
        # 2026-12-01 is a Tuesday; the schedule meets on Thursdays.
        lambda: schedule(
            kind="interval", weekday=4, interval_weeks=2, anchor_date=dt.date(2026, 12, 1)
        ),
        "anchor_date",
    ),
    "submission_kind_matches_resource": (
        lambda: Submission(kind="correction", listing=None, proposed={"name": "x"}),
        "listing",
    ),
    "submission_decision_has_reviewer": (
        lambda: Submission(kind="new", status="approved", proposed={"name": "x"}),
        "reviewer",
    ),
    "submission_rejection_has_reason": (
        lambda: Submission(
            kind="new",
            status="rejected",
            proposed={"name": "x"},
            reviewer=f.user(),
            reviewed_at=timezone.now(),
            decision_reason="",
        ),
        "decision_reason",
    ),
    "membership_unique": (membership_twice, "organization"),
    "place_source_unique": (place_twice, "source_id"),
    "place_coordinates_valid": (lambda: place(latitude=95), "latitude"),
    "feature_code_unique": (feature_code_twice, "code"),
    "credential_type_unique": (credential_type_twice, "abbreviation"),
    "worker_published_needs_consent": (
        lambda: worker(status="published", consent_to_publish=False),
        "consent_to_publish",
    ),
    "worker_offers_some_mode": (
        lambda: worker(offers_online=False, offers_in_person=False),
        "offers_online",
    ),
    "worker_coordinates_valid": (lambda: worker(latitude=10, longitude=None), "latitude"),
    "credential_verified_has_verifier": (
        lambda: credential(verification_status="verified", verification_method=""),
        "verification_method",
    ),
    "credential_expires_after_issue": (
        lambda: credential(issued_on=dt.date(2026, 5, 1), expires_on=dt.date(2025, 5, 1)),
        "expires_on",
    ),
    "guide_point_position": (guide_point_twice, "position"),
    "crisis_line_unique": (crisis_line_twice, "name"),
    "feedsource_has_feed": (lambda: feed_source(url="", uploaded_feed=""), "url"),
    "feedsource_archive_after_positive": (
        lambda: feed_source(archive_after_runs=0),
        "archive_after_runs",
    ),
    "feedrun_status_known": (feed_run_unknown_status, "status"),
    "feedlisting_source_slug": (feed_listing_twice, "feed_slug"),
}


def all_constraints():
    for model in apps.get_app_config("directory").get_models():
        for constraint in model._meta.constraints:
            yield model, constraint


def test_every_constraint_has_a_plain_message_a_code_and_a_case():
    names = set()
    for model, constraint in all_constraints():
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is not None:
            if constraint.name == "worker_published_name":
                continue  # an index-only partial unique, never violated by people
        names.add(constraint.name)
        assert constraint.violation_error_code, constraint.name
        message = constraint.get_violation_error_message()
        assert "constraint" not in message.lower() and "%(name)" not in message, constraint.name
        assert constraint.name in model.constraint_error_fields, constraint.name
    assert names == set(CASES)


def _constraint(name):
    return next(c for _, c in all_constraints() if c.name == name)


def _form_data(obj, fields):
    data = {}
    for name, value in model_to_dict(obj, fields=fields).items():
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value.pk if isinstance(value, models.Model) else value
    return data


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_violation_is_a_plain_message_on_its_field(name):
    build, field = CASES[name]
    obj = build()
    constraint = _constraint(name)
    from django.core.exceptions import ValidationError

    # The constraint itself (the database's last line), whatever the fields' own checks say.
    with pytest.raises(ValidationError) as caught:
        obj.validate_constraints()
    errors = caught.value.error_dict
    assert field in errors, errors
    codes = {e.code for e in errors[field]}
    assert constraint.violation_error_code in codes
    text = " ".join(m for e in errors[field] for m in e.messages)
    assert "onstraint" not in text and "violated" not in text
    # And through full_clean, as every save path in the project calls it.
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    assert field in caught.value.error_dict

    if name in FORM_CHECKS_IT_ITSELF:
        return
    # The same in a ModelForm with every editable field, as admin builds them.
    model = type(obj)
    fields = [
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "editable", False)
        and f.concrete
        and not f.auto_created
        and not f.many_to_many
        and not isinstance(f, models.GeneratedField)
    ]
    form = modelform_factory(model, fields=fields)(data=_form_data(obj, fields))
    assert not form.is_valid()
    assert field in form.errors, form.errors
    assert "__all__" not in form.errors, form.errors
    assert "onstraint" not in str(form.errors)


# --- in admin: next to the field, never at the top of the form --------------------------------


@pytest.fixture
def curator_client(client, settings):
    from django.contrib.auth.models import Group

    from directory.services.roles import CURATOR, sync_roles

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sync_roles()
    user = f.user(is_staff=True)
    user.groups.add(Group.objects.get(name=CURATOR))
    client.force_login(user)
    return client


def test_admin_shows_an_online_listing_without_a_link_at_the_link_field(curator_client):
    from django.urls import reverse

    from tests.admin_helpers import change_form_data

    listing = f.listing()
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    data = change_form_data(curator_client.get(url))
    data.update(attendance="online", conference_url="", conference_phone="")
    response = curator_client.post(url, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["conference_url"] == [
        "An online or hybrid meeting needs a join link or a dial-in phone number."
    ]
    assert not form.non_field_errors()
    html = response.content.decode()
    assert "Constraint" not in html and "is violated" not in html


def test_admin_shows_a_schedule_ending_before_it_starts_at_the_end_time(curator_client):
    from django.urls import reverse

    from tests.admin_helpers import change_form_data

    listing = f.listing()
    f.schedule(listing)
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    data = change_form_data(curator_client.get(url))
    data["schedules-0-end_time"] = "18:00"
    response = curator_client.post(url, data)
    assert response.status_code == 200
    (formset,) = [i.formset for i in response.context["inline_admin_formsets"]]
    assert formset.forms[0].errors["end_time"] == ["The end time must be after the start time."]
    assert "Constraint" not in response.content.decode()


def test_admin_schedule_row_without_a_day_is_an_error_not_a_crash(curator_client):
    from django.urls import reverse

    from tests.admin_helpers import change_form_data

    listing = f.listing()
    f.schedule(
        listing, kind="interval", interval_weeks=2, weekday=2, anchor_date=dt.date(2026, 12, 1)
    )
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    data = change_form_data(curator_client.get(url))
    data.pop("schedules-0-days")
    data["schedules-0-weekday"] = ""
    response = curator_client.post(url, data)
    assert response.status_code == 200
    (formset,) = [i.formset for i in response.context["inline_admin_formsets"]]
    assert "days" in formset.forms[0].errors
