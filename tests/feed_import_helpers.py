"""What the feed-import tests share (tests/test_feed_import_*.py): a Meeting Guide row as an
intergroup writes it, with any field changed or left out, a feed source to import it into,
and a run of the importer on rows with its counts.

A module that uses the fixture imports ``source_fixture``: pytest finds it there under the name
``source``, which the tests ask for.
"""

from __future__ import annotations

import pytest

from directory.meeting_guide.importing import run_source
from tests import factories


def row(slug, **kw) -> dict:
    data = {
        "name": f"Meeting {slug}",
        "slug": slug,
        "day": 2,
        "time": "19:00",
        "end_time": "20:00",
        "timezone": "America/Los_Angeles",
        "location": "First Church",
        "address": "100 Main St",
        "city": "San Jose",
        "state": "CA",
        "postal_code": "95112",
        "country": "US",
        "latitude": 37.3382,
        "longitude": -121.8863,
        "types": ["O"],
    }
    data.update(kw)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture(name="source")
def source_fixture():
    return factories.feed_source(organization=factories.organization(slug="san-jose-ig"))


def sync(source, rows, **kw):
    return run_source(source, rows=rows, **kw)


def counts(result) -> tuple:
    return (result.created, result.updated, result.unchanged, result.archived, result.restored)
