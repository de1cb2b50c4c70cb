"""Structured logs: one JSON line per record with its request id, and nothing about the visitor.

A journey (a search with a distinctive term, a suggestion with an e-mail address, a failing
page) runs with production's JSON formatter on the root logger; the captured lines are then
parsed and grepped.
"""

from __future__ import annotations

import io
import json
import logging
import re
from importlib import import_module

import pytest
from django.test import Client
from django.urls import path

from directory.models import Submission, SupportType
from peersupport.logs import JsonFormatter, incoming_request_id
from tests import factories as f

pytestmark = pytest.mark.django_db

TERM = "Zanzibarquux"
EMAIL = "jane.doe.unique@example.org"
LISTING_NAME = "Quokka Recovery Circle"
MESSAGE = "Meets behind the Okapi bakery"


def boom(request):
    raise RuntimeError(f"failed while mailing {EMAIL}")


urlpatterns = [path("boom/", boom), *import_module("peersupport.urls").urlpatterns]


@pytest.fixture
def json_logs():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.mark.urls(__name__)
def test_a_journey_logs_json_lines_with_request_ids_and_no_visitor_data(json_logs, settings):
    settings.DIRECTORY_CURATOR_EMAILS = ["curators@directory.example"]
    SupportType.objects.create(slug="12-step-programs", name="12-Step Programs", position=0)
    f.schedule(f.listing(name="Harbour Lights"))
    client = Client(raise_request_exception=False)

    search = client.get(f"/find/?q={TERM}&near={TERM}+Town&when=now")
    assert search.status_code == 200
    client.get(f"/find/calendar.ics?q={TERM}")
    client.get(f"/hsds/services?search={TERM}")
    client.get("/suggest/")  # the form's CSRF cookie
    suggestion = client.post(
        "/suggest/",
        {
            "name": LISTING_NAME,
            "support_type": "12-step-programs",
            "attendance": "in_person",
            "cost": "free",
            "address_line1": "12 Elm Street",
            "city": "Springfield",
            "region": "IL",
            "country": "US",
            "weekday": "2",
            "start_time": "19:00",
            "timezone": "America/Chicago",
            "homepage": "",
            "message": MESSAGE,
            "reporter_name": "Jane",
            "reporter_email": EMAIL,
            "contact_email": EMAIL,
        },
    )
    assert suggestion.status_code == 302, suggestion.content.decode()[:2000]
    assert Submission.objects.get().reporter_email == EMAIL
    invalid = client.post("/suggest/", {"name": LISTING_NAME, "reporter_email": EMAIL})
    assert invalid.status_code == 200
    failed = client.get(f"/boom/?email={EMAIL}")
    assert failed.status_code == 500
    chosen = client.get("/", HTTP_X_REQUEST_ID="proxy-req-0123456789abcdef")
    assert chosen.headers["X-Request-ID"] == "proxy-req-0123456789abcdef"

    text = json_logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    assert len(lines) >= 8
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", line["request_id"]), line
        assert {"timestamp", "level", "logger", "message", "pid"} <= set(line)
    for secret in (TERM, EMAIL, "jane.doe", LISTING_NAME, "Quokka", MESSAGE, "Okapi"):
        assert secret not in text, secret

    requests = [line for line in lines if line["logger"] == "peersupport.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("GET", "/find/", 200),
        ("GET", "/find/calendar.ics", 200),
        ("GET", "/hsds/services", 200),
        ("GET", "/suggest/", 200),
        ("POST", "/suggest/", 302),
        ("POST", "/suggest/", 200),
        ("GET", "/boom/", 500),
        ("GET", "/", 200),
    ]
    assert all(r["duration_ms"] >= 0 for r in requests)
    assert requests[0]["request_id"] == search.headers["X-Request-ID"]
    assert requests[-1]["request_id"] == "proxy-req-0123456789abcdef"
    # The error's traceback carries the failing request's id, with the address masked.
    error = next(line for line in lines if line["logger"] == "django.request")
    assert error["level"] == "ERROR"
    assert error["request_id"] == failed.headers["X-Request-ID"] == requests[-2]["request_id"]
    assert "RuntimeError: failed while mailing [email]" in error["exception"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "short",
        "x" * 129,
        "jane@example.org-0123456789",
        "<script>alert(1)</script>",
        "id with spaces 0123456",
        "-leading-dash-0123456",
        "ünïcode-0123456789",
    ],
)
def test_an_implausible_request_id_is_replaced(header):
    assert re.fullmatch(r"[0-9a-f]{32}", incoming_request_id(header))


@pytest.mark.parametrize(
    "header",
    ["3f2b8c1e-2d4a-4c4e-9a51-0d6c2f8b9e77", "0123456789abcdef0123456789abcdef", "req.1:2-3_4a"],
)
def test_a_plausible_request_id_is_kept(header):
    assert incoming_request_id(header) == header


def test_every_response_returns_its_request_id(client):
    first, second = client.get("/healthz"), client.get("/no-such-page/")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", second.headers["X-Request-ID"])
