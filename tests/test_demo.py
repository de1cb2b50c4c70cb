"""The demo-data generator: counts, labelling, determinism, valid schedules, --replace, errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from directory.demo.basics import CURATOR_USERNAME
from directory.models import (
    Credential,
    CredentialType,
    Feature,
    FeatureCategory,
    Listing,
    Location,
    Organization,
    PeerWorker,
    Place,
    Schedule,
    SupportType,
)
from directory.scheduling import sunday_based_weekday
from tests import factories as f
from tests.feeds_helpers import assert_meeting_guide_row
from tests.meeting_guide_clients import tsml_plugin_import, tsml_ui_load

pytestmark = pytest.mark.django_db

DEMO_MODELS = [Organization, Location, Listing, PeerWorker]
ALL_MODELS = [*DEMO_MODELS, Schedule, Credential, CredentialType]


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def snapshot():
    """What two runs with the same seed must agree on."""
    return (
        list(Listing.objects.order_by("slug").values_list("slug", "name", "attendance", "status")),
        sorted(
            Schedule.objects.values_list(
                "listing__slug", "kind", "weekday", "start_time", "end_time", "timezone"
            )
        ),
        sorted(Listing.features.through.objects.values_list("listing__slug", "feature__slug")),
        list(Location.objects.order_by("address_line1", "city").values_list("name", "city")),
        list(PeerWorker.objects.order_by("slug").values_list("slug", "display_name")),
    )


def test_exact_counts_and_summary(reference):
    out = generate("--listings", "40", "--seed", "1")

    assert Listing.objects.count() == 40
    assert Organization.objects.count() == 3  # ~N/200, at least 3
    assert PeerWorker.objects.count() == 5  # N // 20, at least 5
    assert Location.objects.count() >= 40 * 0.6 / 3
    assert set(Organization.objects.values_list("kind", flat=True)) >= {
        "treatment_centre",
        "community",
        "fellowship",
    }
    # Every listing of a meeting-based type meets at least once; schedules ≈ 3 per listing.
    meeting = Listing.objects.filter(support_type__is_meeting_based=True)
    assert not meeting.filter(schedules__isnull=True).exists()
    assert 40 * 2 <= Schedule.objects.count() <= 40 * 4.5
    for model in [Listing, Schedule, Location, Organization, PeerWorker, Credential]:
        assert re.search(rf"\b{model.__name__} {model.objects.count()}\b", out), model
    assert "committed in" in out


def test_the_demo_feed_reaches_every_client(reference, client):
    """Issue 20: the released TSML UI showed none of the demo's meetings."""
    generate("--listings", "120", "--seed", "3")
    response = client.get("/meetings.json")
    feed = json.loads(b"".join(response.streaming_content))

    assert feed and len({row["slug"] for row in feed}) == len(feed)
    for row in feed:
        assert_meeting_guide_row(row)
    loaded = tsml_ui_load(feed)
    assert loaded.dropped == [] and len(loaded.meetings) == len(feed)
    assert tsml_plugin_import(feed)[1] == []
    assert any(meeting["when"] == "appointment" for meeting in loaded.meetings.values())
    assert any(row["attendance_option"] == "online" for row in feed)


def test_workers_option(reference):
    generate("--listings", "10", "--seed", "1", "--workers", "12")
    assert PeerWorker.objects.count() == 12


def test_everything_created_is_labelled_demo_and_fictional(reference):
    generate("--listings", "60", "--seed", "3")

    for model in DEMO_MODELS:
        assert not model.objects.filter(is_demo=False).exists(), model
    assert all(
        name.endswith("(demo)") for name in Organization.objects.values_list("name", flat=True)
    )
    for listing in Listing.objects.all():
        assert listing.description.startswith("Fictional demo listing.")
        assert " " not in listing.contact_name  # first names only
        for url in [listing.conference_url, listing.website]:
            assert not url or re.match(r"https://([a-z0-9-]+\.)*example\.(com|org)/", url)
        assert not listing.contact_email or listing.contact_email.endswith("@example.org")
        for phone in [listing.contact_phone, listing.conference_phone]:
            digits = re.sub(r"\D", "", phone)
            assert not phone or "55501" in digits or "2079460" in digits, phone
    for location in Location.objects.all():
        assert location.notes.startswith("Fictional demo")
    for worker in PeerWorker.objects.all():
        assert worker.bio.startswith("Fictional demo profile")
        assert worker.consent_to_publish
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Z]\.", worker.display_name)
    # Slugs are unique by construction: slugify(name)-<number>.
    assert all(re.search(r"-\d+$", slug) for slug in Listing.objects.values_list("slug", flat=True))


