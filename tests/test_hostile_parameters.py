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

import logging
import os
import string
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from directory.edge import MAX_VALUE_LENGTH, MAX_VALUES_PER_NAME
from directory.models import CrisisLine, GuideSection, Schedule
from tests import factories as f

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_ENDPOINT_EXAMPLES", "200"))
FEW = ["country"], ["tz", "country"], ["x"], ["format"], ["p", "page"], ["format", "full"], ["q"]

LISTING_PARAMS = [
    "q", "near", "lat", "lon", "radius", "sort", "tz", "type", "attendance", "when", "day",
    "time", "cost", "org", "region", "page", "format", "language", "audience",
    "accessibility", "focus", "country",
]  # fmt: skip
WORKER_PARAMS = ["q", "near", "radius", "page", "support_type", "credential", "language",
                 "offers_online", "country"]  # fmt: skip
HSDS_LIST_PARAMS = ["page", "per_page", "format", "search", "full", "organization_id",
                    "modified_after", "taxonomy_id", "taxonomy_term_id", "top_only",
                    "parent_id", "postcode", "proximity"]  # fmt: skip

# Values real clients and attackers send.
HOSTILE = [
    "", " ", "0", "-1", "1", "2", "25", "100", "999999999999999999999", "1e309", "-1e309",
    "NaN", "nan", "inf", "-inf", "1.5", "0x10", "٣", "١٢", "²", "௫", "𝟙", "½", "Ⅻ",
    "\x00", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\u200b", "\ufeff", "\ud7ff", "\U0001f600",
    ",", ",,,", ", ,", ".", "...", "-", "'", '"', ";", "--", "' OR 1=1 --", "%", "%%", "_",
    "\\", "<script>alert(1)</script>", "../../etc/passwd", "{{7*7}}", "${jndi:x}",
    "Portland", "Portland, ME", "Portland, Maine, US", "97201", "12345-6789", "১২৩৪৫",
    "America/New_York", "Europe/London", "Mars/Base", "UTC", "name", "distance", "relevance",
    "online", "in_person", "hybrid", "now", "soon", "today", "0", "6", "7", "morning",
    "evening", "free", "true", "false", "yes", "2026-01-01", "2026-13-45", "9999-12-31T23:59:59",
    "0000-00-00", "1970-01-01T00:00:00+99:00", "00000000-0000-0000-0000-000000000000",
    "x" * (MAX_VALUE_LENGTH + 1), "é" * 150, "a" * 201, "90", "90.0000001", "-180", "180.5",
]  # fmt: skip

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.text(alphabet=string.punctuation + " ", max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),
)


def query_strings(names: list[str]):
    name = st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=12))
    pair = st.tuples(name, values)
    repeated = st.tuples(st.sampled_from(names), values, st.integers(2, MAX_VALUES_PER_NAME + 5))
    return st.one_of(
        st.lists(pair, max_size=8).map(urlencode),
        repeated.map(lambda t: urlencode([(t[0], t[1])] * t[2])),
        # Raw bytes a browser would never send: broken percent-escapes and invalid UTF-8.
        st.binary(max_size=40).map(lambda b: "q=" + "".join(f"%{x:02X}" for x in b)),
        st.sampled_from(["q=%", "q=%zz", "%00=1", "=", "&&&", "q", "page=%C0%AF", "a=%ED%A0%80"]),
    )


@pytest.fixture
def world(db):
    """A small directory with one of everything a public page shows."""
    CrisisLine.objects.create(country="US", name="988 Suicide & Crisis Lifeline", phone="988")
    meeting_type = f.support_type(slug="12-step", name="12-step meetings")
    feature = f.feature("format", slug="open", name="Open")
    f.place(name="Portland", search_name="portland", region_code="ME", region_name="Maine")
    f.place(kind="postal_code", name="97201", search_name="97201", latitude=45.5, longitude=-122.7)
    listing = f.resource(
        slug="tuesday-group", name="Tuesday group", support_type=meeting_type, features=[feature]
    )
    f.schedule(listing, weekday=Schedule.Weekday.TUESDAY)
    online = f.resource(slug="online-group", attendance="online", support_type=meeting_type)
    f.schedule(online, weekday=Schedule.Weekday.MONDAY, timezone="Europe/London")
    worker = f.peer_worker(slug="worker-ana", display_name="Ana R.")
    f.credential(worker)
    GuideSection.objects.create(
        slug="what-is-peer-support", title="What", kind="overview", body="x"
    )
    return {"listing": listing, "worker": worker, "support_type": meeting_type}


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


@pytest.fixture
def no_errors_logged(caplog):
    caplog.set_level(logging.ERROR)
    yield caplog
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


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
