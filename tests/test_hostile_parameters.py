"""No query string makes a public page or API fail (property-based, every public endpoint).

Each endpoint gets generated query strings built from its own parameter names (and unknown
ones) with the messy values attackers and broken links send: control characters, non-ASCII
digits, over-long and repeated values, out-of-range numbers, places made of punctuation. Every
answer must be below 500 with no error logged; JSON APIs answer a bad parameter with a 400 JSON
error, pages with the bad filter ignored.

``HYPOTHESIS_ENDPOINT_EXAMPLES`` sets the examples per endpoint with parameters of its own
(searches, APIs: 200 by default); pages that read only ``?country=``/``?tz=`` get a quarter as
many (they share one code path: the edge and the site's context processor).
"""

from __future__ import annotations

import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from directory.edge import MAX_VALUE_LENGTH, MAX_VALUES_PER_NAME
from tests.hostile import HSDS_LIST_PARAMS, LISTING_PARAMS, WORKER_PARAMS, query_strings

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_ENDPOINT_EXAMPLES", "200"))
FEW = ["country"], ["tz", "country"], ["x"], ["format"], ["p", "page"], ["format", "full"], ["q"]


def endpoints(world) -> list[tuple[str, list[str]]]:
    listing, worker = world["listing"], world["worker"]
    service = f"/hsds/services/{listing.uuid}"
    return [
        ("/", ["tz", "country"]),
        ("/find/", LISTING_PARAMS),
        ("/find/print/", LISTING_PARAMS),
        ("/find/calendar.ics", LISTING_PARAMS),
        (f"/resources/{listing.slug}/", ["tz", "country"]),
        (f"/resources/{listing.slug}.ics", ["tz"]),
        (f"/resources/{listing.slug}/report/", ["country"]),
        ("/peer-workers/", WORKER_PARAMS),
        (f"/peer-workers/{worker.slug}/", ["country"]),
        ("/support-types/", ["country"]),
        (f"/support-types/{world['support_type'].slug}/", ["country"]),
        ("/learn/", ["country"]),
        ("/learn/faq/", ["country"]),
        ("/learn/choosing-a-peer-worker/", ["country"]),
        ("/learn/what-is-peer-support/", ["country"]),
        ("/suggest/", ["country"]),
        ("/suggest/thanks/", ["country"]),
        ("/sitemap.xml", ["p", "page"]),
        ("/sitemap-resources.xml", ["p", "page"]),
        ("/robots.txt", ["x"]),
        ("/healthz", ["x"]),
        ("/readyz", ["x"]),
        ("/meetings.json", ["format", "page"]),
        ("/hsds/", ["format"]),
        ("/hsds/openapi.json", ["format"]),
        ("/hsds/services", HSDS_LIST_PARAMS),
        (service, ["format", "full"]),
        ("/hsds/organizations", HSDS_LIST_PARAMS),
        ("/hsds/taxonomies", HSDS_LIST_PARAMS),
        ("/hsds/taxonomy_terms", HSDS_LIST_PARAMS),
        ("/hsds/service_at_locations", HSDS_LIST_PARAMS),
        ("/hsds/nothing-here", ["x"]),
        ("/no-such-page/", ["q"]),
    ]


ENDPOINT_IDS = [
    "home", "find", "find-print", "find-calendar", "listing", "listing-ics", "report",
    "workers", "worker", "support-types", "support-type", "learn", "faq", "checklist",
    "guide-section", "suggest", "thanks", "sitemap", "sitemap-section", "robots", "healthz",
    "readyz", "meetings-json", "hsds-root", "hsds-openapi", "hsds-services", "hsds-service",
    "hsds-organizations", "hsds-taxonomies", "hsds-taxonomy-terms", "hsds-sal", "hsds-404",
    "unknown",
]  # fmt: skip


@pytest.mark.parametrize("position", range(len(ENDPOINT_IDS)), ids=ENDPOINT_IDS)
def test_no_query_string_makes_an_endpoint_fail(world, position, no_errors_logged, settings):
    path, names = endpoints(world)[position]
    # Nothing is written while the examples run: the search index need not check for changes.
    settings.DIRECTORY_SEARCH_INDEX_CHECK_SECONDS = 3600
    client = Client(raise_request_exception=False)
    is_json = path.startswith("/hsds/") or path == "/meetings.json"

    @hypothesis_settings(
        max_examples=EXAMPLES if names not in FEW else max(10, EXAMPLES // 4),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(query=query_strings(names))
    def check(query):
        response = client.get(f"{path}?{query}")
        assert response.status_code < 500, (path, query, response.status_code)
        if is_json and response.status_code == 400:
            assert response["Content-Type"].startswith("application/json")
            assert response.json()["status"] == 400

    check()


def test_a_bad_filter_is_ignored_on_the_page_and_named(client, world):
    response = client.get("/find/", {"q": "tuesday\x00", "near": ",,,", "type": "12-step"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "were ignored" in html and "q" in response.context["invalid_fields"]
    assert "near" in response.context["invalid_fields"]
    # The good filter still applies.
    assert response.context["query"].selection["type"] == ["12-step"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"search": "a\x00b"}, "search"),
        ({"page": "²"}, "page"),
        ({"page": "١٢"}, "page"),
        ({"per_page": "9" * 40}, "per_page"),
        ({"search": "x" * (MAX_VALUE_LENGTH + 1)}, "search"),
        ({"search": ["a"] * (MAX_VALUES_PER_NAME + 1)}, "search"),
    ],
)
def test_the_api_answers_a_bad_parameter_with_400_json(client, world, params, parameter):
    response = client.get("/hsds/services", params)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response["Access-Control-Allow-Origin"] == "*"
