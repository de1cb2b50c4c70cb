"""Open Referral HSDS 3.0: serialisers and queries for the read API under ``/hsds/``.

Identifiers
    Services, organisations and locations use the models' ``uuid`` fields. Everything else gets
    a stable UUID: ``uuid5(NAMESPACE, "<model>:<pk>")`` for taxonomy terms, schedules, phones,
    addresses, contacts, attributes, languages, cost options and virtual locations. A
    service-at-location id is the listing's UUID XOR a fixed mask per kind (physical or
    virtual) that leaves the version and variant bits alone: still a valid v4 UUID, stable, and
    reversible, so ``/service_at_locations/{id}`` is one indexed look-up.

Profile (see :func:`profile`)
    - Taxonomies: our support types (one flat taxonomy) and our listing features (a taxonomy
      whose top-level terms are the feature categories, with the features under them; a term's
      ``code`` is the feature slug and ``term_uri`` names its Meeting Guide type code).
    - Schedules carry RRULE parts (``freq``, ``interval``, ``byday``, ``dtstart``, ``until``).
      HSDS's ``timezone`` is a fixed UTC offset, which would be wrong for half of each year, so
      it is left out and the IANA name is in the extension field ``timezone_name`` (and in the
      ``description``); ``opens_at``/``closes_at`` are wall-clock times in that zone.
    - Online meetings have a ``virtual`` location whose ``url`` joins the meeting.
    - Peer workers and their credentials are not published through this API yet: a worker's
      credential status depends on the day (expiry), and HSDS has no person entity. They are on
      the website under /peer-workers/.
    - ``format=ndjson`` and ``minimal`` are not offered (400 and ignored respectively).
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

from directory.feeds.ical import rrule_for
from directory.models import (
    Feature,
    FeatureCategory,
    Location,
    Organization,
    Place,
    Resource,
    Schedule,
    SupportType,
)
from directory.scheduling import describe, first_meeting_day

HSDS_VERSION = "3.0"
NAMESPACE = uuid.UUID("0c1d4a07-6f51-4f0e-9d3a-3c8b9f2e7d15")
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


def derived_id(kind: str, key) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


SUPPORT_TYPE_TAXONOMY_ID = derived_id("taxonomy", "support-types")
FEATURE_TAXONOMY_ID = derived_id("taxonomy", "features")

# Version (bits 76-79) and variant (bits 62-63) untouched, so the result is still a v4 UUID.
_KEEP_FORMAT = ~((0xF << 76) | (0x3 << 62))
SAL_MASKS = {
    "physical": uuid.uuid5(NAMESPACE, "service_at_location:physical").int & _KEEP_FORMAT,
    "virtual": uuid.uuid5(NAMESPACE, "service_at_location:virtual").int & _KEEP_FORMAT,
}


def sal_id(resource_uuid: uuid.UUID, kind: str) -> str:
    return str(uuid.UUID(int=resource_uuid.int ^ SAL_MASKS[kind]))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _clean(data: dict) -> dict:
    """Drop empty optional values: the schemas type them as strings, not nulls."""
    return {key: value for key, value in data.items() if value not in (None, "", [])}


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


# ----------------------------------------------------------------------------- taxonomies


def taxonomies() -> list[dict]:
    return [
        {
            "id": SUPPORT_TYPE_TAXONOMY_ID,
            "name": "Peer support types",
            "description": "The five kinds of peer support for addiction recovery the directory "
            "lists: 12-step programs, recovery groups, peer mentors and support specialists, "
            "family and friends groups, sober companions.",
            "version": "1",
        },
        {
            "id": FEATURE_TAXONOMY_ID,
            "name": "Meeting and listing features",
            "description": "Attributes of a listing (meeting format, audience, accessibility, "
            "language, focus). Top-level terms are categories; terms that correspond to a "
            "Meeting Guide type code name it in term_uri.",
            "uri": "https://github.com/code4recovery/spec",
            "version": "1",
        },
    ]


def _taxonomy_detail(taxonomy_id: str) -> dict:
    return next(t for t in taxonomies() if t["id"] == taxonomy_id)


def support_type_term(support_type: SupportType) -> dict:
    return _clean(
        {
            "id": derived_id("SupportType", support_type.pk),
            "code": support_type.slug,
            "name": support_type.name,
            "description": support_type.summary or "",
            "taxonomy": "Peer support types",
            "taxonomy_id": SUPPORT_TYPE_TAXONOMY_ID,
            "taxonomy_detail": _taxonomy_detail(SUPPORT_TYPE_TAXONOMY_ID),
            "language": "en",
        }
    ) | {"description": support_type.summary or ""}


def category_term(category: FeatureCategory) -> dict:
    return {
        "id": derived_id("FeatureCategory", category.pk),
        "code": category.slug,
        "name": category.name,
        "description": "",
        "taxonomy": "Meeting and listing features",
        "taxonomy_id": FEATURE_TAXONOMY_ID,
        "taxonomy_detail": _taxonomy_detail(FEATURE_TAXONOMY_ID),
        "language": "en",
    }


def feature_term(feature: Feature) -> dict:
    term = {
        "id": derived_id("Feature", feature.pk),
        "code": feature.slug,
        "name": feature.name,
        "description": feature.description or "",
        "parent_id": derived_id("FeatureCategory", feature.category_id),
        "taxonomy": "Meeting and listing features",
        "taxonomy_id": FEATURE_TAXONOMY_ID,
        "taxonomy_detail": _taxonomy_detail(FEATURE_TAXONOMY_ID),
        "language": "en",
    }
    if feature.code:
        term["term_uri"] = f"https://github.com/code4recovery/spec#{feature.code}"
    return term


class TermIndex:
    """Every taxonomy term (support types, categories, features) in three small queries."""

    def __init__(self):
        self.entries: list[tuple[dict, str, object]] = []
        for support_type in SupportType.objects.all():
            self.entries.append((support_type_term(support_type), "support_type", support_type))
        for category in FeatureCategory.objects.all():
            self.entries.append((category_term(category), "category", category))
        for feature in Feature.objects.select_related("category"):
            self.entries.append((feature_term(feature), "feature", feature))
        self.by_id = {term["id"]: (term, kind, obj) for term, kind, obj in self.entries}

    def filter(self, params) -> list[dict]:
        terms = [term for term, _, _ in self.entries]
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

    def resource_q(self, term_id: uuid.UUID) -> Q | None:
        found = self.by_id.get(str(term_id))
        if found is None:
            return None
        _, kind, obj = found
        if kind == "support_type":
            return Q(support_type=obj)
        through = Resource.features.through.objects.filter(resource=OuterRef("pk"))
        if kind == "category":
            return Q(Exists(through.filter(feature__category=obj)))
        return Q(Exists(through.filter(feature=obj)))


# ----------------------------------------------------------------------------- objects


def organization_basic(org: Organization) -> dict:
    return _clean(
        {
            "id": str(org.uuid),
            "name": org.name,
            "description": org.description,
            "email": org.email,
            "website": org.website,
        }
    ) | {"description": org.description or ""}


def organization_full(org: Organization, services: list[dict], locations: list[dict]) -> dict:
    data = organization_basic(org)
    if org.phone:
        data["phones"] = [
            {
                "id": derived_id("Organization.phone", org.pk),
                "organization_id": str(org.uuid),
                "number": org.phone,
                "type": "voice",
            }
        ]
    data["locations"] = locations
    data["services"] = services  # openapi.json: "service array that contains simple information"
    return data


def address(location: Location) -> dict:
    return {
        "id": derived_id("Location.address", location.pk),
        "location_id": str(location.uuid),
        "address_1": location.address_line1,
        "address_2": location.address_line2,
        "city": location.city,
        "state_province": location.region,
        "postal_code": location.postal_code,
        "country": location.country,
        "address_type": "physical",
    }


def physical_location(location: Location, features: list[Feature] = ()) -> dict:
    data = _clean(
        {
            "id": str(location.uuid),
            "location_type": "physical",
            "name": location.name,
            "transportation": location.notes,
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
    )
    data["addresses"] = [_clean(address(location)) | _required_address(location)]
    accessible = [f for f in features if f.category.slug == "accessibility"]
    if accessible:
        data["accessibility"] = [
            {
                "id": derived_id("accessibility", f"{location.pk}:{f.pk}"),
                "location_id": str(location.uuid),
                "description": f.name,
            }
            for f in accessible
        ]
    return data


def _required_address(location: Location) -> dict:
    # address_1, city, state_province, postal_code and country are required (maybe empty).
    full = address(location)
    return {k: full[k] for k in ("address_1", "city", "state_province", "postal_code", "country")}


def virtual_location(resource: Resource) -> dict:
    return _clean(
        {
            "id": derived_id("virtual-location", resource.pk),
            "location_type": "virtual",
            "name": "Online",
            "url": resource.conference_url,
            "description": resource.conference_url_notes,
        }
    )


def service_status(resource: Resource) -> str:
    if resource.attendance == Resource.Attendance.INACTIVE:
        return "temporarily closed"
    return "active"


class Urls:
    def __init__(self, base: str):
        from directory.feeds.meeting_guide import UrlBuilder

        self.base = base.rstrip("/")
        self.builder = UrlBuilder(self.base)

    def page(self, resource: Resource) -> str:
        return self.builder.detail_url(resource.slug)

    def ics(self, resource: Resource) -> str:
        return f"{self.base}/resources/{resource.slug}.ics"


def service_basic(resource: Resource, urls: Urls) -> dict:
    fees = resource.get_cost_display()
    if resource.cost_notes:
        fees += f": {resource.cost_notes}"
    data = _clean(
        {
            "id": str(resource.uuid),
            "organization_id": str(resource.organization.uuid) if resource.organization else None,
            "name": resource.name,
            "description": resource.description,
            "url": resource.website or urls.page(resource),
            "email": resource.contact_email,
            "status": service_status(resource),
            "fees_description": fees,
            "assured_date": resource.last_verified_at.date().isoformat()
            if resource.last_verified_at
            else None,
            "last_modified": _iso(resource.updated_at),
        }
    )
    if resource.organization:
        data["organization"] = organization_basic(resource.organization)
    return data


def schedule_object(schedule: Schedule, resource: Resource, urls: Urls) -> dict:
    rule = rrule_for(schedule)
    created = resource.created_at.astimezone(dt.UTC).date()
    first = first_meeting_day(schedule, created)
    return _clean(
        {
            "id": derived_id("Schedule", schedule.pk),
            "service_id": str(resource.uuid),
            "valid_from": schedule.valid_from.isoformat() if schedule.valid_from else None,
            "valid_to": schedule.valid_to.isoformat() if schedule.valid_to else None,
            "dtstart": first.isoformat() if first else None,
            "until": schedule.valid_to.isoformat() if schedule.valid_to else None,
            "wkst": "SU",
            "freq": rule["FREQ"],
            "interval": rule.get("INTERVAL"),
            "byday": rule["BYDAY"],
            "opens_at": schedule.start_time.strftime("%H:%M"),
            "closes_at": schedule.end_time.strftime("%H:%M") if schedule.end_time else None,
            "description": f"{describe(schedule)} ({schedule.timezone})",
            "notes": schedule.notes,
            "schedule_link": urls.ics(resource),
            "attending_type": resource.get_attendance_display(),
            "timezone_name": schedule.timezone,  # profile extension: see the module docstring
        }
    )


def phones(resource: Resource) -> list[dict]:
    found = []
    if resource.is_online and resource.conference_phone:
        found.append(
            _clean(
                {
                    "id": derived_id("Resource.conference_phone", resource.pk),
                    "service_id": str(resource.uuid),
                    "number": resource.conference_phone,
                    "type": "voice",
                    "description": "Join the meeting by phone. " + resource.conference_phone_notes,
                }
            )
        )
    if resource.contact_phone:
        found.append(
            {
                "id": derived_id("Resource.contact_phone", resource.pk),
                "service_id": str(resource.uuid),
                "number": resource.contact_phone,
                "type": "voice",
                "description": "Contact",
            }
        )
    return found


def service_at_locations(resource: Resource, features: list[Feature], *, nested: bool) -> list:
    """The listing's service-at-locations: its meeting place and/or its online room."""
    rows = []
    if resource.location is not None and resource.attendance != Resource.Attendance.ONLINE:
        location = physical_location(resource.location, features)
        rows.append(
            {
                "id": sal_id(resource.uuid, "physical"),
                "service_id": str(resource.uuid),
                "location_id": location["id"],
                "location": location,
            }
        )
    if resource.is_online:
        location = virtual_location(resource)
        rows.append(
            {
                "id": sal_id(resource.uuid, "virtual"),
                "service_id": str(resource.uuid),
                "location_id": location["id"],
                "location": location,
            }
        )
    if not nested:
        for row in rows:
            row["location"] = {k: v for k, v in row["location"].items() if not isinstance(v, list)}
    return rows


