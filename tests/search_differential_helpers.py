"""The data and the comparison the differential tests share (tests/test_search_differential.py
and tests/test_search_differential_time.py): the frozen instants and visitor zones, the
``world`` fixture (the demo generator's listings plus hand-made edge cases), and ``compare``,
which runs one search through the in-memory index and through the SQL oracle
(tests/oracle/sql_search.py) and asserts that a visitor sees the same of both.

A module that uses the fixture imports ``world_fixture``: pytest finds it there under the
name ``world`` (the tests ask for ``world``; it stands in for conftest.py's ``world``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from directory.models import Feature, Listing, Organization, SupportType
from directory.search import listings as index_search
from directory.search import vocabulary
from directory.search.query import ListingQuery
from tests import factories as f
from tests.oracle import sql_search as oracle

UTC = dt.UTC
VISITOR_ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "UTC",
]
# Instants around daylight-saving changes (US, EU, Australia), month ends (last-weekday
# schedules) and ordinary days; seconds included (conditions are exact to the minute).
INSTANTS = [
    dt.datetime(2026, 3, 8, 6, 59, 30, tzinfo=UTC),  # US spring forward (07:00 UTC)
    dt.datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC),
    dt.datetime(2026, 3, 8, 7, 30, 0, tzinfo=UTC),
    dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # EU spring forward (01:00 UTC)
    dt.datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
    dt.datetime(2026, 4, 4, 15, 30, 0, tzinfo=UTC),  # Sydney falls back at 16:00 UTC
    dt.datetime(2026, 4, 4, 16, 30, 0, tzinfo=UTC),
    dt.datetime(2026, 10, 25, 0, 30, 0, tzinfo=UTC),  # EU falls back (01:00 UTC)
    dt.datetime(2026, 11, 1, 5, 30, 0, tzinfo=UTC),  # US falls back (06:00 UTC)
    dt.datetime(2026, 11, 1, 6, 30, 0, tzinfo=UTC),
    dt.datetime(2026, 11, 24, 23, 45, 12, tzinfo=UTC),
    dt.datetime(2026, 11, 27, 0, 15, 0, tzinfo=UTC),  # last Friday of November, US evening
    dt.datetime(2026, 12, 6, 15, 0, 0, tzinfo=UTC),  # first Sunday
    dt.datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC),
]


def _edge_cases():
    """Listings whose shapes the demo generator rarely or never makes."""
    types = list(SupportType.objects.order_by("pk"))
    features = list(Feature.objects.order_by("pk"))
    org = Organization.objects.order_by("pk").first()
    sydney = f.location(city="Sydney", region="NSW", country="AU", latitude=-33.87, longitude=151.2)
    boston = f.location(city="Boston", region="MA", latitude=42.3601, longitude=-71.0589)
    nowhere = f.location(city="Somewhere", region="", latitude=None, longitude=None)

    def listing(name, **kw):
        kw.setdefault("support_type", types[len(name) % len(types)])
        return f.listing(name=name, **kw)

    a = listing("Zz Late Night Group", location=boston, features=features[:2], organization=org)
    f.schedule(a, weekday=5, start_time=dt.time(23, 30), end_time=None, timezone="America/New_York")
    f.schedule(
        a,
        weekday=6,
        start_time=dt.time(0, 15),
        end_time=dt.time(1, 15),
        timezone="America/New_York",
    )
    b = listing("Online Sydney Group", attendance="online", features=features[2:4])
    f.schedule(
        b, weekday=1, start_time=dt.time(7), end_time=dt.time(8), timezone="Australia/Sydney"
    )
    f.schedule(b, weekday=0, start_time=dt.time(2, 30), timezone="Australia/Sydney")  # DST gap
    c = listing("Hybrid Newfoundland", attendance="hybrid", location=sydney)
    f.schedule(c, weekday=3, start_time=dt.time(20), end_time=None, timezone="America/St_Johns")
    f.schedule(c, weekday=2, start_time=dt.time(9, 30), timezone="Asia/Kolkata")
    d = listing("Monthly Last Friday", location=boston, features=features[-2:])
    f.schedule(
        d, kind="monthly", weekday=5, week_of_month=-1, start_time=dt.time(19), timezone="UTC"
    )
    f.schedule(
        d,
        kind="monthly",
        weekday=0,
        week_of_month=1,
        start_time=dt.time(10),
        timezone="Europe/London",
        valid_from=dt.date(2026, 6, 1),
        valid_to=dt.date(2026, 12, 31),
    )
    e = listing("Every Three Weeks", attendance="online")
    f.schedule(
        e,
        kind="interval",
        weekday=2,
        interval_weeks=3,
        anchor_date=dt.date(2026, 11, 10),
        start_time=dt.time(1, 30),
        timezone="Pacific/Kiritimati",
    )
    f.schedule(
        e,
        kind="interval",
        weekday=0,
        interval_weeks=2,
        anchor_date=dt.date(2026, 3, 8),
        start_time=dt.time(2, 30),
        end_time=dt.time(3, 30),
        timezone="America/New_York",
    )
    g = listing("No Coordinates Group", location=nowhere, cost="fee")
    f.schedule(g, weekday=0, start_time=dt.time(18), timezone="America/Chicago")
    listing("Duplicate Name", location=boston, cost="donation")
    listing("Duplicate Name", attendance="online", features=features[:1])
    listing("duplicate name", location=boston)
    listing("Ünïcode Hope Café", location=boston)
    h = listing("Draft Group", status="draft", location=boston)
    f.schedule(h, weekday=1, timezone="America/New_York")
    i = listing("Archived Group", status="archived", location=boston)
    f.schedule(i, weekday=1, timezone="America/New_York")
    j = listing("Paused Group", attendance="inactive", location=boston)
    f.schedule(j, weekday=1, timezone="America/New_York")
    listing("No Schedule Online", attendance="online", features=features[3:6])


@pytest.fixture(name="world")
def world_fixture(reference):
    call_command("generate_demo", listings=220, seed=3, verbosity=0)
    _edge_cases()
    f.organization(name="Empty Org", slug="empty-org")
    f.support_type(name="Nobody Here", slug="nobody-here")
    return {
        "types": list(SupportType.objects.values_list("slug", flat=True)),
        "orgs": [*Organization.objects.values_list("slug", flat=True)[:8], "unknown-org"],
        "regions": sorted(
            {r for r in Listing.objects.values_list("location__region", flat=True) if r}
        )[:8]
        + ["Nowhere"],
        "features": {
            category: list(
                Feature.objects.filter(category__slug=category).values_list("slug", flat=True)
            )
            for category in vocabulary.FEATURE_FACETS
        },
    }


def _view(result, *, page: tuple[int, int], radius) -> dict:
    """What a visitor sees of a search result, in a form both implementations share."""
    view = {
        "count": result.count,
        "ids": [item.pk for item in result.results],
        "distances": [
            None if item.distance is None else round(item.distance, 6) for item in result.results
        ],
        "page": page,
        "sort": result.sort,
        "radius": radius,
        "facets": [
            (facet.name, [(v.value, v.label, v.count, v.selected, v.params) for v in facet.values])
            for facet in result.facets
        ],
        "relaxations": [(r.label, r.params, r.count) for r in result.relaxations],
        "online_count": result.online_count,
    }
    # The oracle leaves out a facet with no values at all; the template shows neither.
    names = {name for name, _ in view["facets"]}
    view["facets"] += [(name, []) for name in vocabulary.FACET_ORDER if name not in names]
    view["facets"].sort(key=lambda facet: vocabulary.FACET_ORDER.index(facet[0]))
    return view


def compare(params: dict) -> None:
    near, lat, lon = params["place"]
    common = {
        "q": params["q"],
        "near": near,
        "latitude": lat,
        "longitude": lon,
        "radius": params["radius"],
        "sort": params["sort"],
        "tz": params["tz"],
        "page": params["page"],
    }
    new = index_search.search_listings(
        ListingQuery(selection=dict(params["selection"]), **common), now=params["now"]
    )
    old_query = oracle.ListingQuery(
        selection={k: list(v) for k, v in params["selection"].items()}, **common
    )
    old = oracle._search_listings(old_query, now=params["now"])
    new_view = _view(
        new, page=(new.page.number, new.page.paginator.num_pages), radius=new.query.radius
    )
    old_view = _view(old, page=(old.page.number, old.page.num_pages), radius=old_query.radius)
    for key in new_view:
        assert new_view[key] == old_view[key], (key, params)
