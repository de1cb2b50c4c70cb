"""The HSDS 3.0 read API under ``/hsds/``: its query parameters (a parameter it cannot use is
a ``ParameterError``: 400 naming it), paging, and the lists and details it answers, in the
objects of ``directory.feeds.hsds``.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from directory.feeds.hsds import (
    FEATURE_TAXONOMY_ID,
    SAL_MASKS,
    SUPPORT_TYPE_TAXONOMY_ID,
    TermIndex,
    Urls,
    organization_basic,
    organization_full,
    physical_location,
    sal_id,
    service_at_locations,
    service_basic,
    service_full,
    taxonomies,
)
from directory.models import (
    Feature,
    Listing,
    Location,
    Organization,
    Place,
)

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PROXIMITY_METRES = 500_000
METRES_PER_MILE = 1609.344


class ParameterError(ValueError):
    """A query parameter the API cannot use: answered with 400 and this message."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


# ----------------------------------------------------------------------------- parameters


def parse_uuid(value: str, parameter: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise ParameterError(parameter, f"{parameter} must be a UUID.") from None


def parse_positive_int(value: str | None, parameter: str, default: int) -> int:
    if value in (None, ""):
        return default
    if not (value.isascii() and value.isdigit()):
        raise ParameterError(parameter, f"{parameter} must be a whole number (digits 0-9).")
    if len(value) > 9:
        raise ParameterError(parameter, f"{parameter} is out of range.")
    number = int(value)
    if number < 1:
        raise ParameterError(parameter, f"{parameter} must be 1 or more.")
    return number


class MomentField(forms.Field):
    """An ISO 8601 date or date-time; a date is its midnight, a time without offset is UTC."""

    default_error_messages = {"invalid": "must be an ISO 8601 date or date-time."}  # noqa: RUF012

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            moment = parse_datetime(value)
            if moment is None:
                day = parse_date(value)
                if day is not None:
                    moment = dt.datetime.combine(day, dt.time())
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment.replace(tzinfo=dt.UTC) if timezone.is_naive(moment) else moment


def parse_bool(value: str | None, parameter: str) -> bool:
    if value in (None, ""):
        return False
    if value.lower() in {"true", "1", "yes"}:
        return True
    if value.lower() in {"false", "0", "no"}:
        return False
    raise ParameterError(parameter, f"{parameter} must be true or false.")


def check_format(params) -> None:
    if params.get("format", "json") not in ("", "json"):
        raise ParameterError("format", "Only format=json is offered.")


@dataclass
class Page:
    number: int
    per_page: int

    @classmethod
    def from_params(cls, params) -> Page:
        check_format(params)
        number = parse_positive_int(params.get("page"), "page", 1)
        per_page = min(
            parse_positive_int(params.get("per_page"), "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE
        )
        return cls(number, per_page)

    def of(self, items) -> tuple[int, list]:
        """(total, this page's items) of a sequence or queryset; past the end is empty."""
        paginator = Paginator(items, self.per_page)
        try:
            contents = list(paginator.page(self.number).object_list)
        except EmptyPage:
            contents = []
        return paginator.count, contents

    def wrap(self, total: int, contents: list) -> dict:
        total_pages = math.ceil(total / self.per_page)
        return {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": self.number,
            "size": len(contents),
            "first_page": self.number == 1,
            "last_page": self.number >= total_pages,
            "empty": len(contents) == 0,
            "contents": contents,
        }


def filter_terms(index: TermIndex, params) -> list[dict]:
    terms = [term for term, _, _ in index.entries]
    if params.get("taxonomy_id"):
        wanted = str(parse_uuid(params["taxonomy_id"], "taxonomy_id"))
        terms = [t for t in terms if t["taxonomy_id"] == wanted]
    if parse_bool(params.get("top_only"), "top_only"):
        terms = [t for t in terms if "parent_id" not in t]
    if params.get("parent_id"):
        wanted = str(parse_uuid(params["parent_id"], "parent_id"))
        terms = [t for t in terms if t.get("parent_id") == wanted]
    if params.get("search"):
        needle = params["search"].lower()
        terms = [t for t in terms if needle in t["name"].lower() or needle in t["code"]]
    return terms


# ----------------------------------------------------------------------------- queries


def published_services(*, full: bool = False) -> QuerySet:
    qs = Listing.objects.published().select_related("organization", "support_type", "location")
    if full:
        qs = qs.prefetch_related(
            Prefetch("features", queryset=Feature.objects.select_related("category")),
            "schedules",
        )
    return qs


class HsdsFilterSet(django_filters.FilterSet):
    """An HSDS list's filters: each parameter filters the queryset; one the API cannot use is
    a ``ParameterError`` (400, naming it). Parameters that are not filters (paging, ``full``,
    ``format``, the service-at-location place) are read by the list itself."""

    def filtered(self) -> QuerySet:
        if not self.is_valid():
            parameter, errors = next(iter(self.errors.items()))
            raise ParameterError(parameter, f"{parameter} {errors[0]}")
        return self.qs


class MomentFilter(django_filters.Filter):
    field_class = MomentField  # django-filter's way to give a filter its own form field


def _uuid_filter(**kwargs) -> django_filters.UUIDFilter:
    return django_filters.UUIDFilter(error_messages={"invalid": "must be a UUID."}, **kwargs)


class ServiceFilterSet(HsdsFilterSet):
    search = django_filters.CharFilter(method="filter_search")
    organization_id = _uuid_filter(field_name="organization__uuid")
    modified_after = MomentFilter(field_name="updated_at", lookup_expr="gte")
    taxonomy_term_id = _uuid_filter(method="filter_taxonomy_term")
    taxonomy_id = _uuid_filter(method="filter_taxonomy")

    class Meta:
        model = Listing
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        text = value[:200]
        return qs.filter(Q(name__icontains=text) | Q(description__icontains=text))

    def filter_taxonomy_term(self, qs: QuerySet, name: str, value: uuid.UUID) -> QuerySet:
        term_q = TermIndex().listing_q(value)
        return qs.none() if term_q is None else qs.filter(term_q)

    def filter_taxonomy(self, qs: QuerySet, name: str, value: uuid.UUID) -> QuerySet:
        if str(value) == FEATURE_TAXONOMY_ID:
            return qs.filter(
                Exists(Listing.features.through.objects.filter(listing=OuterRef("pk")))
            )
        return qs if str(value) == SUPPORT_TYPE_TAXONOMY_ID else qs.none()


class OrganizationFilterSet(HsdsFilterSet):
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(name__icontains=value[:200])


def filter_services(qs: QuerySet, params) -> QuerySet:
    return ServiceFilterSet(params, queryset=qs).filtered()


def service_list(params, urls: Urls) -> dict:
    page = Page.from_params(params)
    full = parse_bool(params.get("full"), "full")
    qs = filter_services(published_services(full=full), params).order_by("name", "pk")
    total, items = page.of(qs)
    serialise = service_full if full else service_basic
    return page.wrap(total, [serialise(listing, urls) for listing in items])


def service_detail(service_id: str, urls: Urls) -> dict | None:
    try:
        key = uuid.UUID(service_id)
    except ValueError:
        return None
    listing = published_services(full=True).filter(uuid=key).first()
    return service_full(listing, urls) if listing else None


def published_organizations() -> QuerySet:
    has_listing = Listing.objects.published().filter(organization=OuterRef("pk"))
    return Organization.objects.filter(Exists(has_listing))


def organization_list(params) -> dict:
    page = Page.from_params(params)
    qs = OrganizationFilterSet(params, queryset=published_organizations()).filtered()
    total, items = page.of(qs.order_by("name", "pk"))
    return page.wrap(total, [organization_basic(org) for org in items])


def organization_detail(organization_id: str, urls: Urls) -> dict | None:
    try:
        key = uuid.UUID(organization_id)
    except ValueError:
        return None
    org = published_organizations().filter(uuid=key).first()
    if org is None:
        return None
    services = [
        {"id": str(row["uuid"]), "name": row["name"]}
        for row in Listing.objects.published()
        .filter(organization=org)
        .order_by("name", "pk")
        .values("uuid", "name")
    ]
    locations = [
        physical_location(location)
        for location in Location.objects.filter(
            Exists(Listing.objects.published().filter(organization=org, location=OuterRef("pk")))
        ).order_by("pk")
    ]
    return organization_full(org, services, locations)


def taxonomy_list(params) -> dict:
    page = Page.from_params(params)
    items = taxonomies()
    if params.get("search"):
        needle = params["search"].lower()
        items = [t for t in items if needle in t["name"].lower()]
    return page.wrap(*page.of(items))


def taxonomy_detail(taxonomy_id: str) -> dict | None:
    return next((t for t in taxonomies() if t["id"] == taxonomy_id.lower()), None)


def taxonomy_term_list(params) -> dict:
    page = Page.from_params(params)
    terms = filter_terms(TermIndex(), params)
    return page.wrap(*page.of(terms))


def taxonomy_term_detail(term_id: str) -> dict | None:
    found = TermIndex().by_id.get(term_id.lower())
    return found[0] if found else None


# Service-at-locations: physical ones (a listing met in a place) first, then virtual ones.


def _sal_querysets(params):
    base = filter_services(published_services(full=True), params).order_by("name", "pk")
    physical = base.filter(location__isnull=False).exclude(attendance=Listing.Attendance.ONLINE)
    virtual = base.filter(attendance__in=[Listing.Attendance.ONLINE, Listing.Attendance.HYBRID])
    postcode = (params.get("postcode") or "").strip()
    proximity = params.get("proximity")
    if proximity not in (None, "") and not postcode:
        raise ParameterError("proximity", "proximity needs a postcode to measure from.")
    if postcode:
        virtual = virtual.none()  # an online room has no postcode
        if proximity in (None, ""):
            physical = physical.filter(location__postal_code__iexact=postcode)
        else:
            physical = _near_postcode(physical, postcode, proximity)
    return physical, virtual


def _near_postcode(qs: QuerySet, postcode: str, proximity: str) -> QuerySet:
    from directory.search import geo

    try:
        if not proximity.isascii():
            raise ValueError(proximity)
        metres = float(proximity)
    except ValueError:
        raise ParameterError("proximity", "proximity must be a number of metres.") from None
    if not 0 < metres <= MAX_PROXIMITY_METRES or math.isnan(metres):
        raise ParameterError(
            "proximity", f"proximity must be between 0 and {MAX_PROXIMITY_METRES} metres."
        )
    place = Place.objects.filter(
        kind=Place.Kind.POSTAL_CODE, search_name=geo.fold(postcode)
    ).first()
    if place is None:
        return qs.none()
    origin = geo.Origin(place.latitude, place.longitude, place.name)
    miles = metres / METRES_PER_MILE
    return (
        qs.filter(geo.bounding_box_q("location__latitude", "location__longitude", origin, miles))
        .annotate(distance=geo.distance_miles("location__latitude", "location__longitude", origin))
        .filter(distance__lte=miles)
    )


def _sal_row(listing: Listing, kind: str, urls: Urls, *, nested: bool) -> dict:
    features = list(listing.features.all())
    rows = service_at_locations(listing, features, nested=nested)
    row = next(r for r in rows if r["id"] == sal_id(listing.uuid, kind))
    if nested:
        service = service_full(listing, urls)
        service.pop("service_at_locations")
        row["service"] = service
        row["schedules"] = service["schedules"]
        row["phones"] = service["phones"]
        row["attributes"] = service["attributes"]
    else:
        row["service"] = service_basic(listing, urls)
    return row


def service_at_location_list(params, urls: Urls) -> dict:
    page = Page.from_params(params)
    physical, virtual = _sal_querysets(params)
    total, rows = page.of(_PhysicalThenVirtual(physical, virtual))
    return page.wrap(total, [_sal_row(listing, kind, urls, nested=False) for listing, kind in rows])


class _PhysicalThenVirtual:
    """Physical service-at-locations, then virtual ones, as one sliceable list for paging."""

    def __init__(self, physical: QuerySet, virtual: QuerySet):
        self.physical, self.virtual = physical, virtual
        self.physical_total = physical.count()
        self.total = self.physical_total + virtual.count()

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        rows = (
            [(r, "physical") for r in self.physical[start:stop]]
            if start < self.physical_total
            else []
        )
        v_start, v_stop = max(0, start - self.physical_total), max(0, stop - self.physical_total)
        if v_stop > v_start:
            rows += [(r, "virtual") for r in self.virtual[v_start:v_stop]]
        return rows


def service_at_location_detail(sal: str, urls: Urls) -> dict | None:
    try:
        key = uuid.UUID(sal)
    except ValueError:
        return None
    candidates = {uuid.UUID(int=key.int ^ mask): kind for kind, mask in SAL_MASKS.items()}
    for listing in published_services(full=True).filter(uuid__in=list(candidates)):
        kind = candidates[listing.uuid]
        if any(r["id"] == str(key) for r in service_at_locations(listing, [], nested=False)):
            return _sal_row(listing, kind, urls, nested=True)
    return None
