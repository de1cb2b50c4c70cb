"""The HSDS 3.0 read API, validated against the official JSON Schemas (tests/schemas/hsds-3.0)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory.feeds import hsds
from directory.models import Listing, Place
from tests import factories
from tests.feeds_helpers import (
    coded_feature,
    interval_meeting,
    monthly_meeting,
    online_meeting,
    weekly_meeting,
)

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas" / "hsds-3.0"
PAGE_FIELDS = {
    "total_items": int,
    "total_pages": int,
    "page_number": int,
    "size": int,
    "first_page": bool,
    "last_page": bool,
    "empty": bool,
    "contents": list,
}

formats = FormatChecker()


@formats.checks("uri", raises=ValueError)
def _is_uri(value) -> bool:
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path))


@formats.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    return dt.datetime.fromisoformat(value).tzinfo is not None


def _registry() -> Registry:
    schemas = []
    for path in SCHEMAS.rglob("*.json"):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text())
        name = str(path.relative_to(SCHEMAS))
        schemas.append((name, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(schemas)


REGISTRY = _registry()


def test_the_validator_catches_mistakes():
    with pytest.raises(AssertionError):
        validate({"id": "not-a-uuid", "name": "x", "status": "active"}, "service.json")
    with pytest.raises(AssertionError):
        validate({"id": str(uuid.uuid4()), "name": "x", "status": "open"}, "service.json")
    nested_error = {
        "id": str(uuid.uuid4()),
        "name": "x",
        "status": "active",
        "schedules": [{"id": str(uuid.uuid4()), "freq": "DAILY"}],
    }
    with pytest.raises(AssertionError):
        validate(nested_error, "service.json")
    with pytest.raises(AssertionError):
        validate(nested_error, "compiled/service_with_definitions.json")


def validate(instance, schema: str) -> None:
    validator = Draft202012Validator({"$ref": schema}, registry=REGISTRY, format_checker=formats)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def validate_page(data: dict, item_schema: str) -> None:
    for field, kind in PAGE_FIELDS.items():
        assert isinstance(data[field], kind), field
    for item in data["contents"]:
        validate(item, item_schema)


def get(client, path: str, status: int = 200, **params) -> dict:
    response = client.get(path, params)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


@pytest.fixture
def directory():
    """A small directory with every kind of listing and schedule."""
    org = factories.organization(name="Springfield Intergroup", email="info@example.org")
    women = coded_feature("W", "audience", name="Women")
    wheelchair = coded_feature("X", "accessibility", name="Wheelchair access")
    spanish = coded_feature("S", "language", name="Spanish")
    twelve = factories.support_type(name="12-Step Programs", slug="12-step-programs")
    listings = {
        "weekly": weekly_meeting(
            days=[2, 4],
            organization=org,
            support_type=twelve,
            features=[women, wheelchair],
            contact_name="Robin Hartley",
            contact_phone="555-0100",
        ),
        "online": online_meeting(
            organization=org,
            support_type=twelve,
            features=[spanish],
            conference_url="https://meet.example.org/1",
        ),
        "hybrid": weekly_meeting(
            attendance=Listing.Attendance.HYBRID,
            conference_url="https://meet.example.org/2",
            conference_phone="+15550101,,42#",
        ),
        "monthly": monthly_meeting(weekday=6, position=-1, organization=org),
        "interval": interval_meeting(weeks=3),
        "inactive": weekly_meeting(attendance=Listing.Attendance.INACTIVE),
    }
    factories.listing(status="draft", name="Hidden draft")
    return listings


def test_root_profile_and_openapi(client):
    root = get(client, "/hsds/")
    assert root == {
        "version": "3.0",
        "profile": "http://testserver/hsds/profile",
        "openapi_url": "http://testserver/hsds/openapi.json",
    }
    # The root schema is inline in openapi.json.
    openapi = json.loads((SCHEMAS / "openapi.json").read_text())
    root_schema = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]
    Draft202012Validator(root_schema["schema"], format_checker=formats).validate(root)
    assert "taxonomies" in get(client, "/hsds/profile")
    document = get(client, "/hsds/openapi.json")
    assert document["openapi"].startswith("3.")
    assert "/services/{id}" in document["paths"]
    assert document["servers"] == [{"url": "http://testserver/hsds"}]


def test_service_list_and_details_validate(client, directory):
    data = get(client, "/hsds/services", per_page=100)
    validate_page(data, "compiled/service_list.json")
    names = {item["name"] for item in data["contents"]}
    assert "Hidden draft" not in names
    assert data["total_items"] == len(directory) == data["size"]
    statuses = {item["id"]: item["status"] for item in data["contents"]}
    assert statuses[str(directory["inactive"].uuid)] == "temporarily closed"
    assert statuses[str(directory["weekly"].uuid)] == "active"

    for listing in directory.values():
        detail = get(client, f"/hsds/services/{listing.uuid}")
        validate(detail, "service.json")
        validate(detail, "compiled/service_with_definitions.json")
        assert detail["id"] == str(listing.uuid)
        assert len(detail["schedules"]) == listing.schedules.count()

    full = get(client, "/hsds/services", per_page=100, full="true")
    for item in full["contents"]:
        validate(item, "service.json")


def test_service_detail_nests_everything(client, directory):
    weekly = get(client, f"/hsds/services/{directory['weekly'].uuid}")
    assert weekly["organization"]["name"] == "Springfield Intergroup"
    (sal,) = weekly["service_at_locations"]
    location = sal["location"]
    assert location["location_type"] == "physical"
    assert location["addresses"][0]["city"] == "Springfield"
    assert location["accessibility"][0]["description"] == "Wheelchair access"
    days = sorted(s["byday"] for s in weekly["schedules"])
    assert days == ["TH", "TU"]
    assert {s["freq"] for s in weekly["schedules"]} == {"WEEKLY"}
    assert weekly["schedules"][0]["opens_at"] == "19:00"
    assert weekly["schedules"][0]["timezone_name"] == "America/Chicago"
    assert weekly["contacts"][0]["name"] == "Robin"
    assert "Hartley" not in json.dumps(weekly)
    term_names = {a["taxonomy_term"]["name"] for a in weekly["attributes"]}
    assert term_names == {"12-Step Programs", "Women", "Wheelchair access"}

    monthly = get(client, f"/hsds/services/{directory['monthly'].uuid}")["schedules"][0]
    assert (monthly["freq"], monthly["byday"]) == ("MONTHLY", "-1SA")
    interval = get(client, f"/hsds/services/{directory['interval'].uuid}")["schedules"][0]
    assert (interval["freq"], interval["interval"], interval["byday"]) == ("WEEKLY", 3, "TU")
    assert interval["dtstart"] == "2025-01-07"

    online = get(client, f"/hsds/services/{directory['online'].uuid}")
    (sal,) = online["service_at_locations"]
    assert sal["location"] == {
        "id": sal["location_id"],
        "location_type": "virtual",
        "name": "Online",
        "url": "https://meet.example.org/1",
    }
    assert [language["name"] for language in online["languages"]] == ["Spanish"]
    hybrid = get(client, f"/hsds/services/{directory['hybrid'].uuid}")
    assert [s["location"]["location_type"] for s in hybrid["service_at_locations"]] == [
        "physical",
        "virtual",
    ]
    assert hybrid["phones"][0]["number"] == "+15550101,,42#"


def test_ids_are_stable_uuids(client, directory):
    first = get(client, f"/hsds/services/{directory['hybrid'].uuid}")
    second = get(client, f"/hsds/services/{directory['hybrid'].uuid}")
    assert first == second

    def ids(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "id" or key.endswith("_id"):
                    yield item
                yield from ids(item)
        elif isinstance(value, list):
            for item in value:
                yield from ids(item)

    found = list(ids(first))
    assert len(found) > 10
    for value in found:
        assert str(uuid.UUID(value)) == value


def test_pagination_at_the_boundaries(client):
    for _ in range(5):
        weekly_meeting()

    def page(number, per_page=2):
        return get(client, "/hsds/services", page=number, per_page=per_page)

    first, second, third, beyond = page(1), page(2), page(3), page(4)
    assert (first["total_items"], first["total_pages"], first["size"]) == (5, 3, 2)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    assert not second["first_page"] and not second["last_page"]
    assert third["last_page"] and third["size"] == 1
    assert beyond["empty"] and beyond["contents"] == [] and beyond["last_page"]
    seen = [item["id"] for p in (first, second, third) for item in p["contents"]]
    assert len(set(seen)) == 5
    exact = get(client, "/hsds/services", per_page=5)
    assert (exact["total_pages"], exact["first_page"], exact["last_page"]) == (1, True, True)
    capped = get(client, "/hsds/services", per_page=100000)
    assert capped["size"] == 5 and capped["total_pages"] == 1
    Listing.objects.all().delete()
    empty = get(client, "/hsds/services")
    assert (empty["total_items"], empty["total_pages"], empty["empty"]) == (0, 0, True)
    assert empty["first_page"] and empty["last_page"]


def test_service_filters(client, directory):
    org = directory["weekly"].organization
    by_org = get(client, "/hsds/services", organization_id=str(org.uuid))
    assert by_org["total_items"] == 3

    women = get(client, "/hsds/taxonomy_terms", search="women")["contents"][0]
    by_term = get(client, "/hsds/services", taxonomy_term_id=women["id"])
    assert [s["id"] for s in by_term["contents"]] == [str(directory["weekly"].uuid)]
    category = women["parent_id"]
    assert get(client, "/hsds/services", taxonomy_term_id=category)["total_items"] == 1
    twelve = get(client, "/hsds/taxonomy_terms", search="12-step")["contents"][0]
    assert get(client, "/hsds/services", taxonomy_term_id=twelve["id"])["total_items"] == 2
    unknown = str(uuid.uuid4())
    assert get(client, "/hsds/services", taxonomy_term_id=unknown)["total_items"] == 0
    assert get(client, "/hsds/services", organization_id=unknown)["total_items"] == 0

    Listing.objects.filter(pk=directory["online"].pk).update(name="Night owls")
    assert get(client, "/hsds/services", search="night")["total_items"] == 1

    later = timezone.now() + dt.timedelta(minutes=1)
    assert get(client, "/hsds/services", modified_after=later.isoformat())["total_items"] == 0
    assert get(client, "/hsds/services", modified_after="2000-01-01")["total_items"] == 6


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/hsds/services", {"page": "0"}),
        ("/hsds/services", {"page": "two"}),
        ("/hsds/services", {"per_page": "-1"}),
        ("/hsds/services", {"taxonomy_term_id": "not-a-uuid"}),
        ("/hsds/services", {"organization_id": "1"}),
        ("/hsds/services", {"modified_after": "yesterday"}),
        ("/hsds/services", {"modified_after": "2024-13-45"}),
        ("/hsds/services", {"full": "maybe"}),
        ("/hsds/services", {"format": "ndjson"}),
        ("/hsds/service_at_locations", {"proximity": "1000"}),
        ("/hsds/service_at_locations", {"postcode": "62701", "proximity": "far"}),
        ("/hsds/service_at_locations", {"postcode": "62701", "proximity": "-5"}),
        ("/hsds/service_at_locations", {"postcode": "62701", "proximity": "nan"}),
        ("/hsds/taxonomy_terms", {"top_only": "perhaps"}),
        ("/hsds/taxonomy_terms", {"parent_id": "x"}),
        ("/hsds/organizations", {"per_page": "1.5"}),
    ],
)
def test_bad_parameters_are_400_json(client, path, params):
    data = get(client, path, status=400, **params)
    assert data["status"] == 400 and data["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/hsds/services/{}",
        "/hsds/organizations/{}",
        "/hsds/taxonomies/{}",
        "/hsds/taxonomy_terms/{}",
        "/hsds/service_at_locations/{}",
        "/hsds/services/not-a-uuid{}",
        "/hsds/nothing-here/{}",
    ],
)
def test_unknown_ids_are_404_json(client, directory, path):
    data = get(client, path.format(uuid.uuid4()), status=404)
    assert data["status"] == 404


def test_drafts_are_not_found(client):
    draft = factories.listing(status="draft")
    get(client, f"/hsds/services/{draft.uuid}", status=404)


def test_odd_input_never_gives_5xx(client, directory):
    for params in [
        {"search": "\x00"},
        {"search": "%_'\""},
        {"page": "99999999999999999999999"},
        {"modified_after": "9999-12-31T23:59:59+14:00"},
        {"search": "x" * 5000},
    ]:
        for path in ["/hsds/services", "/hsds/organizations", "/hsds/service_at_locations"]:
            assert client.get(path, params).status_code < 500, (path, params)
    assert client.post("/hsds/services").status_code == 405
    assert client.get("/hsds/services", {"search": "a\x00b"}).status_code == 400


def test_organizations(client, directory):
    lonely = factories.organization(name="No published listings")
    data = get(client, "/hsds/organizations")
    validate_page(data, "compiled/organization_list.json")
    assert [org["name"] for org in data["contents"]] == ["Springfield Intergroup"]
    org = directory["weekly"].organization
    detail = get(client, f"/hsds/organizations/{org.uuid}")
    validate(detail, "organization.json")
    assert len(detail["services"]) == 3
    assert {loc["location_type"] for loc in detail["locations"]} == {"physical"}
    get(client, f"/hsds/organizations/{lonely.uuid}", status=404)


def test_taxonomies_and_terms(client, directory):
    taxonomies = get(client, "/hsds/taxonomies")
    validate_page(taxonomies, "taxonomy.json")
    assert taxonomies["total_items"] == 2
    for taxonomy in taxonomies["contents"]:
        assert get(client, f"/hsds/taxonomies/{taxonomy['id']}") == taxonomy

    terms = get(client, "/hsds/taxonomy_terms", per_page=100)
    validate_page(terms, "taxonomy_term.json")
    for term in terms["contents"]:
        assert get(client, f"/hsds/taxonomy_terms/{term['id']}") == term
    features = hsds.FEATURE_TAXONOMY_ID
    top = get(client, "/hsds/taxonomy_terms", taxonomy_id=features, top_only="true")
    assert {t["name"] for t in top["contents"]} == {"Audience", "Accessibility", "Language"}
    audience = next(t for t in top["contents"] if t["name"] == "Audience")
    children = get(client, "/hsds/taxonomy_terms", parent_id=audience["id"])
    assert [t["name"] for t in children["contents"]] == ["Women"]
    assert children["contents"][0]["term_uri"].endswith("#W")
    types = get(client, "/hsds/taxonomy_terms", taxonomy_id=hsds.SUPPORT_TYPE_TAXONOMY_ID)
    assert types["total_items"] >= 1


def test_service_at_locations(client, directory):
    data = get(client, "/hsds/service_at_locations", per_page=100)
    validate_page(data, "compiled/service_at_location_list.json")
    kinds = sorted(row["location"]["location_type"] for row in data["contents"])
    # weekly, hybrid, monthly, interval, inactive meet in a place; online and hybrid online.
    assert kinds == ["physical"] * 5 + ["virtual"] * 2
    for row in data["contents"]:
        detail = get(client, f"/hsds/service_at_locations/{row['id']}")
        validate(detail, "service_at_location.json")
        validate(detail["service"], "service.json")
        assert detail["id"] == row["id"]
        assert detail["service"]["id"] == row["service_id"]

    # Paging runs over physical then virtual rows without gaps or repeats.
    seen = []
    for number in range(1, 5):
        seen += [
            r["id"]
            for r in get(client, "/hsds/service_at_locations", page=number, per_page=2)["contents"]
        ]
    assert sorted(seen) == sorted(r["id"] for r in data["contents"])


def test_postcode_and_proximity(client):
    factories.place(
        kind=Place.Kind.POSTAL_CODE,
        name="62701",
        search_name="62701",
        source_id="62701",
        latitude=39.80,
        longitude=-89.65,
    )
    near = weekly_meeting(location=factories.location(postal_code="62701"))
    weekly_meeting(location=factories.location(postal_code="62702", latitude=39.85))
    far = weekly_meeting(location=factories.location(latitude=41.88, longitude=-87.63))
    online_meeting()

    exact = get(client, "/hsds/service_at_locations", postcode="62701")
    assert [r["service_id"] for r in exact["contents"]] == [str(near.uuid)]
    within = get(client, "/hsds/service_at_locations", postcode="62701", proximity="10000")
    assert within["total_items"] == 2
    wide = get(client, "/hsds/service_at_locations", postcode="62701", proximity="400000")
    assert str(far.uuid) in {r["service_id"] for r in wide["contents"]}
    assert wide["total_items"] == 3
    unknown = get(client, "/hsds/service_at_locations", postcode="00000", proximity="1000")
    assert unknown["total_items"] == 0


def test_query_counts_do_not_grow(client, django_assert_max_num_queries, directory):
    org = directory["weekly"].organization
    feature = coded_feature("SP")
    for i in range(25):
        weekly_meeting(days=[i % 7, (i + 2) % 7], organization=org, features=[feature])
        online_meeting(organization=org)
    term = get(client, "/hsds/taxonomy_terms", search="Type SP")["contents"][0]
    # Each limit counts one query for the data version (ETag and Last-Modified).
    checks = [
        ("/hsds/services", {"per_page": 100}, 3),
        ("/hsds/services", {"per_page": 100, "full": "true"}, 5),
        ("/hsds/services", {"taxonomy_term_id": term["id"], "organization_id": str(org.uuid)}, 6),
        (f"/hsds/services/{directory['weekly'].uuid}", {}, 4),
        ("/hsds/organizations", {}, 3),
        (f"/hsds/organizations/{org.uuid}", {}, 4),
        ("/hsds/taxonomy_terms", {"per_page": 100}, 4),
        ("/hsds/service_at_locations", {"per_page": 100}, 9),
        (f"/hsds/service_at_locations/{hsds.sal_id(directory['hybrid'].uuid, 'virtual')}", {}, 4),
    ]
    for path, params, limit in checks:
        with django_assert_max_num_queries(limit):
            assert client.get(path, params).status_code == 200, path
