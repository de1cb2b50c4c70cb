"""Curation writes on listings: freshness and publication status, with admin history."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone, translation

from directory.models import Listing
from directory.models.listings import Status
from directory.services.audit import log_change


@transaction.atomic
def mark_verified(listings, *, by, at: dt.datetime | None = None) -> int:
    """Record that ``by`` checked these listings are still true today. Returns how many."""
    at = at or timezone.now()
    listings = list(listings)
    ids = [listing.pk for listing in listings]
    count = Listing.objects.filter(pk__in=ids).update(
        last_verified_at=at, last_verified_by=by, updated_at=at
    )
    log_change(by, listings, f"Marked verified on {timezone.localdate(at):%Y-%m-%d}.")
    return count


@transaction.atomic
def set_status(listings, status: str, *, by) -> int:
    """Publish, archive or return listings to draft. Returns how many changed."""
    status = Status(status)
    changed = [listing for listing in listings if listing.status != status]
    Listing.objects.filter(pk__in=[listing.pk for listing in changed]).update(
        status=status, updated_at=timezone.now()
    )
    with translation.override("en"):  # the history is written in English
        log_change(by, changed, f"Changed status to {status.label}.")
    return len(changed)


def stale_listings(*, months: int = 6, now: dt.datetime | None = None):
    """Published listings nobody has verified in ``months`` months, oldest first."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=round(months * 30.44))
    return (
        Listing.objects.published()
        .not_verified_since(cutoff)
        .select_related("organization", "support_type", "last_verified_by")
        .order_by("last_verified_at", "name")
    )
