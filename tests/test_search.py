"""The public search: honest facet counts, keyword, distance, time and robustness."""

from __future__ import annotations

import datetime as dt
import random
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Listing, Place, Schedule
from directory.search.geo import haversine_miles
from tests import factories as f
from tests.search_helpers import parse_find_page

pytestmark = pytest.mark.django_db
UTC = dt.UTC
ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London"]


@pytest.fixture
def taxonomy():
    audience = f.feature_category(slug="audience", name="Audience")
    fmt = f.feature_category(slug="format", name="Meeting format")
    language = f.feature_category(slug="language", name="Language")
    return {
        "women": f.feature(audience, name="Women", slug="women", code="W"),
        "men": f.feature(audience, name="Men", slug="men", code="M"),
        "young": f.feature(audience, name="Young People", slug="young-people", code="Y"),
        "open": f.feature(fmt, name="Open", slug="open", code="O"),
        "closed": f.feature(fmt, name="Closed", slug="closed", code="C"),
        "english": f.feature(language, name="English", slug="english", code="EN"),
        "spanish": f.feature(language, name="Spanish", slug="spanish", code="S"),
        "types": [
            f.support_type(name="12-Step Programs", slug="12-step-programs"),
            f.support_type(name="Recovery Groups", slug="recovery-groups"),
            f.support_type(name="Family and Friends", slug="family-and-friends"),
        ],
    }


@pytest.fixture
def generated(taxonomy):
    """Sixty listings with random types, modes, features, regions and schedules (seeded)."""
    rng = random.Random(7)
    features = [v for k, v in taxonomy.items() if k != "types"]
    orgs = [f.organization(name=f"Org {i}", slug=f"org-{i}") for i in range(3)]
    regions = [("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX")]
    for i in range(60):
        attendance = rng.choice(["in_person", "in_person", "online", "hybrid"])
        city, region = rng.choice(regions)
        kwargs = {}
        if attendance != "online":
            kwargs["location"] = f.location(city=city, region=region)
        listing = f.listing(
            name=f"Group {i:02d}",
            support_type=rng.choice(taxonomy["types"]),
            attendance=attendance,
            organization=rng.choice([*orgs, None]),
            cost=rng.choice(["free", "free", "donation", "fee"]),
            features=rng.sample(features, rng.randint(0, 3)),
            **kwargs,
        )
        for _ in range(rng.randint(0, 3)):
            start = dt.time(rng.choice([7, 9, 12, 15, 18, 19, 20, 22]), rng.choice([0, 30]))
            f.schedule(
                listing,
                weekday=rng.randint(0, 6),
                start_time=start,
                end_time=(
                    dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(hours=1)
                ).time()
                if start.hour < 22
                else None,
                timezone=rng.choice(ZONES),
            )
    return taxonomy


def find(client, params: str | dict = "", language: str = ""):
    query = params if isinstance(params, str) else urlencode(params, doseq=True)
    response = client.get(f"{language}/find/" + (("?" + query.lstrip("?")) if query else ""))
    assert response.status_code == 200
    return parse_find_page(response.content.decode())


