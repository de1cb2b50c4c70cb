"""Faceted directory of peer workers (mentors, recovery coaches, sober companions).

Every facet count is the number of results its link would give. There are far fewer workers
than listings, so the counts come from one query: the ids of the workers the keyword and place
allow, and for every facet value the ids of the workers that have it (one aggregated row per
value). The selection and each value's toggled selection are then combined as boolean arrays,
exactly as ``_full_q`` combines them in SQL for the page of results.

The facet values on offer and, for a search without keyword or place, the members of every
value are kept per process (``_Snapshot``) until the worker search version changes: database
triggers give it a new token after every write to what this search reads
(``directory.search.triggers``). Checked at most once every
``DIRECTORY_SEARCH_INDEX_CHECK_SECONDS``, as the listing index is.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    StringAgg,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Concat, RowNumber
from django.utils.translation import gettext_lazy

from directory.models import (
    Credential,
    CredentialType,
    Feature,
    PeerWorker,
    SearchVersion,
    SupportType,
)
from directory.peer_workers.credentials import annotate_credential_status
from directory.search import geo
from directory.search.facets import Counted, Facet, FacetValue, paginate

PER_PAGE = 20
FACETS = ["type", "credential", "verified", "language", "mode", "accepting"]
LEGENDS = {
    "type": gettext_lazy("Type of support"),
    "credential": gettext_lazy("Credential"),
    "verified": gettext_lazy("Verification"),
    "language": gettext_lazy("Language"),
    "mode": gettext_lazy("How they work"),
    "accepting": gettext_lazy("Availability"),
}
# Kept with the facet choices across requests: lazy, read in each visitor's language.
MODE_CHOICES = {"online": gettext_lazy("Online"), "in_person": gettext_lazy("In person")}
VERIFIED_CHOICE = gettext_lazy("Verified, current credential only")
ACCEPTING_CHOICE = gettext_lazy("Accepting new clients")
FLAGS = {"online": 1, "in_person": 2, "accepting": 4}  # bits of _members' worker rows


class FacetChoices(dict[str, dict[str, str]]):
    """The values each facet offers: {facet: {value: label}}, in the order shown.

    ``pks`` holds the primary key behind each type, credential and language value.
    """

    def __init__(self, labels: dict[str, dict[str, str]], pks: dict[tuple[str, str], int]):
        super().__init__(labels)
        self.pks = pks


@dataclass
class WorkerQuery:
    selection: dict[str, list[str]] = field(default_factory=dict)
    q: str = ""
    near: str = ""
    radius: int | None = None
    page: int = 1
    # The facet values on offer, when the caller (the search form) has already read them.
    choices: FacetChoices | None = field(default=None, repr=False, compare=False)


@dataclass
class WorkerSearchResult:
    results: list[PeerWorker]
    count: int
    page: Page
    facets: list[Facet]
    origin: geo.Origin | None
    place: geo.PlaceLookup


def _choice_rows(queryset: QuerySet, facet: str, label, order_by: list) -> QuerySet:
    """(facet, slug, label, rank, pk) for a union; rank keeps the model's own order."""
    return (
        queryset.order_by()
        .annotate(
            c_facet=Value(facet, output_field=CharField()),
            c_value=F("slug"),
            c_label=label,
            c_rank=Window(RowNumber(), order_by=order_by),
            c_pk=F("pk"),
        )
        .values_list("c_facet", "c_value", "c_label", "c_rank", "c_pk")
    )


@dataclass
class _Snapshot:
    """What this process has read of the worker search at one version of the data."""

    version: int | None
    checked_at: float
    choices: FacetChoices | None = None
    members: dict[dt.date, _Members] = field(default_factory=dict)  # per day, with choices


_snapshot: _Snapshot | None = None


def _current_snapshot() -> _Snapshot:
    global _snapshot
    snapshot, now = _snapshot, time.monotonic()
    interval = settings.DIRECTORY_SEARCH_INDEX_CHECK_SECONDS
    if snapshot is not None and now - snapshot.checked_at < interval:
        return snapshot
    from directory.search.triggers import WORKERS

    version = SearchVersion.objects.filter(pk=WORKERS).values_list("token", flat=True).first()
    if snapshot is None or snapshot.version != version:
        snapshot = _Snapshot(version, now)
    snapshot.checked_at = now
    _snapshot = snapshot  # replaced whole: a thread holding the old one finishes with it
    return snapshot


def worker_facet_choices() -> FacetChoices:
    """The values each facet offers (for the search form and the page): one query per version."""
    snapshot = _current_snapshot()
    if snapshot.choices is None:
        snapshot.choices = _read_facet_choices()
    return snapshot.choices


