"""Every database constraint rejects a violating row (on PostgreSQL and SQLite alike)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from directory.models import Credential, Feature, Listing, Membership, Schedule, Submission
from tests import factories as f

pytestmark = pytest.mark.django_db


def rejects(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_online_listing_needs_a_link_or_phone():
    st = f.support_type()
    assert rejects(
        lambda: Listing.objects.create(
            name="x", slug="x", support_type=st, attendance=Listing.Attendance.ONLINE
        )
    )
    assert rejects(
        lambda: Listing.objects.create(
            name="y", slug="y", support_type=st, attendance=Listing.Attendance.HYBRID
        )
    )
    ok = Listing.objects.create(
        name="z", slug="z", support_type=st, attendance="online", conference_phone="+1 555 0100"
    )
    assert ok.pk


def test_listing_attendance_and_status_must_be_known():
    st = f.support_type()
    assert rejects(
        lambda: Listing.objects.create(name="a", slug="a", support_type=st, attendance="x")
    )
    assert rejects(
        lambda: Listing.objects.create(name="b", slug="b", support_type=st, status="gone")
    )


def test_listing_verifier_needs_a_date():
    user = f.user()
    st = f.support_type()
    assert rejects(
        lambda: Listing.objects.create(name="a", slug="a", support_type=st, last_verified_by=user)
    )


def test_listing_slug_is_unique():
    f.listing(slug="same")
    assert rejects(lambda: f.listing(slug="same"))


def test_location_coordinates_in_range_and_paired():
    assert rejects(lambda: f.location(latitude=91, longitude=0))
    assert rejects(lambda: f.location(latitude=10, longitude=181))
    assert rejects(lambda: f.location(latitude=10, longitude=None))
    assert f.location(latitude=None, longitude=None).pk


def test_place_coordinates_in_range():
    assert rejects(lambda: f.place(latitude=-91))


def test_schedule_end_after_start():
    r = f.listing()
    assert rejects(lambda: f.schedule(r, start_time=dt.time(19), end_time=dt.time(18)))
    assert rejects(lambda: f.schedule(r, start_time=dt.time(19), end_time=dt.time(19)))
    assert f.schedule(r, start_time=dt.time(19), end_time=None).pk


def test_schedule_weekday_range():
    assert rejects(lambda: f.schedule(weekday=7))
    assert rejects(lambda: f.schedule(weekday=-1))


def test_schedule_kind_needs_its_fields():
    r = f.listing()
    assert rejects(lambda: f.schedule(r, kind="monthly"))
    assert rejects(lambda: f.schedule(r, kind="monthly", week_of_month=5))
    assert rejects(lambda: f.schedule(r, kind="weekly", week_of_month=1))
    assert rejects(
        lambda: f.schedule(r, kind="interval", interval_weeks=1, anchor_date=dt.date(2026, 11, 24))
    )
    assert rejects(lambda: f.schedule(r, kind="interval", interval_weeks=2))
    assert f.schedule(r, kind="monthly", week_of_month=-1).pk
    assert f.schedule(
        r, kind="interval", interval_weeks=2, anchor_date=dt.date(2026, 11, 24), weekday=2
    ).pk


def test_schedule_anchor_falls_on_its_weekday():
    # 2026-11-24 is a Tuesday (weekday 2 counting from Sunday).
    assert rejects(
        lambda: f.schedule(
            kind="interval", interval_weeks=2, anchor_date=dt.date(2026, 11, 24), weekday=3
        )
    )


def test_schedule_validity_range():
    assert rejects(lambda: f.schedule(valid_from=dt.date(2026, 2, 1), valid_to=dt.date(2026, 1, 1)))


def test_feature_code_unique_when_set():
    f.feature(code="W")
    assert rejects(lambda: f.feature(code="W"))
    f.feature(code="")
    assert f.feature(code="").pk


def test_membership_unique_per_user_and_organization():
    user, org = f.user(), f.organization()
    Membership.objects.create(user=user, organization=org)
    assert rejects(lambda: Membership.objects.create(user=user, organization=org))


def test_verified_credential_needs_verifier_date_and_method():
    worker = f.peer_worker()
    ctype = f.credential_type()
    assert rejects(
        lambda: Credential.objects.create(
            worker=worker, credential_type=ctype, verification_status="verified"
        )
    )
    assert rejects(
        lambda: Credential.objects.create(
            worker=worker,
            credential_type=ctype,
            verification_status="verified",
            verified_by=f.user(),
            verified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    )
    assert f.credential(worker, verification_status="verified").pk


def test_credential_expiry_after_issue():
    assert rejects(
        lambda: f.credential(issued_on=dt.date(2026, 1, 2), expires_on=dt.date(2026, 1, 1))
    )


def test_published_worker_needs_consent_and_a_mode():
    assert rejects(lambda: f.peer_worker(status="published", consent_to_publish=False))
    assert rejects(lambda: f.peer_worker(offers_online=False, offers_in_person=False))
    assert rejects(lambda: f.peer_worker(latitude=100, longitude=0))


def test_submission_kind_matches_resource_and_decisions_are_recorded():
    listing = f.listing()
    assert rejects(lambda: Submission.objects.create(kind="correction"))
    assert rejects(lambda: Submission.objects.create(kind="new", listing=listing))
    assert rejects(lambda: Submission.objects.create(kind="new", status="approved"))
    reviewer = f.user()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert rejects(
        lambda: Submission.objects.create(
            kind="new", status="rejected", reviewer=reviewer, reviewed_at=now
        )
    )
    assert Submission.objects.create(
        kind="new", status="rejected", reviewer=reviewer, reviewed_at=now, decision_reason="dup"
    ).pk


def test_verified_and_current_follows_expiry():
    today = dt.date(2026, 11, 24)
    current = f.credential(verification_status="verified", expires_on=today)
    f.credential(verification_status="verified", expires_on=today - dt.timedelta(days=1))
    f.credential(verification_status="revoked", expires_on=today + dt.timedelta(days=30))
    f.credential(verification_status="unverified")
    assert list(Credential.objects.verified_and_current(today)) == [current]
    assert list(Credential.objects.verified_and_current(today + dt.timedelta(days=1))) == []


def test_published_queryset():
    live = f.listing(status="published")
    f.listing(status="draft")
    f.listing(status="archived")
    assert list(Listing.objects.published()) == [live]
    assert Feature.objects.count() == 0
    assert Schedule.objects.count() == 0
