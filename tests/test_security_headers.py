"""Security headers on every kind of response: pages, APIs, feeds, errors and Django admin.

The Content-Security-Policy is strict (every script and style a file of ours, no 'unsafe-*'),
the Permissions-Policy allows only geolocation for our own origin, HSTS carries its options,
and no page we render has inline code the policy would block. Violations reported by browsers
are logged without the page's query string.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
import tablib
from django.test import Client
from django.urls import reverse

from directory.admin.importexport import ListingResource
from directory.models import CrisisLine, SupportType
from tests import factories as f

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
    "report-uri": ["/csp-report"],
    "report-to": ["csp"],
}
NONCE = re.compile(r"'nonce-[A-Za-z0-9_-]{16,}'")
INLINE_CODE = [
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.I), "a style= attribute"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "an on*= event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in parsed, f"{name} twice"
        parsed[name] = values
    return parsed


def assert_security_headers(response, *, admin: bool = False) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-" not in csp
    policy = directives(csp)
    if admin:
        # Django admin's own <script>/<style> tags carry the request's nonce.
        for name in ("script-src", "style-src"):
            nonces = [value for value in policy[name] if NONCE.fullmatch(value)]
            assert len(nonces) <= 1
            policy[name] = [value for value in policy[name] if value not in nonces]
    assert policy == EXPECTED_CSP
    assert "Content-Security-Policy-Report-Only" not in response.headers
    permissions = dict(
        item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(",")
    )
    assert permissions.pop("geolocation") == "(self)"
    assert {"camera", "microphone", "payment", "usb", "browsing-topics"} <= set(permissions)
    assert set(permissions.values()) == {"()"}, "every other feature is off"
    assert response.headers["Reporting-Endpoints"] == 'csp="/csp-report"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    # Production's HSTS (the autouse fixture below); every request here is over HTTPS.
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def assert_no_inline_code(html: str, url: str) -> None:
    for pattern, what in INLINE_CODE:
        match = pattern.search(html)
        assert not match, f"{url} has {what}: {html[max(0, match.start() - 80) : match.end() + 80]}"


@pytest.fixture(autouse=True)
def production_hsts(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False


@pytest.fixture
def site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    SupportType.objects.create(slug="12-step-programs", name="12-Step Programs", position=0)
    CrisisLine.objects.create(country="US", name="988 Suicide & Crisis Lifeline", phone="988")
    listing = f.listing(name="Tuesday Hope Group", slug="tuesday-hope")
    f.schedule(listing)
    worker = f.peer_worker()
    return {"listing": listing, "worker": worker}


PUBLIC_PAGES = [
    "/",
    "/find/",
    "/find/?q=hope&when=now",
    "/find/print/",
    "/resources/tuesday-hope/",
    "/resources/tuesday-hope/report/",
    "/suggest/",
    "/suggest/thanks/",
    "/peer-workers/",
    "/support-types/",
    "/support-types/12-step-programs/",
    "/learn/",
    "/learn/faq/",
    "/no-such-page/",
]
APIS_AND_FEEDS = [
    "/find/calendar.ics",
    "/resources/tuesday-hope.ics",
    "/meetings.json",
    "/hsds/",
    "/hsds/services",
    "/robots.txt",
    "/sitemap.xml",
    "/healthz",
    "/readyz",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_send_the_strict_policy_and_have_no_inline_code(client, site, url):
    response = client.get(url, secure=True)
    assert response.status_code in {200, 404}, url
    assert_security_headers(response)
    assert_no_inline_code(response.content.decode(), url)


def test_a_peer_worker_page_sends_the_policy(client, site):
    response = client.get(site["worker"].get_absolute_url(), secure=True)
    assert response.status_code == 200
    assert_security_headers(response)
    assert_no_inline_code(response.content.decode(), "peer worker page")


@pytest.mark.parametrize("url", APIS_AND_FEEDS)
def test_apis_and_feeds_send_the_same_headers(client, site, url):
    response = client.get(url, secure=True)
    assert response.status_code < 400, url
    assert_security_headers(response)


def test_a_form_post_and_a_bad_request_send_the_headers(client, site):
    assert_security_headers(client.post("/suggest/", {}, secure=True))
    assert_security_headers(client.get("/hsds/services?page=not-a-number", secure=True))


@pytest.fixture
def admin_client_(client, site):
    client.force_login(f.user(username="boss", is_staff=True, is_superuser=True))
    return client


def _admin_pages(site) -> list[str]:
    listing = site["listing"]
    return [
        reverse("admin:index"),
        reverse("admin:directory_listing_changelist"),
        reverse("admin:directory_listing_change", args=[listing.pk]),  # schedule inlines
        reverse("admin:directory_listing_add"),
        reverse("admin:directory_listing_import"),
        reverse("admin:directory_listing_export"),
        reverse("admin:directory_organization_changelist"),
        reverse("admin:directory_submission_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:password_change"),
    ]


def test_admin_pages_send_the_policy_with_at_most_a_nonce(admin_client_, site):
    for url in _admin_pages(site):
        response = admin_client_.get(url, secure=True)
        assert response.status_code == 200, url
        assert_security_headers(response, admin=True)
        html = response.content.decode()
        header = response.headers["Content-Security-Policy"]
        # Any inline <script>/<style> admin renders carries this response's nonce.
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            if "src=" not in tag:
                nonce = re.search(r'nonce="([^"]+)"', tag)
                assert nonce and f"'nonce-{nonce.group(1)}'" in header, (url, tag)
        assert not re.search(r"""\sstyle\s*=\s*["']""", html), url
        assert not re.search(r"""\son[a-z]+\s*=\s*["']""", html), url


