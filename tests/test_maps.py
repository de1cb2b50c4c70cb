"""Maps drawn on the server (issue 24): the basemap data, the drawing, and the pages that show
them (/find/?view=map, a listing's locator, the printable handout)."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from directory.maps import atlas as atlas_module
from directory.maps.atlas import Shapes
from directory.maps.draw import View, _clip_ring, _lines, _path, cluster, scale_bar
from directory.models import Listing, Place
from tests import factories as f

ATLAS = Path(atlas_module.__file__).parent / "atlas"


# --- the data ------------------------------------------------------------------------------


def test_the_boundary_data_its_licences_and_their_checksums_are_in_the_repository():
    readme = (ATLAS / "README.md").read_text()
    for package in ("us-atlas-3.0.1", "world-atlas-2.0.2"):
        assert (ATLAS / package / "LICENSE").read_text().startswith("Copyright")
        assert package in readme
    for data in (atlas_module.US_ATLAS, atlas_module.WORLD_ATLAS, atlas_module.WORLD_ATLAS_COARSE):
        digest = hashlib.sha256(data.read_bytes()).hexdigest()
        assert digest in readme, f"{data.name}'s checksum is not the one README.md records"
    assert "public domain" in readme.lower()


def test_the_atlas_reads_land_and_borders_where_they_are():
    drawn = atlas_module.atlas()
    # Lake Michigan is water, Chicago's land is land: the US land has a ring around Chicago...
    around_chicago = drawn.us_land.within(-87.7, 41.8, -87.6, 41.9)
    assert len(around_chicago)
    # ...the state line between Illinois and Indiana is a state border near Hammond...
    assert len(drawn.states.within(-87.56, 41.55, -87.50, 41.65))
    # ...and the Canadian border is a country border near Detroit, on both resolutions.
    for world in (drawn.world, drawn.world_coarse):
        assert len(world.borders.within(-83.5, 41.8, -82.5, 42.6))
    assert len(drawn.counties) > 3000 and len(drawn.world.land) > 1000


# --- drawing -------------------------------------------------------------------------------


def test_a_view_puts_its_centre_in_the_middle_and_a_mile_where_it_should_be():
    view = View.around(41.88, -87.63, 10, 640, 640)
    x, y = view.project([41.88], [-87.63])
    assert (x[0], y[0]) == pytest.approx((320, 320))
    north = 41.88 + 10 / 69.0
    x, y = view.project([north], [-87.63])
    assert y[0] == pytest.approx(0, abs=1e-6)  # ten miles north: the top edge
    # Across the antimeridian, a point just east of 180° is just right of the centre.
    fiji = View.around(-17.8, 179.9, 50, 640, 640)
    x, _y = fiji.project([-17.8], [-179.9])
    assert 320 < x[0] < 420  # 0.2 degrees east: about 13 miles, not 360 degrees west


def test_paths_drop_repeated_points_and_runs_too_short_to_draw():
    x = np.array([0.0, 0.2, 10.0, 10.0, 5.0, 5.1, 5.2])
    y = np.array([0.0, 0.1, 0.0, 10.0, 5.0, 5.0, 5.1])
    # Run one: (0,0) (0,0 again) (10,0) (10,10); run two: three points that round together.
    assert _path(x, y, np.array([0, 4, 7]), close=False) == "M0 0l10 0 0 10"
    assert _path(x, y, np.array([0, 4, 7]), close=True) == "M0 0l10 0 0 10z"
    assert _path(x[:1], y[:1], np.array([0, 1]), close=False) == ""


def test_a_ring_is_clipped_to_the_box_and_a_ring_inside_it_is_kept_whole():
    square = (np.array([-50.0, 50.0, 50.0, -50.0]), np.array([-50.0, -50.0, 50.0, 50.0]))
    x, y = _clip_ring(*square, (0, 0, 10, 10))
    assert sorted(zip(x.round(6).tolist(), y.round(6).tolist(), strict=True)) == [
        (0, 0), (0, 10), (10, 0), (10, 10)
    ]  # fmt: skip
    inside = (np.array([2.0, 8.0, 5.0]), np.array([2.0, 2.0, 8.0]))
    x, y = _clip_ring(*inside, (0, 0, 10, 10))
    assert x.tolist() == [8.0, 5.0, 2.0] or sorted(x.tolist()) == [2.0, 5.0, 8.0]
    outside = (np.array([20.0, 30.0, 25.0]), np.array([20.0, 20.0, 30.0]))
    assert len(_clip_ring(*outside, (0, 0, 10, 10))[0]) == 0


def test_a_long_straight_border_crossing_the_view_is_drawn_though_both_ends_are_outside():
    # A state line simplified to one segment, 200 miles long, through a 2-mile view.
    line = Shapes.of([np.array([[-90.0, 40.0], [-90.0, 43.0]])])
    view = View.around(41.5, -90.0, 2, 100, 100)
    drawn = _lines(line, view)
    assert drawn.startswith("M50 ")
    # A line far from the view is not drawn at all.
    assert _lines(Shapes.of([np.array([[-80.0, 40.0], [-80.0, 43.0]])]), view) == ""


def test_markers_cluster_what_overlaps_and_keep_every_point_once_in_reading_order():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(0, 640, 300), np.full(5, 100.0)])
    y = np.concatenate([rng.uniform(0, 640, 300), np.full(5, 100.0)])
    rows = np.arange(len(x))
    order = np.hypot(x - 320, y - 320)  # distance from the centre
    approximate = np.zeros(len(x), dtype=bool)
    approximate[-5:] = True
    markers = cluster(x, y, rows, approximate, order, 44)
    members = np.concatenate([m.members for m in markers])
    assert sorted(members.tolist()) == rows.tolist()  # every point once
    firsts = [float(order[m.members[0]]) for m in markers]
    assert firsts == sorted(firsts)  # the marker holding the nearest point comes first
    for m in markers:
        assert list(order[m.members]) == sorted(order[m.members])
    same_place = [m for m in markers if set(range(300, 305)) <= set(m.members.tolist())]
    assert len(same_place) == 1
    assert not same_place[0].one_place or same_place[0].count == 5


def test_markers_that_would_overlap_across_a_cell_line_become_one():
    from directory.maps.draw import Marker, merge_overlapping

    order = np.array([5.0, 1.0, 3.0, 0.5])
    a = Marker(x=100, y=100, members=np.array([0, 2]), approximate=False, one_place=False)
    b = Marker(x=108, y=102, members=np.array([1]), approximate=True, one_place=True)
    far = Marker(x=300, y=300, members=np.array([3]), approximate=False, one_place=True)
    merged = merge_overlapping([a, b, far], lambda count: 15, order)
    assert [m.count for m in merged] == [1, 3]  # nearest first: the far one holds member 3
    group = merged[1]
    assert group.members.tolist() == [1, 2, 0]  # ranked by order
    assert (group.x, group.y) == (103, 101)  # weighted towards the bigger
    assert not group.one_place


def test_the_scale_bar_is_a_round_distance():
    units, miles = scale_bar(View.around(41.88, -87.63, 25, 640, 640), target_units=128)
    assert miles in {"2", "5", "10"}
    assert 50 < units <= 128


# --- the pages -----------------------------------------------------------------------------


class _Map(HTMLParser):
    """Markers (with their count, link, title, class), town names and figure data."""

    def __init__(self):
        super().__init__()
        self.markers: list[dict] = []
        self.towns: list[str] = []
        self.figures: list[dict] = []
        self.unplaced: int = 0
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag in {"a", "g"} and "m" in classes:
            self.markers.append({**a, "count": int(a["data-count"]), "title": ""})
        elif tag == "title" and self.markers and self._in is None:
            self._in = "title"
        elif tag == "text" and "map-town" in classes:
            self._in = "town"
        elif tag == "figure" and "map" in classes:
            self.figures.append(a)
        elif tag == "section" and "map-unplaced" in classes:
            self.unplaced = int(a["data-unplaced"])

    def handle_data(self, data):
        if self._in == "title":
            self.markers[-1]["title"] += data
        elif self._in == "town":
            self.towns.append(data)

    def handle_endtag(self, tag):
        if tag in {"title", "text"}:
            self._in = None


def _parse(html: str) -> _Map:
    parsed = _Map()
    parsed.feed(html)
    return parsed


def _count(html: str) -> int:
    return int(re.search(r'data-result-count="(\d+)"', html).group(1))


@pytest.fixture
def evanston(db):
    """Evanston and its neighbours, with listings as real data has them: several at one church,
    one placed at its town (approximate), one online only, one whose place is unknown."""
    towns = {
        "Evanston": (42.0411, -87.6901, 74_000),
        "Skokie": (42.0324, -87.7416, 64_000),
        "Wilmette": (42.0723, -87.7228, 27_000),
        "Chicago": (41.8500, -87.6500, 2_700_000),
    }
    for name, (lat, lon, people) in towns.items():
        f.place(
            name=name,
            search_name=name.lower(),
            region_code="IL",
            region_name="Illinois",
            latitude=lat,
            longitude=lon,
            population=people,
            timezone="America/Chicago",
        )
    church = f.location(city="Evanston", latitude=42.0450, longitude=-87.6800)
    at_church = [f.listing(name=f"Church group {i}", location=church) for i in range(3)]
    lone = f.listing(
        name="Skokie Tuesday Step Study",
        location=f.location(city="Skokie", latitude=42.0330, longitude=-87.7500),
    )
    rough = f.listing(
        name="Wilmette Family Circle",
        location=f.location(
            city="Wilmette", latitude=42.0723, longitude=-87.7228, approximate=True
        ),
    )
    online = f.listing(name="Night Owls Online", attendance="online")
    unknown = f.listing(
        name="Somewhere Hybrid",
        attendance="hybrid",
        location=f.location(city="Evanston", latitude=None, longitude=None),
    )
    far = f.listing(
        name="Far Away Group",
        location=f.location(city="Springfield", latitude=39.78, longitude=-89.65),
    )
    return {
        "church": at_church,
        "lone": lone,
        "rough": rough,
        "online": online,
        "unknown": unknown,
        "far": far,
    }


def test_the_map_view_draws_every_result_with_a_place_and_lists_the_rest(client, evanston):
    response = client.get("/find/?near=Evanston&radius=5&view=map")
    html = response.content.decode()
    assert response.status_code == 200
    assert not response.cookies
    drawn = _parse(html)
    total = _count(html)
    assert total == 5  # within 5 miles: not the online ones, nor the one 150 miles away
    assert sum(m["count"] for m in drawn.markers) == total and drawn.unplaced == 0
    # Without a place, every way of meeting: what has no place is listed beside the map.
    everything = client.get(
        "/find/?attendance=in_person&attendance=hybrid&attendance=online&view=map"
    ).content.decode()
    all_drawn = _parse(everything)
    assert _count(everything) == 8
    assert sum(m["count"] for m in all_drawn.markers) == 6 and all_drawn.unplaced == 2
    assert "Night Owls Online" in everything and "Somewhere Hybrid" in everything
    # A listing alone links to its page, with its name as the marker's accessible name.
    lone = next(m for m in drawn.markers if m["title"].startswith("Skokie Tuesday"))
    assert lone["href"] == f"/resources/{evanston['lone'].slug}/"
    assert "mi" in lone["title"]
    # An approximate place is drawn as such and says so.
    rough = next(m for m in drawn.markers if m["title"].startswith("Wilmette Family"))
    assert "m-approx" in rough["class"] and "approximate" in rough["title"]
    # Three groups at one church: one marker, counted, that leads to their names.
    church = next(m for m in drawn.markers if m["count"] == 3)
    assert church["title"] == "3 listings at one place"
    anchor = church["href"]
    assert anchor.startswith("#map-group-") and f'id="{anchor[1:]}"' in html
    for listing in evanston["church"]:
        assert f'href="/resources/{listing.slug}/"' in html
    # Towns name the map, the searched place is marked, and nothing comes from elsewhere.
    assert {"Skokie", "Wilmette"} <= set(drawn.towns)
    svg = html[html.index('<svg class="map-svg"') : html.index("</svg>")]
    assert "http" not in svg and "<image" not in svg and "<script" not in svg
    assert 'class="map-origin"' in svg and 'class="map-radius"' in svg
    assert "The map shows 5 results as 3 markers." in html


def test_markers_come_nearest_first_like_the_list(client, evanston):
    drawn = _parse(client.get("/find/?near=Skokie&radius=5&view=map").content.decode())
    assert drawn.markers[0]["title"].startswith("Skokie Tuesday")


def test_the_map_and_the_list_count_and_filter_alike(client, evanston):
    listed = client.get("/find/?near=Evanston&radius=5").content.decode()
    mapped = client.get("/find/?near=Evanston&radius=5&view=map").content.decode()
    assert _count(listed) == _count(mapped)
    facets = re.compile(r'name="(?:type|attendance)"[^>]*>[^<]*<span[^>]*>[^<]*\((\d+)\)')
    assert facets.findall(listed) == facets.findall(mapped)
    # The map's form keeps the map: a filter applied from it stays on the map.
    assert '<input type="hidden" name="view" value="map">' in mapped
    assert 'name="view"' not in listed
    # Each view links to the other, the current one marked as such.
    assert 'aria-current="page">Map<' in mapped and 'aria-current="page">List<' in listed
    online_only = client.get("/find/?near=Evanston&radius=5&view=map&attendance=online")
    assert _parse(online_only.content.decode()).markers == []


def test_a_group_that_can_be_separated_zooms_in_to_the_nearest_town(client, db):
    f.place(name="Evanston", search_name="evanston", region_name="Illinois",
            latitude=42.0411, longitude=-87.6901, population=74_000)  # fmt: skip
    for i in range(6):  # 0.2 miles apart: one marker at 25 miles, apart at 5
        f.listing(location=f.location(latitude=42.04 + i * 0.003, longitude=-87.69))
    html = client.get("/find/?near=Evanston&view=map&q=&type=").content.decode()
    drawn = _parse(html)
    group = next(m for m in drawn.markers if m["count"] > 1)
    assert "zoom in" in group["title"]
    href = group["href"].replace("&amp;", "&")
    assert "near=Evanston%2C+Illinois%2C+US" in href and "radius=10" in href
    assert "view=map" in href and "q=" in href  # the other settings kept
    zoomed = _parse(client.get("/find/" + href).content.decode())
    assert sum(m["count"] for m in zoomed.markers) == 6


def test_a_map_of_a_search_without_a_place_fits_its_results_and_zooms_to_places(client, evanston):
    html = client.get("/find/?attendance=in_person&view=map").content.decode()
    drawn = _parse(html)
    assert sum(m["count"] for m in drawn.markers) + drawn.unplaced == _count(html)
    assert all(m["href"] for m in drawn.markers)
    assert 'class="map-radius"' not in html


def test_the_map_costs_few_queries(client, evanston, django_assert_max_num_queries):
    client.get("/find/?near=Evanston&radius=5&view=map")  # the index, built once
    client.get("/find/?near=Evanston&radius=5")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as listed:
        client.get("/find/?near=Evanston&radius=5")
    with CaptureQueriesContext(connection) as mapped:
        client.get("/find/?near=Evanston&radius=5&view=map")
    # The map reads the town names and the names of what its markers show; it reads the
    # cards of the first listings it cannot place instead of a page of cards.
    assert len(mapped) <= len(listed) + 2, [q["sql"][:80] for q in mapped.captured_queries]


def test_a_listing_page_shows_where_it_meets_and_an_online_one_shows_no_map(client, evanston):
    lone = client.get(f"/resources/{evanston['lone'].slug}/").content.decode()
    drawn = _parse(lone)
    assert len(drawn.figures) == 1 and drawn.figures[0]["id"] == "locator-map"
    assert drawn.markers[0]["title"] == "Skokie Tuesday Step Study"
    assert "Skokie" in drawn.towns or "Evanston" in drawn.towns
    assert "Map of where Skokie Tuesday Step Study meets, in Skokie" in lone
    rough = client.get(f"/resources/{evanston['rough'].slug}/").content.decode()
    assert "The place shown is approximate" in rough
    online = client.get(f"/resources/{evanston['online'].slug}/").content.decode()
    assert 'class="map' not in online


def test_the_handout_numbers_its_markers_as_its_table(client, evanston):
    html = client.get("/find/print/?near=Evanston&radius=5").content.decode()
    drawn = _parse(html)
    assert drawn.figures and drawn.figures[0]["id"] == "handout-map"
    labels = re.findall(r"<text x=\"\d+\" y=\"\d+\">([^<]+)</text>", html)
    assert any(label.endswith("+") for label in labels)  # the church: "n+"
    assert "Markers for several listings:" in html
    assert all(not m.get("href") for m in drawn.markers)  # paper: no links
    numbers = re.findall(r'<span class="handout-number">(\d+)\.</span>', html)
    assert numbers == [str(i) for i in range(1, len(numbers) + 1)]


def test_the_map_is_in_spanish_on_the_spanish_page(client, evanston):
    html = client.get("/es/find/?near=Evanston&radius=5&view=map").content.decode()
    assert "El mapa muestra" in html
    drawn = _parse(html)
    lone = next(m for m in drawn.markers if m["title"].startswith("Skokie Tuesday"))
    assert lone["href"] == f"/es/resources/{evanston['lone'].slug}/"
    assert sum(m["count"] for m in drawn.markers) + drawn.unplaced == _count(html)


def test_a_map_from_a_non_us_place_uses_the_world_data(client, db):
    f.place(name="Leeds", search_name="leeds", country="GB", region_code="ENG",
            latitude=53.7965, longitude=-1.5478, population=455_000)  # fmt: skip
    f.listing(
        name="Leeds Lunchtime",
        location=f.location(
            city="Leeds",
            region="",
            country="GB",
            latitude=53.80,
            longitude=-1.55,
            timezone="Europe/London",
        ),  # fmt: skip
    )
    html = client.get("/find/?near=Leeds&view=map").content.decode()
    drawn = _parse(html)
    assert [m["title"].split(",")[0] for m in drawn.markers] == ["Leeds Lunchtime"]
    assert 'class="map-land"' in html


def test_the_index_knows_which_places_are_approximate(evanston):
    from directory.search.freshness import search_index

    ix = search_index()
    rough = np.flatnonzero(ix.ids == evanston["rough"].pk)[0]
    lone = np.flatnonzero(ix.ids == evanston["lone"].pk)[0]
    assert ix.approximate[rough] and not ix.approximate[lone]
    assert Listing.objects.filter(location__approximate=True).count() == 1
    assert Place.objects.count() == 4
