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
from hypothesis import HealthCheck, settings

import directory.feeds.hsds as hsds
from tests.test_hostile_parameters import no_errors_logged, world  # noqa: F401 - fixtures

DOCUMENT = json.loads(
    (Path(hsds.__file__).parent / "hsds-3.0" / "openapi.json").read_text(encoding="utf-8")
)
schema = schemathesis.openapi.from_dict(DOCUMENT)
# The explicit examples and generated fuzzing; the exhaustive coverage phase takes minutes.
schema.config.phases.update(phases=["examples", "fuzzing"])
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))


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


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_hsds_operation_answers_generated_requests_without_failing(
    case,
    world,  # noqa: F811
    no_errors_logged,  # noqa: F811
):
    client = Client(raise_request_exception=False)
    url = "/hsds" + case.formatted_path + "?" + _query(case.query)
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    assert response["Content-Type"].startswith("application/json"), url
    assert json.loads(response.content) is not None