def attributes(resource: Resource, features: list[Feature]) -> list[dict]:
    service_id = str(resource.uuid)
    terms = [("support_type", support_type_term(resource.support_type))]
    terms += [(f.category.slug, feature_term(f)) for f in features]
    return [
        {
            "id": derived_id("attribute", f"{resource.pk}:{term['id']}"),
            "link_id": service_id,
            "link_type": link_type,
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
        }
        for link_type, term in terms
    ]


def service_full(resource: Resource, urls: Urls) -> dict:
    """A fully nested service (resource loaded with :func:`services_queryset` ``full=True``)."""
    features = list(resource.features.all())
    data = service_basic(resource, urls)
    data["phones"] = phones(resource)
    data["schedules"] = [schedule_object(s, resource, urls) for s in resource.schedules.all()]
    data["service_at_locations"] = service_at_locations(resource, features, nested=True)
    data["languages"] = [
        {
            "id": derived_id("language", f"{resource.pk}:{f.pk}"),
            "service_id": str(resource.uuid),
            "name": f.name,
        }
        for f in features
        if f.category.slug == "language"
    ]
    data["cost_options"] = [
        _clean(
            {
                "id": derived_id("cost_option", resource.pk),
                "service_id": str(resource.uuid),
                "option": resource.get_cost_display(),
                "amount_description": resource.cost_notes,
            }
        )
    ]
    if resource.contact_name or resource.contact_email:
        from directory.feeds.meeting_guide import first_name_only

        data["contacts"] = [
            _clean(
                {
                    "id": derived_id("contact", resource.pk),
                    "service_id": str(resource.uuid),
                    "name": first_name_only(resource.contact_name),
                    "email": resource.contact_email,
                }
            )
        ]
    data["attributes"] = attributes(resource, features)
    return data