def test_same_seed_gives_the_same_data(reference):
    generate("--listings", "40", "--seed", "7")
    first = snapshot()
    generate("--listings", "40", "--seed", "7", "--replace")
    assert snapshot() == first
    generate("--listings", "40", "--seed", "8", "--replace")
    assert snapshot()[0] != first[0]


def test_schedules_are_valid_and_realistic(reference):
    generate("--listings", "1500", "--seed", "2", "--workers", "0")

    schedules = list(Schedule.objects.select_related("listing__location"))
    kinds = Counter(s.kind for s in schedules)
    total = len(schedules)
    assert 2.6 <= total / 1500 <= 3.4  # 100,000 listings → ≈ 300,000 schedules
    assert 0.80 <= kinds["weekly"] / total <= 0.90
    assert 0.06 <= kinds["monthly"] / total <= 0.14
    assert 0.02 <= kinds["interval"] / total <= 0.08
    for s in schedules:
        assert dt.time(6, 30) <= s.start_time <= dt.time(21, 0)
        day = dt.date(2026, 1, 1)
        length = dt.datetime.combine(day, s.end_time) - dt.datetime.combine(day, s.start_time)
        assert dt.timedelta(minutes=60) <= length <= dt.timedelta(minutes=90)
        if s.kind == "monthly":
            assert s.week_of_month in {1, 2, 3, 4, -1}
        if s.kind == "interval":
            assert s.interval_weeks in {2, 3}
            assert sunday_based_weekday(s.anchor_date) == s.weekday
        location = s.listing.location
        if location is not None:
            assert s.timezone == location.timezone

    attendance = Counter(Listing.objects.values_list("attendance", flat=True))
    assert 0.52 <= attendance["in_person"] / 1500 <= 0.68
    assert 0.19 <= attendance["online"] / 1500 <= 0.31
    assert 0.08 <= attendance["hybrid"] / 1500 <= 0.16
    assert 0.005 <= attendance["inactive"] / 1500 <= 0.06
    statuses = Counter(Listing.objects.values_list("status", flat=True))
    assert statuses["published"] / 1500 > 0.85 and statuses["draft"] and statuses["archived"]
    per_listing = Counter(
        Listing.objects.filter(features__isnull=False).values_list("pk", flat=True)
    )
    assert len(per_listing) == 1500 and set(per_listing.values()) <= {1, 2, 3, 4, 5}
    assert Location.objects.filter(approximate=True).exists()
    assert Location.objects.filter(country="GB").exists()
    assert Location.objects.filter(postal_code__in=["02108", "02139"]).exists()


def test_online_listings_can_be_joined(reference):
    generate("--listings", "200", "--seed", "4")

    online = Listing.objects.filter(attendance__in=["online", "hybrid"])
    assert online.count() > 20
    for listing in online.select_related("location"):
        assert listing.conference_url or listing.conference_phone
        if listing.attendance == "online" and listing.location:
            assert listing.location.approximate
        if listing.attendance == "hybrid":
            assert listing.location and not listing.location.approximate
    assert Listing.objects.filter(attendance="online", location__isnull=True).exists()


def test_credentials_mix_and_demo_curator(reference):
    generate("--listings", "20", "--seed", "5", "--workers", "80")

    # No credential types existed, so fictional ones were made.
    assert CredentialType.objects.exists()
    assert all("fictional" in t.name for t in CredentialType.objects.all())
    today = dt.date.today()
    credentials = list(Credential.objects.all())
    states = Counter(
        (c.verification_status, c.expires_on is not None and c.expires_on < today)
        for c in credentials
    )
    assert states[("verified", False)] and states[("verified", True)]
    assert states[("unverified", False)] + states[("unverified", True)]
    assert states[("revoked", False)] + states[("revoked", True)]
    curator = Credential.objects.filter(verification_status="verified").first().verified_by
    assert curator.username == CURATOR_USERNAME
    assert not curator.has_usable_password()
    assert PeerWorker.objects.filter(support_types__slug="peer-mentors").exists()
    assert PeerWorker.objects.filter(languages__name="English").exists()
    assert not PeerWorker.objects.filter(latitude__isnull=True).exists()


