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
import uuid

from django.db.models import Exists, OuterRef, Q

from directory.feeds.ical import rrule_for
from directory.models import (
    Feature,
    FeatureCategory,
    Listing,
    Location,
    Organization,
    Schedule,
    SupportType,
)
from directory.scheduling import describe, first_meeting_day

HSDS_VERSION = "3.0"
NAMESPACE = uuid.UUID("0c1d4a07-6f51-4f0e-9d3a-3c8b9f2e7d15")


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


def sal_id(listing_uuid: uuid.UUID, kind: str) -> str:
    return str(uuid.UUID(int=listing_uuid.int ^ SAL_MASKS[kind]))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _clean(data: dict) -> dict:
    """Drop empty optional values: the schemas type them as strings, not nulls."""
    return {key: value for key, value in data.items() if value not in (None, "", [])}


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

    def listing_q(self, term_id: uuid.UUID) -> Q | None:
        found = self.by_id.get(str(term_id))
        if found is None:
            return None
        _, kind, obj = found
        if kind == "support_type":
            return Q(support_type=obj)
        through = Listing.features.through.objects.filter(listing=OuterRef("pk"))
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


def virtual_location(listing: Listing) -> dict:
    return _clean(
        {
            "id": derived_id("virtual-location", listing.pk),
            "location_type": "virtual",
            "name": "Online",
            "url": listing.conference_url,
            "description": listing.conference_url_notes,
        }
    )


def service_status(listing: Listing) -> str:
    if listing.attendance == Listing.Attendance.INACTIVE:
        return "temporarily closed"
    return "active"


class Urls:
    def __init__(self, base: str):
        from directory.meeting_guide.export import UrlBuilder

        self.base = base.rstrip("/")
        self.builder = UrlBuilder(self.base)

    def page(self, listing: Listing) -> str:
        return self.builder.detail_url(listing.slug)

    def ics(self, listing: Listing) -> str:
        return f"{self.base}/resources/{listing.slug}.ics"


def service_basic(listing: Listing, urls: Urls) -> dict:
    fees = listing.get_cost_display()
    if listing.cost_notes:
        fees += f": {listing.cost_notes}"
    data = _clean(
        {
            "id": str(listing.uuid),
            "organization_id": str(listing.organization.uuid) if listing.organization else None,
            "name": listing.name,
            "description": listing.description,
            "url": listing.website or urls.page(listing),
            "email": listing.contact_email,
            "status": service_status(listing),
            "fees_description": fees,
            "assured_date": listing.last_verified_at.date().isoformat()
            if listing.last_verified_at
            else None,
            "last_modified": _iso(listing.updated_at),
        }
    )
    if listing.organization:
        data["organization"] = organization_basic(listing.organization)
    return data


def schedule_object(schedule: Schedule, listing: Listing, urls: Urls) -> dict:
    rule = rrule_for(schedule)
    created = listing.created_at.astimezone(dt.UTC).date()
    first = first_meeting_day(schedule, created)
    return _clean(
        {
            "id": derived_id("Schedule", schedule.pk),
            "service_id": str(listing.uuid),
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
            "schedule_link": urls.ics(listing),
            "attending_type": listing.get_attendance_display(),
            "timezone_name": schedule.timezone,  # profile extension: see the module docstring
        }
    )


def phones(listing: Listing) -> list[dict]:
    found = []
    if listing.is_online and listing.conference_phone:
        found.append(
            _clean(
                {
                    "id": derived_id("Listing.conference_phone", listing.pk),
                    "service_id": str(listing.uuid),
                    "number": listing.conference_phone,
                    "type": "voice",
                    "description": "Join the meeting by phone. " + listing.conference_phone_notes,
                }
            )
        )
    if listing.contact_phone:
        found.append(
            {
                "id": derived_id("Listing.contact_phone", listing.pk),
                "service_id": str(listing.uuid),
                "number": listing.contact_phone,
                "type": "voice",
                "description": "Contact",
            }
        )
    return found


def service_at_locations(listing: Listing, features: list[Feature], *, nested: bool) -> list:
    """The listing's service-at-locations: its meeting place and/or its online room."""
    rows = []
    if listing.location is not None and listing.attendance != Listing.Attendance.ONLINE:
        location = physical_location(listing.location, features)
        rows.append(
            {
                "id": sal_id(listing.uuid, "physical"),
                "service_id": str(listing.uuid),
                "location_id": location["id"],
                "location": location,
            }
        )
    if listing.is_online:
        location = virtual_location(listing)
        rows.append(
            {
                "id": sal_id(listing.uuid, "virtual"),
                "service_id": str(listing.uuid),
                "location_id": location["id"],
                "location": location,
            }
        )
    if not nested:
        for row in rows:
            row["location"] = {k: v for k, v in row["location"].items() if not isinstance(v, list)}
    return rows


def attributes(listing: Listing, features: list[Feature]) -> list[dict]:
    service_id = str(listing.uuid)
    terms = [("support_type", support_type_term(listing.support_type))]
    terms += [(f.category.slug, feature_term(f)) for f in features]
    return [
        {
            "id": derived_id("attribute", f"{listing.pk}:{term['id']}"),
            "link_id": service_id,
            "link_type": link_type,
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
        }
        for link_type, term in terms
    ]


def service_full(listing: Listing, urls: Urls) -> dict:
    """A fully nested service (listing loaded with :func:`services_queryset` ``full=True``)."""
    features = list(listing.features.all())
    data = service_basic(listing, urls)
    data["phones"] = phones(listing)
    data["schedules"] = [schedule_object(s, listing, urls) for s in listing.schedules.all()]
    data["service_at_locations"] = service_at_locations(listing, features, nested=True)
    data["languages"] = [
        {
            "id": derived_id("language", f"{listing.pk}:{f.pk}"),
            "service_id": str(listing.uuid),
            "name": f.name,
        }
        for f in features
        if f.category.slug == "language"
    ]
    data["cost_options"] = [
        _clean(
            {
                "id": derived_id("cost_option", listing.pk),
                "service_id": str(listing.uuid),
                "option": listing.get_cost_display(),
                "amount_description": listing.cost_notes,
            }
        )
    ]
    if listing.contact_name or listing.contact_email:
        from directory.meeting_guide.export import first_name_only

        data["contacts"] = [
            _clean(
                {
                    "id": derived_id("contact", listing.pk),
                    "service_id": str(listing.uuid),
                    "name": first_name_only(listing.contact_name),
                    "email": listing.contact_email,
                }
            )
        ]
    data["attributes"] = attributes(listing, features)
    return data


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