# ----------------------------------------------------------------------------- queries


def published_services(*, full: bool = False) -> QuerySet:
    qs = Resource.objects.published().select_related("organization", "support_type", "location")
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
        model = Resource
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        text = value[:200]
        return qs.filter(Q(name__icontains=text) | Q(description__icontains=text))

    def filter_taxonomy_term(self, qs: QuerySet, name: str, value: uuid.UUID) -> QuerySet:
        term_q = TermIndex().resource_q(value)
        return qs.none() if term_q is None else qs.filter(term_q)

    def filter_taxonomy(self, qs: QuerySet, name: str, value: uuid.UUID) -> QuerySet:
        if str(value) == FEATURE_TAXONOMY_ID:
            return qs.filter(
                Exists(Resource.features.through.objects.filter(resource=OuterRef("pk")))
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
    return page.wrap(total, [serialise(resource, urls) for resource in items])


def service_detail(service_id: str, urls: Urls) -> dict | None:
    try:
        key = uuid.UUID(service_id)
    except ValueError:
        return None
    resource = published_services(full=True).filter(uuid=key).first()
    return service_full(resource, urls) if resource else None


def published_organizations() -> QuerySet:
    has_listing = Resource.objects.published().filter(organization=OuterRef("pk"))
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
        for row in Resource.objects.published()
        .filter(organization=org)
        .order_by("name", "pk")
        .values("uuid", "name")
    ]
    locations = [
        physical_location(location)
        for location in Location.objects.filter(
            Exists(Resource.objects.published().filter(organization=org, location=OuterRef("pk")))
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
    terms = TermIndex().filter(params)
    return page.wrap(*page.of(terms))


def taxonomy_term_detail(term_id: str) -> dict | None:
    found = TermIndex().by_id.get(term_id.lower())
    return found[0] if found else None


# Service-at-locations: physical ones (a listing met in a place) first, then virtual ones.


def _sal_querysets(params):
    base = filter_services(published_services(full=True), params).order_by("name", "pk")
    physical = base.filter(location__isnull=False).exclude(attendance=Resource.Attendance.ONLINE)
    virtual = base.filter(attendance__in=[Resource.Attendance.ONLINE, Resource.Attendance.HYBRID])
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


def _sal_row(resource: Resource, kind: str, urls: Urls, *, nested: bool) -> dict:
    features = list(resource.features.all())
    rows = service_at_locations(resource, features, nested=nested)
    row = next(r for r in rows if r["id"] == sal_id(resource.uuid, kind))
    if nested:
        service = service_full(resource, urls)
        service.pop("service_at_locations")
        row["service"] = service
        row["schedules"] = service["schedules"]
        row["phones"] = service["phones"]
        row["attributes"] = service["attributes"]
    else:
        row["service"] = service_basic(resource, urls)
    return row


def service_at_location_list(params, urls: Urls) -> dict:
    page = Page.from_params(params)
    physical, virtual = _sal_querysets(params)
    total, rows = page.of(_PhysicalThenVirtual(physical, virtual))
    return page.wrap(
        total, [_sal_row(resource, kind, urls, nested=False) for resource, kind in rows]
    )


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
    for resource in published_services(full=True).filter(uuid__in=list(candidates)):
        kind = candidates[resource.uuid]
        if any(r["id"] == str(key) for r in service_at_locations(resource, [], nested=False)):
            return _sal_row(resource, kind, urls, nested=True)
    return None


def root(base: str) -> dict:
    return {
        "version": HSDS_VERSION,
        "profile": f"{base}/hsds/profile",
        "openapi_url": f"{base}/hsds/openapi.json",
    }


def profile(base: str) -> dict:
    """What this API adds to and leaves out of HSDS 3.0 (the ``profile`` URL of the root)."""
    return {
        "name": "Peer Support Directory profile of HSDS 3.0",
        "base": "https://docs.openreferral.org/en/latest/hsds/",
        "openapi_url": f"{base}/hsds/openapi.json",
        "taxonomies": taxonomies(),
        "extensions": {
            "schedule.timezone_name": "IANA time zone of opens_at/closes_at and dtstart "
            "(HSDS's numeric timezone cannot follow daylight-saving changes, so it is omitted).",
            "organization.services": "Published services of the organisation (id and name).",
        },
        "notes": [
            "A service is a published listing (meeting, group or programme).",
            "Online meetings have a virtual location whose url joins the meeting.",
            "Monthly and every-N-weeks meetings are schedules with freq MONTHLY (byday like 1SA "
            "or -1FR) or WEEKLY with interval and dtstart on a meeting day.",
            "Peer workers and their credentials are not published through this API yet; see "
            "/peer-workers/ on the website.",
            "Contact names are first names only.",
            "format=ndjson is not offered; per_page is at most 100.",
        ],
    }