def _read_facet_choices() -> FacetChoices:
    types = _choice_rows(
        SupportType.objects.filter(
            Exists(PeerWorker.support_types.through.objects.filter(supporttype=OuterRef("pk")))
        ),
        "type",
        F("name"),
        [F("position").asc(), F("name").asc()],
    )
    credentials = _choice_rows(
        CredentialType.objects.filter(
            Exists(Credential.objects.filter(credential_type=OuterRef("pk")))
        ),
        "credential",
        Concat(F("abbreviation"), Value(" – "), F("name"), output_field=CharField()),
        [F("abbreviation").asc(), F("issuing_body").asc()],
    )
    languages = _choice_rows(
        Feature.objects.filter(
            Exists(PeerWorker.languages.through.objects.filter(feature=OuterRef("pk"))),
            category__slug="language",
        ),
        "language",
        F("name"),
        [F("position").asc(), F("name").asc()],
    )
    found: dict[str, list[tuple[int, str, str]]] = {"type": [], "credential": [], "language": []}
    pks = {}
    for facet, value, label, rank, pk in types.union(credentials, languages, all=True).order_by():
        found[facet].append((rank, value, label))
        pks[(facet, value)] = pk
    labels = {
        facet: {value: label for _, value, label in sorted(rows)} for facet, rows in found.items()
    }
    return FacetChoices(
        {
            "type": labels["type"],
            "credential": labels["credential"],
            "verified": {"current": VERIFIED_CHOICE},
            "language": labels["language"],
            "mode": MODE_CHOICES,
            "accepting": {"yes": ACCEPTING_CHOICE},
        },
        pks,
    )


