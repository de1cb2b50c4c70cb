"""The HSDS API driven from its own OpenAPI document (schemathesis generates the requests).

Schemathesis reads ``directory/feeds/hsds-3.0/openapi.json`` (offline: the document ships with
the code) and generates path and query parameters for every operation, valid and invalid; each
request goes through Django's test client so it sees the test database. Every answer must be
JSON below 500. ``SCHEMATHESIS_EXAMPLES`` sets the examples per operation (30 by default).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import directory.feeds.hsds as hsds

DOCUMENT = json.loads(
    (Path(hsds.__file__).parent / "hsds-3.0" / "openapi.json").read_text(encoding="utf-8")
)
schema = schemathesis.openapi.from_dict(DOCUMENT)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))


def _ok(result):
    return result.ok()


def _query(query: dict | None) -> str:
    pairs = []
    for name, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(
                (
                    name,
                    ""
                    if item is None
                    else str(item).lower()
                    if item is True or item is False
                    else str(item),
                )
            )
    return urlencode(pairs)


# One test per operation, each with its own id: schemathesis' own parametrize gives them all
# one node id, and pytest-xdist (``make test``) then ran only one of the eleven.
OPERATIONS = {operation.label: operation for operation in map(_ok, schema.get_all_operations())}


def _requests(operation):
    """The operation's explicit examples and generated requests, valid and invalid."""
    return st.one_of(*operation.get_strategies_from_examples(), operation.as_strategy())


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(OPERATIONS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_every_hsds_operation_answers_generated_requests_without_failing(
    label,
    data,
    world,
    no_errors_logged,
):
    case = data.draw(_requests(OPERATIONS[label]), label="request")
    client = Client(raise_request_exception=False)
    url = "/hsds" + case.formatted_path + "?" + _query(case.query)
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    assert response["Content-Type"].startswith("application/json"), url
    assert json.loads(response.content) is not None