def test_existing_credential_types_are_used(reference):
    existing = f.credential_type(abbreviation="CPRS", renewal_years=2)
    generate("--listings", "10", "--seed", "5", "--workers", "30")
    assert list(CredentialType.objects.all()) == [existing]
    assert Credential.objects.filter(credential_type=existing).exists()


def test_replace_removes_old_demo_rows_and_keeps_real_data(reference):
    real_type = SupportType.objects.get(slug="12-step-programs")
    real = f.listing(name="Real Tuesday Group", support_type=real_type)
    f.schedule(real)
    real_worker = f.peer_worker(display_name="Real R.")
    generate("--listings", "30", "--seed", "1")
    old_ids = set(Listing.objects.filter(is_demo=True).values_list("pk", flat=True))
    # A real listing that a curator attached to a demo location keeps that location.
    shared = Location.objects.filter(is_demo=True).first()
    f.listing(name="Real listing at a demo hall", location=shared, support_type=real_type)

    with pytest.raises(CommandError, match="already loaded; use --replace"):
        generate("--listings", "30", "--seed", "1")
    out = generate("--listings", "30", "--seed", "2", "--replace")

    assert "Deleted demo rows" in out and "Kept 1 demo location" in out
    assert not Listing.objects.filter(pk__in=old_ids).exists()
    assert Listing.objects.filter(is_demo=True).count() == 30
    assert Listing.objects.filter(is_demo=False).count() == 2
    assert real.schedules.count() == 1
    assert PeerWorker.objects.filter(pk=real_worker.pk).exists()
    assert Location.objects.filter(pk=shared.pk).exists()
    assert PeerWorker.objects.filter(is_demo=True).count() == 5


@pytest.mark.parametrize(
    "remove",
    [
        lambda: Place.objects.all().delete(),
        lambda: SupportType.objects.filter(slug="family-and-friends").delete(),
        lambda: (Feature.objects.all().delete(), FeatureCategory.objects.all().delete()),
    ],
    ids=["no-places", "missing-support-type", "no-features"],
)
def test_missing_reference_data_is_an_error_and_writes_nothing(reference, remove):
    remove()
    before = counts()
    with pytest.raises(CommandError, match="load_reference.*load_article.*load_gazetteer"):
        generate("--listings", "20", "--seed", "1")
    assert counts() == before
    assert not get_user_model().objects.filter(username=CURATOR_USERNAME).exists()


def test_dry_run_writes_nothing(reference):
    before = counts()
    out = generate("--listings", "50", "--seed", "1", "--dry-run")
    assert "Listing 50" in out and "dry run" in out
    assert counts() == before


def test_listings_must_be_positive(reference):
    with pytest.raises(CommandError):
        generate("--listings", "0", "--seed", "1")


def test_failed_replace_keeps_the_old_demo_data(reference):
    generate("--listings", "20", "--seed", "1")
    before = counts()
    Place.objects.all().delete()
    with pytest.raises(CommandError, match="gazetteer"):
        generate("--listings", "20", "--seed", "2", "--replace")
    assert counts() == before


def test_the_demo_site_draws_its_maps(reference, client):
    """What `make run` loads draws the maps (issue 24): the demo's towns, their listings on
    the results map, every result counted, and a locator on an in-person listing's page."""
    generate("--listings", "150", "--seed", "5")
    html = client.get("/find/?near=Chicago&radius=50&view=map").content.decode()
    total = int(re.search(r'data-result-count="(\d+)"', html).group(1))
    placed = sum(int(n) for n in re.findall(r'class="m[^"]*" data-count="(\d+)"', html))
    unplaced = re.search(r'data-unplaced="(\d+)"', html)
    assert total > 0 and placed + (int(unplaced.group(1)) if unplaced else 0) == total
    assert 'class="map-land"' in html and 'class="map-town"' in html
    in_person = Listing.objects.filter(
        attendance="in_person", location__latitude__isnull=False
    ).first()
    page = client.get(f"/resources/{in_person.slug}/").content.decode()
    assert 'id="locator-map"' in page and 'class="map-land"' in page
