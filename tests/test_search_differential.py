"""The in-memory search index against the SQL oracle, on generated searches at frozen instants.

The oracle (tests/oracle/sql_search.py) is the wave-1 SQL implementation. For hundreds of
random combinations of facets, keyword, place, radius, sort, visitor zone, page and instant,
both must give the same results in the same order, the same page, the same value, label,
count and toggle for every facet, the same ways out of an empty result and the same count of
online meetings. The data: the demo generator's listings plus hand-made edge cases (zones with
half-hour offsets and southern-hemisphere DST, monthly and every-N-weeks schedules with
validity windows, meetings running past midnight, listings without location or coordinates,
drafts, archived and inactive listings, duplicate names).

This module holds the generated searches (and the search of an empty directory); the time
facets at every instant, the other slow family, are in tests/test_search_differential_time.py,
so that pytest-xdist (--dist=loadfile) can run the two on different workers. Both share
tests/search_differential_helpers.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import Listing
from directory.search import vocabulary
from tests.demo_helpers import TOWNS
from tests.search_differential_helpers import (
    INSTANTS,
    VISITOR_ZONES,
    compare,
    world_fixture,  # noqa: F401 - the fixture "world"
)

pytestmark = pytest.mark.django_db

WORDS = ["group", "recovery", "serenity", "women", "hope", "Step", "meeting", "zzzz", "grop"]


def _queries(world):
    def subset(values, max_size=3):
        return st.lists(st.sampled_from(values), max_size=max_size, unique=True)

    selection = st.fixed_dictionaries(
        {
            "type": subset(world["types"], 2),
            "attendance": subset(list(vocabulary.ATTENDANCE_CHOICES), 2),
            "cost": subset(list(vocabulary.COST_CHOICES), 2),
            "org": subset(world["orgs"], 2),
            "region": subset(world["regions"], 2),
            **{name: subset(values or ["none"], 2) for name, values in world["features"].items()},
            "when": subset(list(vocabulary.WHEN_CHOICES), 2),
            "day": subset(list(vocabulary.DAY_CHOICES), 3),
            "time": subset(list(vocabulary.TIME_CHOICES), 2),
        }
    )
    # Most searches use a few facets: thin the selection out.
    thinned = st.tuples(selection, st.sets(st.sampled_from(list(vocabulary.FACET_ORDER)))).map(
        lambda pair: {k: (v if k in pair[1] else []) for k, v in pair[0].items()}
    )
    place = st.one_of(
        st.just(("", None, None)),
        st.sampled_from([town[0] for town in TOWNS[:10]]).map(lambda name: (name, None, None)),
        st.sampled_from([(42.36, -71.06), (51.5, -0.12), (-33.87, 151.2)]).map(
            lambda ll: ("", *ll)
        ),
        st.just(("Atlantis", None, None)),
    )
    return st.fixed_dictionaries(
        {
            "selection": thinned,
            "q": st.one_of(st.just(""), st.just(""), st.sampled_from(WORDS)),
            "place": place,
            "radius": st.sampled_from([None, 1, 10, 25, 100]),
            "sort": st.sampled_from(["", "soonest", "distance", "relevance", "name", "bogus"]),
            "tz": st.sampled_from(VISITOR_ZONES),
            "page": st.sampled_from([1, 1, 2, 3, 7, 99]),
            "now": st.sampled_from(INSTANTS),
        }
    )


def test_the_index_agrees_with_the_sql_oracle_on_generated_searches(world):
    assert Listing.objects.filter(status="published").count() > 150

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(_queries(world))
    def check(params):
        compare(params)

    check()


def test_the_index_and_oracle_agree_with_no_listings_at_all(db):
    compare(
        {
            "selection": {"when": ["now"], "audience": ["women"]},
            "q": "hope",
            "place": ("", 40.0, -75.0),
            "radius": 25,
            "sort": "",
            "tz": "UTC",
            "page": 3,
            "now": INSTANTS[0],
        }
    )
