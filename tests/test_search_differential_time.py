"""The in-memory search index against the SQL oracle on the time facets: at each frozen
instant (around daylight-saving changes in the US, the EU and Australia, month ends and
ordinary days), every time facet alone and combined, from visitor zones with whole, half-hour
and southern-hemisphere offsets, gives the same results, counts and toggles in both.

Apart from tests/test_search_differential.py (the generated searches) so that pytest-xdist
(--dist=loadfile) can run the two slow families on different workers; the data and the
comparison are in tests/search_differential_helpers.py.
"""

from __future__ import annotations

import pytest

from tests.search_differential_helpers import (
    INSTANTS,
    VISITOR_ZONES,
    compare,
    world_fixture,  # noqa: F401 - the fixture "world"
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("now", INSTANTS)
def test_time_facets_agree_at_every_instant_in_every_zone(world, now):
    """Every time facet alone and combined, at each frozen instant, from two visitor zones.

    (Each comparison runs the oracle's twenty-odd SQL queries: the generated searches of
    tests/test_search_differential.py cover the other zones.)
    """
    for tz in (VISITOR_ZONES[INSTANTS.index(now) % 4], VISITOR_ZONES[4 + INSTANTS.index(now) % 4]):
        for selection in (
            {"when": ["now"], "time": ["morning"], "attendance": ["online"]},
            {"when": ["soon", "today"], "day": ["0", "6"]},
            {"day": ["5"], "time": ["night", "evening"]},
        ):
            compare(
                {
                    "selection": selection,
                    "q": "",
                    "place": ("", None, None),
                    "radius": None,
                    "sort": "soonest",
                    "tz": tz,
                    "page": 1,
                    "now": now,
                }
            )
