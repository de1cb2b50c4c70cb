"""Small factory functions for tests: each makes a valid object with overridable fields."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from directory.models import (
    Credential,
    CredentialType,
    Feature,
    FeatureCategory,
    FeedSource,
    Listing,
    Location,
    Organization,
    PeerWorker,
    Place,
    Schedule,
    SupportType,
)

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def support_type(**kw) -> SupportType:
    i = n()
    kw.setdefault("name", f"Support type {i}")
    kw.setdefault("slug", f"support-type-{i}")
    return SupportType.objects.create(**kw)


def feature_category(**kw) -> FeatureCategory:
    i = n()
    kw.setdefault("slug", f"category-{i}")
    kw.setdefault("name", f"Category {i}")
    return FeatureCategory.objects.get_or_create(slug=kw.pop("slug"), defaults=kw)[0]


def feature(category: FeatureCategory | str | None = None, **kw) -> Feature:
    i = n()
    if category is None or isinstance(category, str):
        category = feature_category(slug=category or "format", name=(category or "format").title())
    kw.setdefault("name", f"Feature {i}")
    kw.setdefault("slug", f"feature-{i}")
    return Feature.objects.create(category=category, **kw)


def organization(**kw) -> Organization:
    i = n()
    kw.setdefault("name", f"Organisation {i}")
    kw.setdefault("slug", f"organisation-{i}")
    return Organization.objects.create(**kw)


def location(**kw) -> Location:
    kw.setdefault("name", "Community hall")
    kw.setdefault("address_line1", "1 Main Street")
    kw.setdefault("city", "Springfield")
    kw.setdefault("region", "IL")
    kw.setdefault("country", "US")
    kw.setdefault("latitude", 39.7817)
    kw.setdefault("longitude", -89.6501)
    kw.setdefault("timezone", "America/Chicago")
    return Location.objects.create(**kw)


def listing(**kw) -> Listing:
    i = n()
    features = kw.pop("features", [])
    kw.setdefault("name", f"Listing {i}")
    kw.setdefault("slug", f"listing-{i}")
    if "support_type" not in kw:
        kw["support_type"] = support_type()
    kw.setdefault("status", "published")
    attendance = kw.setdefault("attendance", Listing.Attendance.IN_PERSON)
    if attendance in {Listing.Attendance.ONLINE, Listing.Attendance.HYBRID}:
        kw.setdefault("conference_url", f"https://meet.example.org/{i}")
    if attendance != Listing.Attendance.ONLINE and "location" not in kw:
        kw["location"] = location()
    kw.setdefault("last_verified_at", timezone.now())
    obj = Listing.objects.create(**kw)
    if features:
        obj.features.set(features)
    return obj


def schedule(listing_obj: Listing | None = None, **kw) -> Schedule:
    kw.setdefault("weekday", Schedule.Weekday.TUESDAY)
    kw.setdefault("start_time", dt.time(19, 0))
    kw.setdefault("end_time", dt.time(20, 0))
    kw.setdefault("timezone", "America/Chicago")
    return Schedule.objects.create(listing=listing_obj or listing(), **kw)


def place(**kw) -> Place:
    i = n()
    kw.setdefault("kind", Place.Kind.CITY)
    kw.setdefault("name", f"Town {i}")
    kw.setdefault("search_name", kw["name"].lower())
    kw.setdefault("country", "US")
    kw.setdefault("latitude", 40.0)
    kw.setdefault("longitude", -75.0)
    kw.setdefault("source_id", str(1_000_000 + i))
    return Place.objects.create(**kw)


def user(**kw):
    i = n()
    kw.setdefault("username", f"user{i}")
    password = kw.pop("password", "a-long-test-password")
    return get_user_model().objects.create_user(password=password, **kw)


def credential_type(**kw) -> CredentialType:
    i = n()
    kw.setdefault("abbreviation", f"CT{i}")
    kw.setdefault("name", f"Credential type {i}")
    kw.setdefault("slug", f"credential-type-{i}")
    kw.setdefault("issuing_body", "Test Certification Board")
    return CredentialType.objects.create(**kw)


def peer_worker(**kw) -> PeerWorker:
    i = n()
    support_types = kw.pop("support_types", None)
    kw.setdefault("display_name", f"Worker {i}.")
    kw.setdefault("slug", f"worker-{i}")
    kw.setdefault("status", "published")
    kw.setdefault("consent_to_publish", True)
    obj = PeerWorker.objects.create(**kw)
    obj.support_types.set(support_types or [support_type()])
    return obj


def credential(worker: PeerWorker | None = None, **kw) -> Credential:
    kw.setdefault("credential_type", credential_type())
    if kw.get("verification_status") == Credential.Verification.VERIFIED:
        kw.setdefault("verified_by", user())
        kw.setdefault("verified_at", timezone.now())
        kw.setdefault("verification_method", Credential.Method.ISSUER_LOOKUP)
    return Credential.objects.create(worker=worker or peer_worker(), **kw)


def feed_source(**kw) -> FeedSource:
    i = n()
    kw.setdefault("name", f"Intergroup feed {i}")
    if "organization" not in kw:
        kw["organization"] = organization()
    if "support_type" not in kw:
        kw["support_type"] = support_type()
    if not kw.get("uploaded_feed"):
        kw.setdefault("url", f"https://feeds.example.org/{i}/meetings.json")
    return FeedSource.objects.create(**kw)