def test_the_admin_login_page_sends_the_policy(client, site):
    response = client.get(reverse("admin:login"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response, admin=True)


def test_the_import_preview_marks_changes_with_classes_not_styles(site):
    dataset = tablib.Dataset().load(ListingResource().export().csv, format="csv")
    dataset.dict = [{**row, "name": "Tuesday Hope Group (renamed)"} for row in dataset.dict]
    result = ListingResource().import_data(dataset, dry_run=True)
    diff = "".join(result.rows[0].diff)
    assert '<ins class="diff-insert">' in diff
    assert "style=" not in diff


@pytest.mark.parametrize(
    ("subdomains", "preload", "expected"),
    [
        (True, True, "max-age=31536000; includeSubDomains; preload"),
        (True, False, "max-age=31536000; includeSubDomains"),
        (False, False, "max-age=31536000"),
    ],
)
def test_hsts_carries_include_subdomains_and_preload_when_asked(
    site, settings, subdomains, preload, expected
):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = subdomains
    settings.SECURE_HSTS_PRELOAD = preload
    response = Client().get("/", secure=True)  # a new client reads the settings afresh
    assert response.headers["Strict-Transport-Security"] == expected


# --- The violation report endpoint -------------------------------------------------------


REPORT_URI_BODY = {
    "csp-report": {
        "document-uri": "https://directory.example/find/?q=heroin+relapse+help&near=Leeds",
        "referrer": "https://directory.example/?q=private",
        "violated-directive": "style-src-attr",
        "effective-directive": "style-src-attr",
        "original-policy": "default-src 'self'",
        "blocked-uri": "inline",
        "source-file": "https://directory.example/static/js/find.js?v=1",
        "line-number": 12,
        "status-code": 200,
        "script-sample": "color: red; jane@example.org",
    }
}
REPORTING_API_BODY = [
    {
        "type": "csp-violation",
        "url": "https://directory.example/suggest/?email=jane@example.org",
        "user_agent": "Mozilla/5.0",
        "body": {
            "documentURL": "https://directory.example/suggest/?email=jane@example.org",
            "effectiveDirective": "img-src",
            "blockedURL": "https://tracker.example/pixel.gif?id=jane@example.org",
            "disposition": "enforce",
            "sample": "",
        },
    }
]


def post_report(client, body, content_type="application/csp-report"):
    return client.post("/csp-report", json.dumps(body), content_type=content_type)


def test_violation_reports_are_logged_without_query_strings_or_samples(client, caplog):
    with caplog.at_level(logging.WARNING, logger="peersupport.csp"):
        assert post_report(client, REPORT_URI_BODY).status_code == 204
        response = post_report(client, REPORTING_API_BODY, "application/reports+json")
        assert response.status_code == 204
    first, second = [r for r in caplog.records if r.name == "peersupport.csp"]
    assert first.csp_directive == "style-src-attr"
    assert first.csp_blocked == "inline"
    assert first.csp_page == "https://directory.example/find/"
    assert first.csp_source == "https://directory.example/static/js/find.js"
    assert first.csp_line == 12
    assert second.csp_blocked == "https://tracker.example"
    assert second.csp_page == "https://directory.example/suggest/"
    everything = " ".join(str(vars(record)) for record in caplog.records)
    for secret in ("heroin", "relapse", "Leeds", "jane@", "private", "color: red"):
        assert secret not in everything


def test_reports_need_no_cookie_or_token_and_set_none(client):
    client.handler.enforce_csrf_checks = True
    response = post_report(client, REPORT_URI_BODY)
    assert response.status_code == 204
    assert not response.cookies


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'{"csp-report": "x"}', b"\xff\xfe", b'[{"type": "other"}]'],
)
def test_malformed_reports_are_refused(client, body, caplog):
    response = client.post("/csp-report", body, content_type="application/csp-report")
    assert response.status_code == 400
    assert not [r for r in caplog.records if r.name == "peersupport.csp"]


def test_oversized_reports_are_refused(client):
    huge = {"csp-report": {**REPORT_URI_BODY["csp-report"], "script-sample": "x" * 20000}}
    assert post_report(client, huge).status_code == 413


def test_reports_are_rate_limited_per_client(client, settings, caplog):
    settings.CSP_REPORT_RATE = "3/m"
    statuses = [post_report(client, REPORT_URI_BODY).status_code for _ in range(5)]
    assert statuses == [204, 204, 204, 429, 429]
    other = post_report(client, REPORT_URI_BODY, "application/csp-report")
    assert other.status_code == 429
    assert client.post("/csp-report", REMOTE_ADDR="10.0.0.9").status_code == 400


def test_only_post_is_accepted(client):
    assert client.get("/csp-report").status_code == 405
