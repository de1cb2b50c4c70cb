"""The admin index's "Needs attention" panel: counts of work waiting, each a link to the list.

Items are computed per request through each model's admin queryset, so an organisation editor
counts only their own organisations' objects and never sees an item for a model they cannot
view (submissions are for curators). Another part of the project adds an item with
``register``::

    from directory.admin.dashboard import DashboardItem, register

    register(DashboardItem(key="feeds_failed", label=_("feed sources whose last import failed"),
                           model=FeedSource, query="last_status__exact=failed",
                           queryset=lambda qs, now: qs.filter(last_status="failed")))

The count uses the same filter as the link's change list, so the number matches the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Credential, Listing, Submission
from directory.models.listings import Status


@dataclass(frozen=True)
class DashboardItem:
    key: str
    label: str  # plural noun phrase, lazy (gettext_lazy): "submissions waiting for review"
    model: type
    query: str  # the change list's query string for the same rows
    queryset: Callable  # (admin queryset, now) -> the rows counted
    tone: str = "attention"  # "attention" or "urgent": styling only


@dataclass(frozen=True)
class DashboardCount:
    key: str
    label: str
    count: int
    url: str
    tone: str


DASHBOARD_ITEMS: list[DashboardItem] = []


def register(item: DashboardItem) -> DashboardItem:
    """Add an item to the panel (once per key)."""
    if all(existing.key != item.key for existing in DASHBOARD_ITEMS):
        DASHBOARD_ITEMS.append(item)
    return item


STALE_AFTER = dt.timedelta(days=183)  # "not verified in 6 months"; the list filter's window
CREDENTIAL_WINDOW = dt.timedelta(days=60)

register(
    DashboardItem(
        key="submissions_pending",
        label=_("public submissions waiting for review"),
        model=Submission,
        query="status__exact=pending",
        queryset=lambda qs, now: qs.filter(status=Submission.State.PENDING),
    )
)
register(
    DashboardItem(
        key="listings_stale",
        label=_("published listings not verified in 6 months"),
        model=Listing,
        query="status__exact=published&verified=stale",
        queryset=lambda qs, now: qs.filter(status=Status.PUBLISHED).not_verified_since(
            now - STALE_AFTER
        ),
    )
)
register(
    DashboardItem(
        key="credentials_expiring",
        label=_("credentials expiring within 60 days"),
        model=Credential,
        query="attention=expiring",
        queryset=lambda qs, now: qs.expiring_between(
            timezone.localdate(now), timezone.localdate(now) + CREDENTIAL_WINDOW
        ),
    )
)
register(
    DashboardItem(
        key="credentials_expired",
        label=_("credentials that have expired"),
        model=Credential,
        query="attention=expired",
        queryset=lambda qs, now: qs.expired(timezone.localdate(now)),
        tone="urgent",
    )
)


def attention_counts(request, *, site=None, now: dt.datetime | None = None):
    """The panel's counts for this user: only models they may view, only rows in their scope."""
    site = site or admin.site
    now = now or timezone.now()
    counts = []
    for item in DASHBOARD_ITEMS:
        model_admin = site._registry.get(item.model)
        if model_admin is None or not model_admin.has_view_permission(request):
            continue
        rows = item.queryset(model_admin.get_queryset(request), now)
        opts = item.model._meta
        url = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_changelist")
        counts.append(
            DashboardCount(
                key=item.key,
                label=item.label,
                count=rows.count(),
                url=f"{url}?{item.query}",
                tone=item.tone,
            )
        )
    return counts