def _full_q(
    selection: dict[str, list[str]], today: dt.date, pks: dict[tuple[str, str], int] | None = None
) -> Q:
    """The selection as a condition on workers.

    With ``pks`` ((facet, value) -> primary key) the condition names values by key instead of
    joining on their slugs, so PostgreSQL knows how common each one is: a language every
    worker speaks, looked up by slug, was planned as 66 rows of 4,500 (a slow plan).
    """

    def values(facet: str, slugs: list[str], by_slug: str, by_pk: str) -> dict:
        keys = [pks.get((facet, slug)) for slug in slugs] if pks is not None else [None]
        return {by_slug: slugs} if None in keys else {by_pk: keys}

    q = Q()
    current_only = bool(selection.get("verified"))
    credentials = (
        Credential.objects.verified_and_current(today) if current_only else Credential.objects.all()
    )
    if selection.get("type"):
        q &= Q(
            pk__in=PeerWorker.support_types.through.objects.filter(
                **values("type", selection["type"], "supporttype__slug__in", "supporttype_id__in")
            ).values("peerworker_id")
        )
    if selection.get("credential"):
        q &= Q(
            pk__in=credentials.filter(
                **values(
                    "credential",
                    selection["credential"],
                    "credential_type__slug__in",
                    "credential_type_id__in",
                )
            ).values("worker_id")
        )
    elif current_only:
        q &= Q(pk__in=credentials.values("worker_id"))
    if selection.get("language"):
        q &= Q(
            pk__in=PeerWorker.languages.through.objects.filter(
                **values("language", selection["language"], "feature__slug__in", "feature_id__in")
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


def _id_rows(queryset: QuerySet, kind: str, key, id_field: str) -> QuerySet:
    """(kind, key, ids): the ids in ``id_field`` of the rows, one row per ``key``.

    The ids come as an array on PostgreSQL (half the work of a string there) and as a string
    "id,id,…" elsewhere.
    """
    if connection.vendor == "postgresql":
        ids = ArrayAgg(id_field)
    else:
        ids = StringAgg(Cast(id_field, CharField()), delimiter=Value(","))
    return (
        queryset.order_by()
        .values(f_kind=Value(kind, output_field=CharField()), f_key=key)
        .annotate(f_ids=ids)
        .values_list("f_kind", "f_key", "f_ids")
    )


def _id_array(ids: list[int] | str | None) -> np.ndarray:
    if not ids:
        return np.zeros(0, dtype=np.int64)
    if isinstance(ids, str):
        return np.fromiter(map(int, ids.split(",")), dtype=np.int64)
    return np.array(ids, dtype=np.int64)


@dataclass
class _Members:
    """Who has what, as boolean arrays over the workers the keyword and place allow."""

    size: int
    flags: dict[str, np.ndarray]  # FLAGS
    values: dict[tuple[str, str], np.ndarray]  # (kind, value): type, language, credential, current
    any_current: np.ndarray  # has a verified, current credential (of any type)

    def any_of(self, kind: str, slugs: list[str]) -> np.ndarray:
        found = np.zeros(self.size, dtype=bool)
        for slug in slugs:
            members = self.values.get((kind, slug))
            if members is not None:
                found |= members
        return found

    def matching(self, selection: dict[str, list[str]]) -> np.ndarray:
        """The allowed workers ``_full_q(selection)`` lets through, value for value."""
        found = np.ones(self.size, dtype=bool)
        current_only = bool(selection.get("verified"))
        if selection.get("type"):
            found &= self.any_of("type", selection["type"])
        if selection.get("credential"):
            kind = "current" if current_only else "credential"
            found &= self.any_of(kind, selection["credential"])
        elif current_only:
            found &= self.any_current
        if selection.get("language"):
            found &= self.any_of("language", selection["language"])
        if selection.get("mode"):
            mode = np.zeros(self.size, dtype=bool)
            if "online" in selection["mode"]:
                mode |= self.flags["online"]
            if "in_person" in selection["mode"]:
                mode |= self.flags["in_person"]
            found &= mode
        if selection.get("accepting"):
            found &= self.flags["accepting"]
        return found


def _members(base: QuerySet, today: dt.date, choices: FacetChoices) -> _Members:
    """Who has what, read in one query.

    The allowed workers' ids come one row per combination of flags; every type, language and
    credential type the ids of all the workers that have it (keyed by primary key: no joins).
    """
    flags = (
        Case(When(offers_online=True, then=Value(FLAGS["online"])), default=Value(0))
        + Case(When(offers_in_person=True, then=Value(FLAGS["in_person"])), default=Value(0))
        + Case(When(accepting_new_clients=True, then=Value(FLAGS["accepting"])), default=Value(0))
    )
    links = PeerWorker.support_types.through.objects.all()
    languages = PeerWorker.languages.through.objects.all()
    rows = (
        _id_rows(base, "worker", flags, "pk")
        .union(
            _id_rows(links, "type", F("supporttype_id"), "peerworker_id"),
            _id_rows(languages, "language", F("feature_id"), "peerworker_id"),
            _id_rows(Credential.objects.all(), "credential", F("credential_type_id"), "worker_id"),
            _id_rows(
                Credential.objects.verified_and_current(today),
                "current",
                F("credential_type_id"),
                "worker_id",
            ),
            all=True,
        )
        .order_by()
    )
    parsed = [(kind, key, _id_array(ids)) for kind, key, ids in rows]
    # Positions in the sorted ids of the allowed workers; other workers' rows are left out.
    allowed = np.sort(
        np.concatenate([np.zeros(0, np.int64)] + [i for k, _, i in parsed if k == "worker"])
    )
    size = len(allowed)

    def members(ids: np.ndarray) -> np.ndarray:
        positions = np.searchsorted(allowed, ids)
        inside = positions < size
        inside[inside] = allowed[positions[inside]] == ids[inside]
        found = np.zeros(size, dtype=bool)
        found[positions[inside]] = True
        return found

    flag_sets = {name: np.zeros(size, dtype=bool) for name in FLAGS}
    by_pk: dict[tuple[str, int], np.ndarray] = {}
    any_current = np.zeros(size, dtype=bool)
    for kind, key, ids in parsed:
        found = members(ids)
        if kind == "worker":
            for name, bit in FLAGS.items():
                if key & bit:
                    flag_sets[name] |= found
        else:
            by_pk[(kind, key)] = found
            if kind == "current":
                any_current |= found
    values = {}
    for (facet, value), pk in choices.pks.items():
        for kind in ("credential", "current") if facet == "credential" else (facet,):
            if (kind, pk) in by_pk:
                values[(kind, value)] = by_pk[(kind, pk)]
    return _Members(size, flag_sets, values, any_current)


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
    choices = query.choices if query.choices is not None else worker_facet_choices()

    snapshot = _current_snapshot()
    if query.q or origin is not None or choices is not snapshot.choices:
        members = _members(base, today, choices)
    else:
        # Every published worker, with this version's choices: the same for every search
        # of this day until a write to what the worker search reads.
        members = snapshot.members.get(today)
        if members is None:
            members = _members(base, today, choices)
            snapshot.members = {today: members}  # one day's kept
    facets = []
    for name in FACETS:
        current = selection.get(name, [])
        values = []
        for value, label in choices[name].items():
            toggled = [v for v in current if v != value] if value in current else [*current, value]
            count = int(np.count_nonzero(members.matching({**selection, name: toggled})))
            if count == 0 and value not in current:
                continue
            values.append(
                FacetValue(
                    value, label, count, value in current, params={name: toggled, "page": None}
                )
            )
        facets.append(Facet(name, LEGENDS[name], values))

    total = int(np.count_nonzero(members.matching(selection)))
    ordered = base.filter(_full_q(selection, today, choices.pks))
    ordered = (
        ordered.order_by(F("distance").asc(nulls_last=True), "display_name")
        if origin
        else ordered.order_by("display_name", "pk")
    )
    # No select_related("organization"): the cards don't show it, and joining it made the planner
    # join every match before sorting (its estimate for a keyword's icontains is one row).
    ordered = ordered.prefetch_related(
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