@time_machine.travel(dt.datetime(2026, 11, 24, 23, 45, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(
    "params",
    [
        "",
        "audience=women",
        "audience=women&audience=men&attendance=online",
        "type=12-step-programs&format=open&cost=free",
        "day=2&time=evening",
        "day=2&day=4&time=evening&time=night&audience=women",
        "when=today&attendance=in_person&attendance=hybrid",
        "when=now&when=soon&attendance=in_person&attendance=hybrid",
        "region=IL&language=spanish&tz=Europe/London&attendance=in_person",
        "org=org-1&org=org-2&type=recovery-groups&type=family-and-friends",
    ],
)
@pytest.mark.parametrize("language", ["", "/es"])  # the English and the Spanish pages
def test_every_facet_count_equals_the_results_after_clicking_it(
    client, generated, params, language
):
    page = find(client, params, language)
    checked = 0
    for value in page.facet_values:
        if value["disabled"]:
            assert value["count"] == 0
            continue
        after = find(client, value["url"], language)
        assert after.result_count == value["count"], (params, value)
        checked += 1
    assert checked >= 10


def test_facets_combine_or_within_and_across(client, generated):
    women = find(client, "audience=women").result_count
    men = find(client, "audience=men").result_count
    both = find(client, "audience=women&audience=men").result_count
    both_and_online = find(client, "audience=women&audience=men&attendance=online").result_count
    # No place given: online listings only, until the visitor gives one.
    expected_both = (
        Listing.objects.published()
        .filter(features__slug__in=["women", "men"], attendance="online")
        .distinct()
        .count()
    )
    assert both == expected_both
    assert max(women, men) <= both <= women + men
    assert both_and_online <= both


def test_zero_count_values_are_disabled_never_dead_links(client, taxonomy):
    f.listing(name="Only women", features=[taxonomy["women"]], support_type=taxonomy["types"][0])
    page = find(client, "")
    men = [v for v in page.facet_values if v["value"] == "men"]
    assert men == [] or (men[0]["count"] == 0 and men[0]["disabled"])
    attendance = {v["value"]: v for v in page.facet_values if v["name"] == "attendance"}
    assert "online" not in attendance or attendance["online"]["disabled"]
    # A disabled value is also absent from the page as a clickable link.
    html = client.get("/find/").content.decode()
    assert 'href="?audience=men"' not in html


def test_keyword_ranks_an_exact_name_first(client):
    online = {"attendance": "online"}  # no place given: online listings
    f.listing(name="SMART Recovery Family & Friends", description="For families", **online)
    f.listing(name="Recovery Dharma", description="SMART Recovery tools are discussed", **online)
    f.listing(name="SMART Recovery", **online)
    f.listing(name="Unrelated Walking Group", **online)
    page = find(client, "q=SMART+Recovery")
    assert page.result_names[0] == "SMART Recovery"
    assert "Unrelated Walking Group" not in page.result_names
    assert page.result_count == 3


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="typo tolerance uses pg_trgm")
def test_keyword_finds_a_misspelled_name_on_postgresql(client):
    f.listing(name="Serenity Seekers", attendance="online")  # no place: online listings
    f.listing(name="Hope Circle", attendance="online")
    page = find(client, "q=Serentiy+Seekrs")
    assert page.result_names == ["Serenity Seekers"]


NYC = (40.7128, -74.0060)
NEWARK = (40.7357, -74.1724)
PHILADELPHIA = (39.9526, -75.1652)
BOSTON = (42.3601, -71.0589)


def test_distance_filter_and_sort_match_hand_computed_distances(client):
    # Hand-computed great-circle distances from New York City (haversine, R = 3958.8 mi).
    assert haversine_miles(*NYC, *NEWARK) == pytest.approx(8.9, abs=0.1)
    assert haversine_miles(*NYC, *PHILADELPHIA) == pytest.approx(80.6, abs=0.2)
    assert haversine_miles(*NYC, *BOSTON) == pytest.approx(190.2, abs=0.3)
    for name, (lat, lon) in [
        ("Boston", BOSTON),
        ("Philadelphia", PHILADELPHIA),
        ("Newark", NEWARK),
    ]:
        f.listing(name=f"{name} group", location=f.location(latitude=lat, longitude=lon, city=name))
    f.listing(name="Online only", attendance="online")
    near = {"lat": NYC[0], "lon": NYC[1]}
    assert find(client, {**near, "radius": 10}).result_names == ["Newark group"]
    assert find(client, {**near, "radius": 100}).result_names == [
        "Newark group",
        "Philadelphia group",
    ]
    html = client.get("/find/?" + urlencode({**near, "radius": 100})).content.decode()
    for place in (NEWARK, PHILADELPHIA):
        assert f"{haversine_miles(*NYC, *place):.1f} miles away" in html
    assert find(client, {**near, "radius": 5}).result_count == 0
    # Without a place: online listings, until the visitor gives one; in person when asked
    # for (then listings without coordinates are never dropped).
    assert find(client, "").result_names == ["Online only"]
    assert find(client, "attendance=in_person&attendance=online").result_count == 4


def test_place_names_and_zip_codes_resolve_through_the_gazetteer(client):
    f.place(
        name="Portland",
        search_name="portland",
        region_code="OR",
        region_name="Oregon",
        latitude=45.5152,
        longitude=-122.6784,
        population=650_000,
    )
    f.place(
        name="Portland",
        search_name="portland",
        region_code="ME",
        region_name="Maine",
        latitude=43.6591,
        longitude=-70.2568,
        population=68_000,
    )
    Place.objects.create(
        kind="postal_code",
        name="04101",
        search_name="04101",
        country="US",
        region_code="ME",
        latitude=43.6615,
        longitude=-70.2553,
        source_id="04101",
    )
    f.listing(name="Oregon group", location=f.location(latitude=45.52, longitude=-122.68))
    f.listing(name="Maine group", location=f.location(latitude=43.66, longitude=-70.26))
    html = client.get("/find/?near=Portland").content.decode()
    assert parse_find_page(html).result_names == ["Oregon group"]
    assert "Did you mean" in html and "Portland, Maine, US" in html
    assert find(client, "near=Portland%2C+Maine").result_names == ["Maine group"]
    assert find(client, "near=Portland%2C+ME").result_names == ["Maine group"]
    assert find(client, "near=04101").result_names == ["Maine group"]
    unknown = client.get("/find/?near=Atlantis").content.decode()
    # An unknown place shows no in-person listings (not the whole country), online ones instead.
    assert "couldn" in unknown and parse_find_page(unknown).result_count == 0


@pytest.mark.parametrize(
    "query",
    [
        "type=unknown&attendance=teleport&day=9&day=-1&time=brunch&when=yesterday",
        "lat=abc&lon=200&radius=7",
        "lat=91&lon=0",
        "radius=" + "9" * 50,
        "page=-3",
        "page=99999999999999999999",
        "page=abc",
        "q=" + "x" * 5000,
        "near=" + "y" * 5000,
        "tz=Mars/Olympus_Mons",
        "sort=random",
        "sort=distance",
        "region=" + "z" * 500,
        "org=" + "&org=".join(str(i) for i in range(200)),
        "q=%27%3B+DROP+TABLE+directory_resource%3B--",
        "q=%00%01",
        "audience=women&audience=women",
        "when=now&time=night&day=0&near=Nowhere",  # a time filter that matches no listing
    ],
)
def test_invalid_parameters_never_cause_a_server_error(client, taxonomy, query):
    f.listing(name="Still here", features=[taxonomy["women"]])
    response = client.get("/find/?" + query)
    assert response.status_code == 200
    assert client.get("/find/print/?" + query).status_code == 200


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("per_page", [20, 100])
def test_query_count_is_at_most_ten_and_does_not_grow_with_listings_or_page_size(
    client, taxonomy, monkeypatch, per_page
):
    from directory.search import cards, listings

    monkeypatch.setattr(listings, "PER_PAGE", per_page)
    Place.objects.create(
        kind=Place.Kind.CITY, name="Springfield", search_name="springfield", region_code="IL",
        country="US", latitude=39.78, longitude=-89.65, population=100, source_id="1",
    )  # fmt: skip
    urls = [
        "/find/",
        "/find/?audience=women&audience=men&day=2&time=evening&format=open",
        "/find/?q=group&near=Springfield&sort=soonest&when=today",
        "/find/?type=12-step-programs&attendance=in_person&page=2",
    ]

    def add(n):
        for _ in range(n):
            listing = f.listing(
                name=f"Group {f.n()}",
                features=[taxonomy["women"], taxonomy["open"]],
                support_type=taxonomy["types"][0],
            )
            f.schedule(listing, weekday=2, start_time=dt.time(19))
            f.schedule(listing, weekday=4, start_time=dt.time(19))

    def cold(url):
        # Cards not shown before, a place not found before: the most a page can cost (shown
        # cards are read from memory, found places from the shared cache).
        monkeypatch.setattr(cards, "_card_rows", cards._CardRows())
        cache.clear()
        return _queries_for(client, url)

    def counts():
        client.get("/find/")  # the index follows the new listings (in production, off-request)
        return {url: cold(url) for url in urls}

    add(3)
    small = counts()
    add(297)
    large = counts()
    assert small == large
    assert max(large.values()) <= 10, large


@pytest.fixture
def another_worker(monkeypatch):
    """Call it to be another worker: no card in its memory, the shared cache as it is."""
    from directory.search import cards

    return lambda: monkeypatch.setattr(cards, "_card_rows", cards._CardRows())


@pytest.mark.parametrize("worker", ["the same worker", "another worker"])
def test_a_card_shown_before_changes_with_its_listing(client, another_worker, worker):
    listing = f.listing(name="Hope at Noon", attendance="online")
    f.schedule(listing, weekday=2, start_time=dt.time(12))
    assert find(client, "").result_names == ["Hope at Noon"]
    listing.name = "Hope at One"
    listing.save()
    Schedule.objects.filter(listing=listing).update(start_time=dt.time(13))
    if worker == "another worker":
        client.get("/find/")  # the index follows the edit (in production, off-request)
        another_worker()
    html = client.get("/find/").content.decode()
    assert "Hope at One" in html and "Hope at Noon" not in html
    Listing.objects.filter(pk=listing.pk).update(status="draft")
    if worker == "another worker":
        client.get("/find/")
        another_worker()
    assert find(client, "").result_names == []


def test_cards_one_process_read_are_not_read_again_by_another(client, another_worker):
    for i in range(3):
        listing = f.listing(name=f"Shared card {i}", attendance="online")
        f.schedule(listing, weekday=i, start_time=dt.time(12))
    first = client.get("/find/").content.decode()
    warm = _queries_for(client, "/find/")  # every card in this process's memory
    another_worker()
    cache.clear()
    assert _queries_for(client, "/find/") == warm + 3  # read by no process: three statements
    another_worker()  # the shared cache as the one before left it
    assert _queries_for(client, "/find/") == warm
    another_worker()
    again = client.get("/find/").content.decode()
    assert again == first
    assert "Shared card 2" in again


def test_a_shared_card_value_that_cannot_be_read_is_read_again(client, another_worker):
    from directory.search import cards
    from directory.search.freshness import search_index

    listing = f.listing(name="Hope at Noon", attendance="online")
    f.schedule(listing, weekday=2, start_time=dt.time(12))
    assert find(client, "").result_names == ["Hope at Noon"]
    # What an unreadable value gives (directory.cache.ForgivingSerializer), and a stranger.
    for unreadable in (None, "not a row"):
        key = next(iter(cards._shared_keys(search_index(), [listing.pk])))
        cache.set(key, unreadable)
        another_worker()
        assert find(client, "").result_names == ["Hope at Noon"]


def test_pagination_keeps_the_other_filters(client, taxonomy):
    for i in range(25):
        f.listing(name=f"Women group {i:02d}", features=[taxonomy["women"]], attendance="online")
    html = client.get("/find/?audience=women&sort=name").content.decode()
    assert 'href="?audience=women&amp;sort=name&amp;page=2"' in html
    second = find(client, "audience=women&sort=name&page=2")
    assert len(second.result_names) == 5


def test_drafts_archived_and_inactive_listings_stay_out(client):
    f.listing(name="Live")
    f.listing(name="Draft", status="draft")
    f.listing(name="Archived", status="archived")
    f.listing(name="Paused", attendance="inactive")
    every_kind = "attendance=in_person&attendance=online&attendance=hybrid"
    assert find(client, every_kind).result_names == ["Live"]


def test_an_empty_result_suggests_what_to_relax_and_offers_online_and_crisis_help(client, taxonomy):
    from directory.models import CrisisLine

    CrisisLine.objects.create(country="US", name="988 Lifeline", phone="988")
    f.listing(name="Women group", features=[taxonomy["women"]])
    html = client.get("/find/?audience=women&attendance=online").content.decode()
    assert "No listings match" in html
    # No place given: the way out is in-person listings anywhere (or giving a place).
    assert "Show in-person listings anywhere" in html and "(1 result)" in html
    assert "Remove “How it meets”" not in html  # that would give online only again: nothing
    assert "Online meetings starting within the hour" in html
    assert 'href="tel:988"' in html


def test_calendar_subscription_and_print_follow_the_search(client, taxonomy):
    wanted = f.listing(name="Women Tuesday", features=[taxonomy["women"]], attendance="online")
    f.schedule(wanted, weekday=2)
    other = f.listing(name="Men Thursday", features=[taxonomy["men"]], attendance="online")
    f.schedule(other, weekday=4)
    response = client.get("/find/calendar.ics?audience=women")
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode().replace("\r\n ", "")  # unfolded (RFC 5545 3.1)
    assert "Women Tuesday" in body and "Men Thursday" not in body
    assert "BYDAY=TU" in body and f"/resources/{wanted.slug}/" in body
    handout = client.get("/find/print/?audience=women").content.decode()
    assert "Women Tuesday" in handout and "Men Thursday" not in handout
    assert "Every Tuesday, 7–8 pm Central Time" in handout  # on its own clock, in words


def test_print_and_calendar_of_a_broad_search_carry_the_first_100_and_say_so(client, taxonomy):
    kind = taxonomy["types"][0]
    for i in range(103):
        f.schedule(
            f.listing(name=f"Meeting {i:03d}", support_type=kind, attendance="online"),
            weekday=i % 7,
        )
    handout = client.get("/find/print/").content.decode()
    assert handout.count("<tr>") == 1 + 100  # the header row and 100 listings
    assert "the first 100 of 103 listings" in handout
    assert "Meeting 099" in handout and "Meeting 100" not in handout
    calendar = client.get("/find/calendar.ics").content.decode()
    assert calendar.count("BEGIN:VEVENT") == 100
    narrowed = client.get("/find/print/?day=0").content.decode()
    assert "the first 100" not in narrowed and "Meeting 098" in narrowed


@time_machine.travel(dt.datetime(2026, 12, 1, 18, 30, tzinfo=UTC), tick=False)  # Tue 12:30 CST
def test_starting_soonest_follows_the_real_next_starts(client):
    from directory.scheduling import next_start_for_listing

    def listing(name, **schedule):
        item = f.listing(name=name, attendance="online")
        f.schedule(item, **schedule)
        return item

    # Weekly slots that look soonest, but whose real next meeting is weeks away, must sort
    # after a weekly meeting later today.
    listing(
        "A monthly, first Tuesday",
        kind="monthly",
        weekday=2,
        week_of_month=1,
        start_time=dt.time(13),
    )  # first Tuesday of December is today: 13:00, soonest
    listing(
        "B monthly, last Tuesday",
        kind="monthly",
        weekday=2,
        week_of_month=-1,
        start_time=dt.time(12, 45),
    )  # weekly slot 12:45 today, real date 29 December
    listing(
        "C every 3 weeks",
        kind="interval",
        weekday=2,
        interval_weeks=3,
        anchor_date=dt.date(2026, 11, 24),
        start_time=dt.time(12, 40),
    )  # next: 15 Dec
    listing("D weekly tonight", weekday=2, start_time=dt.time(19))
    listing("E under way", weekday=2, start_time=dt.time(12), end_time=dt.time(13))
    listing(
        "F ended, not yet valid", weekday=3, start_time=dt.time(9), valid_from=dt.date(2027, 1, 1)
    )
    listing("G ended for good", weekday=3, start_time=dt.time(8), valid_to=dt.date(2026, 11, 1))
    now = dt.datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
    expected = sorted(
        Listing.objects.all(),
        key=lambda r: (
            (start := next_start_for_listing(r.schedules.all(), now)) is None,
            start or now,
            r.name,
        ),
    )
    assert [r.name for r in expected][:3] == [
        "E under way",
        "A monthly, first Tuesday",
        "D weekly tonight",
    ]
    found = find(client, "sort=soonest")
    assert found.result_names == [r.name for r in expected]
    assert found.result_names[-1] == "G ended for good"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own statements")
def test_cards_read_by_postgresql_s_statements_are_the_orm_s(reference):
    """On PostgreSQL a page's new cards are read by statements written out (a third of the
    CPU); they give exactly the ORM's rows, for listings of every shape: unpublished, with no
    place, no features, many features, every kind of schedule."""
    from django.core.management import call_command

    from directory.search import cards

    call_command("generate_demo", listings=150, seed=3, verbosity=0)
    f.listing(name="Nowhere", location=None, attendance="online")
    f.listing(name="Drafted", status="draft")
    ids = list(Listing.objects.values_list("pk", flat=True)) + [10**9]
    written = cards._card_statements_postgresql(ids)
    orm = cards._card_statements_orm(ids)
    assert sorted(written[0]) == sorted(orm[0])
    assert len(written[0]) == Listing.objects.published().count()
    assert written[1] == orm[1] and len(orm[1]) > 100
    assert sorted(written[2], key=repr) == sorted(orm[2], key=repr) and len(orm[2]) > 100
    kinds = {row[1] for row in orm[2]}
    assert len(kinds) > 1, kinds
