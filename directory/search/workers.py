"""Faceted directory of peer workers (mentors, recovery coaches, sober companions).

There are far fewer workers than listings, so each facet count is computed as exactly the
query its link would run (one conditional count per value, all in one SQL statement).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.paginator import Page
from django.db.models import Count, F, Prefetch, Q

from directory.models import Credential, CredentialType, Feature, PeerWorker, SupportType
from directory.search import geo
from directory.search.facets import Counted, Facet, FacetValue, paginate

PER_PAGE = 20
FACETS = ["type", "credential", "verified", "language", "mode", "accepting"]
LEGENDS = {
    "type": "Type of support",
    "credential": "Credential",
    "verified": "Verification",
    "language": "Language",
    "mode": "How they work",
    "accepting": "Availability",
}
MODE_CHOICES = {"online": "Online", "in_person": "In person"}


@dataclass
class WorkerQuery:
    selection: dict[str, list[str]] = field(default_factory=dict)
    q: str = ""
    near: str = ""
    radius: int | None = None
    page: int = 1


@dataclass
class WorkerSearchResult:
    results: list[PeerWorker]
    count: int
    page: Page
    facets: list[Facet]
    origin: geo.Origin | None
    place: geo.PlaceLookup


def worker_facet_choices() -> dict[str, dict[str, str]]:
    """The values each facet offers (for the FilterSet and the page)."""
    return {
        "type": dict(
            SupportType.objects.filter(workers__isnull=False).distinct().values_list("slug", "name")
        ),
        "credential": {
            ct.slug: f"{ct.abbreviation} – {ct.name}"
            for ct in CredentialType.objects.filter(credentials__isnull=False).distinct()
        },
        "verified": {"current": "Verified, current credential only"},
        "language": dict(
            Feature.objects.filter(category__slug="language", workers__isnull=False)
            .distinct()
            .values_list("slug", "name")
        ),
        "mode": MODE_CHOICES,
        "accepting": {"yes": "Accepting new clients"},
    }


def _full_q(selection: dict[str, list[str]], today: dt.date) -> Q:
    q = Q()
    current_only = bool(selection.get("verified"))
    credentials = (
        Credential.objects.verified_and_current(today) if current_only else Credential.objects.all()
    )
    if selection.get("type"):
        q &= Q(
            pk__in=PeerWorker.support_types.through.objects.filter(
                supporttype__slug__in=selection["type"]
            ).values("peerworker_id")
        )
    if selection.get("credential"):
        q &= Q(
            pk__in=credentials.filter(credential_type__slug__in=selection["credential"]).values(
                "worker_id"
            )
        )
    elif current_only:
        q &= Q(pk__in=credentials.values("worker_id"))
    if selection.get("language"):
        q &= Q(
            pk__in=PeerWorker.languages.through.objects.filter(
                feature__slug__in=selection["language"]
            ).values("peerworker_id")
        )
    if selection.get("mode"):
        mode_q = Q(pk__in=[])
        if "online" in selection["mode"]:
            mode_q |= Q(offers_online=True)
        if "in_person" in selection["mode"]:
            mode_q |= Q(offers_in_person=True)
        q &= mode_q
    if selection.get("accepting"):
        q &= Q(accepting_new_clients=True)
    return q


def search_workers(query: WorkerQuery, *, today: dt.date) -> WorkerSearchResult:
    base = PeerWorker.objects.published()
    if query.q:
        for word in query.q.split()[:8]:
            base = base.filter(
                Q(display_name__icontains=word)
                | Q(bio__icontains=word)
                | Q(service_area__icontains=word)
            )
    place = geo.PlaceLookup()
    origin = None
    if query.near:
        place = geo.resolve_place(query.near)
        origin = place.origin
    if origin is not None:
        radius = query.radius or geo.DEFAULT_RADIUS
        query.radius = radius
        base = base.annotate(distance=geo.distance_miles("latitude", "longitude", origin)).filter(
            geo.bounding_box_q("latitude", "longitude", origin, radius), distance__lte=radius
        )
    selection = {k: v for k, v in query.selection.items() if v}
    choices = worker_facet_choices()

    aggregates = {"total": Count("pk", filter=_full_q(selection, today))}
    keys = []
    for name in FACETS:
        current = selection.get(name, [])
        for value in choices[name]:
            toggled = [v for v in current if v != value] if value in current else [*current, value]
            key = f"{name}__{len(keys)}"
            keys.append((name, value, key, toggled))
            aggregates[key] = Count("pk", filter=_full_q({**selection, name: toggled}, today))
    counts = base.order_by().aggregate(**aggregates)
    facets = []
    for name in FACETS:
        current = selection.get(name, [])
        values = []
        for facet_name, value, key, toggled in keys:
            if facet_name != name:
                continue
            if counts[key] == 0 and value not in current:
                continue
            values.append(
                FacetValue(
                    value,
                    choices[name][value],
                    counts[key],
                    value in current,
                    params={name: toggled, "page": None},
                )
            )
        facets.append(Facet(name, LEGENDS[name], values))

    total = counts["total"]
    ordered = base.filter(_full_q(selection, today))
    ordered = (
        ordered.order_by(F("distance").asc(nulls_last=True), "display_name")
        if origin
        else ordered.order_by("display_name", "pk")
    )
    ordered = ordered.select_related("organization").prefetch_related(
        "support_types",
        "languages",
        Prefetch("credentials", queryset=Credential.objects.select_related("credential_type")),
    )
    page = paginate(Counted(ordered, total), PER_PAGE, query.page)
    workers = page.object_list
    for worker in workers:
        annotate_credential_status(worker, today)
    return WorkerSearchResult(
        results=workers,
        count=total,
        page=page,
        facets=facets,
        origin=origin,
        place=place,
    )


def public_status(credential: Credential, today: dt.date) -> tuple[str, str]:
    """(css class, words) for a credential, as the public sees it."""
    if credential.is_verified_and_current(today):
        until = f" until {credential.expires_on:%d %b %Y}" if credential.expires_on else ""
        return "verified", f"Verified, current{until}"
    if credential.is_expired(today):
        return "expired", f"Expired {credential.expires_on:%d %b %Y}"
    if credential.verification_status == Credential.Verification.REVOKED:
        return "revoked", "Revoked or suspended"
    return "unverified", "Not verified by us"


def annotate_credential_status(worker: PeerWorker, today: dt.date) -> None:
    worker.public_credentials = []
    for credential in worker.credentials.all():
        css, words = public_status(credential, today)
        worker.public_credentials.append({"credential": credential, "css": css, "words": words})
    worker.has_current_credential = any(c["css"] == "verified" for c in worker.public_credentials)


def published_worker(slug: str, today: dt.date) -> PeerWorker | None:
    worker = (
        PeerWorker.objects.published()
        .select_related("organization", "service_place")
        .prefetch_related(
            "support_types",
            "languages",
            Prefetch("credentials", queryset=Credential.objects.select_related("credential_type")),
        )
        .filter(slug=slug)
        .first()
    )
    if worker is not None:
        annotate_credential_status(worker, today)
    return worker
