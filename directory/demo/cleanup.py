"""Finding and removing demo rows (never real ones), and the fictional curator they name."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection, models

from directory.demo.basics import CURATOR_USERNAME, DEMO_CREDENTIAL_PREFIX, DemoSummary
from directory.models import (
    Credential,
    CredentialType,
    Listing,
    Location,
    Organization,
    PeerWorker,
    Schedule,
    Submission,
)


def demo_rows_exist() -> bool:
    return any(
        model.objects.filter(is_demo=True).exists()
        for model in (Listing, PeerWorker, Location, Organization)
    )


def delete_demo_data(summary: DemoSummary) -> None:
    """Remove every demo row, never real data.

    Schedules, feature links and listings go in one statement each. Demo locations or
    organisations that a real row points at are kept (and reported) rather than deleted
    under it.
    """
    summary.deleted["Schedule"] = Schedule.objects.filter(listing__is_demo=True).delete()[0]
    Listing.features.through.objects.filter(listing__is_demo=True).delete()
    Submission.objects.filter(listing__is_demo=True).delete()
    # With its dependants gone, a plain DELETE spares the ORM's collector loading every listing
    # (8 of 9 seconds at 100,000). A row added later that points at a demo listing makes the
    # foreign key fail at commit, so nothing is deleted silently.
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Listing._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE is_demo = %s", [True])  # noqa: S608
        summary.deleted["Listing"] = cursor.rowcount

    workers = PeerWorker.objects.filter(is_demo=True)
    summary.deleted["Credential"] = Credential.objects.filter(worker__is_demo=True).delete()[0]
    summary.deleted["PeerWorker"] = workers.delete()[1].get("directory.PeerWorker", 0)
    CredentialType.objects.filter(
        slug__startswith=DEMO_CREDENTIAL_PREFIX, credentials__isnull=True
    ).delete()

    locations = Location.objects.filter(is_demo=True)
    used = locations.filter(listings__isnull=False).distinct()
    if kept := used.count():
        summary.kept.append(f"Kept {kept} demo location(s) that real listings use.")
    summary.deleted["Location"] = (
        locations.exclude(pk__in=used.values("pk")).delete()[1].get("directory.Location", 0)
    )

    organizations = Organization.objects.filter(is_demo=True)
    used_orgs = organizations.filter(
        models.Q(listings__isnull=False)
        | models.Q(locations__isnull=False)
        | models.Q(workers__isnull=False)
    ).distinct()
    if kept := used_orgs.count():
        summary.kept.append(f"Kept {kept} demo organisation(s) that real rows point at.")
    summary.deleted["Organization"] = (
        organizations.exclude(pk__in=used_orgs.values("pk"))
        .delete()[1]
        .get("directory.Organization", 0)
    )


def demo_curator():
    """The fictional user recorded as verifier of demo credentials; it can never log in."""
    user, created = get_user_model().objects.get_or_create(
        username=CURATOR_USERNAME,
        defaults={"first_name": "Demo", "last_name": "Curator", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
