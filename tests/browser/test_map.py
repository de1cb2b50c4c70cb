"""The map of the results, walked as a visitor: a place search on a phone and a desktop, a marker
to its listing, a filter ticked on the map, no JavaScript, and nothing fetched from elsewhere
(the ``page`` fixtures fail a test on any request to another host)."""

from __future__ import annotations

import re

import pytest

from tests import factories as f
from tests.browser.conftest import axe_audit
from tests.browser.find_helpers import PHONE, _count, _mark_document, _same_document, _wait_until

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def _drawn(page) -> tuple[int, int]:
    """(listings on the map, listings beside it): the markers' counts and the unplaced count."""
    placed = page.evaluate(
        "Array.from(document.querySelectorAll('#results-map .m'))"
        ".reduce((sum, m) => sum + Number(m.dataset.count), 0)"
    )
    beside = page.locator(".map-unplaced")
    unplaced = int(beside.get_attribute("data-unplaced")) if beside.count() else 0
    return placed, unplaced


@pytest.fixture
def mapped_town(town):
    """The town fixture and one group far enough out to have a marker of its own."""
    f.listing(
        name="Riverton Lone Group",
        location=f.location(city="Riverton", latitude=39.84, longitude=-89.54),
    )
    return town


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_map_view_from_a_place_search_shows_every_result_and_passes_axe(
    mapped_town, page, size
):
    page.set_viewport_size(size)
    page.goto(mapped_town("/find/?near=Springfield"))
    page.get_by_role("link", name="Map", exact=True).click()
    page.wait_for_url("**view=map*")
    assert page.locator("#results-map svg").is_visible()
    placed, unplaced = _drawn(page)
    assert placed + unplaced == _count(page)
    caption = page.locator("#results-map figcaption").inner_text()
    assert f"The map shows {placed} results" in caption
    violations = axe_audit(page)
    assert not violations, violations.report
    assert not page.context.cookies()


def test_a_marker_opens_its_listing_and_is_reached_by_keyboard(mapped_town, page):
    page.goto(mapped_town("/find/?near=Springfield&view=map"))
    marker = page.locator("#results-map a.m", has_text="").filter(
        has=page.locator("title", has_text="Riverton Lone Group")
    )
    assert marker.count() == 1
    marker.focus()
    assert page.evaluate("document.activeElement.getAttribute('class')").startswith("m")
    page.keyboard.press("Enter")
    page.wait_for_url("**/resources/**")
    assert page.locator("h1").inner_text().startswith("Riverton Lone Group")
    # The listing page shows where it meets, with nothing fetched from elsewhere.
    assert page.locator("#locator-map svg").is_visible()
    violations = axe_audit(page)
    assert not violations, violations.report


def test_ticking_a_filter_on_the_map_updates_it_in_place(mapped_town, page):
    page.goto(mapped_town("/find/?near=Springfield&view=map"))
    _mark_document(page)
    before = _count(page)
    page.locator("#filters").get_by_role("checkbox", name="Recovery Groups").check()
    page.wait_for_url("**type=recovery-groups*")
    _wait_until(page, f"document.getElementById('results-title').dataset.resultCount != '{before}'")
    assert _same_document(page)
    assert "view=map" in page.url
    placed, unplaced = _drawn(page)
    assert placed + unplaced == _count(page) == 13


def test_without_javascript_the_map_is_there_and_filters_keep_it(mapped_town, js_disabled_page):
    page = js_disabled_page
    page.goto(mapped_town("/find/?near=Springfield"))
    page.get_by_role("link", name="Map", exact=True).click()
    placed, unplaced = _drawn(page)
    assert placed + unplaced == _count(page)
    page.get_by_label("Recovery Groups").check()
    page.get_by_role("button", name="Apply filters").click()
    # The new page loaded (the URL changes before it has: a busy machine read the old one).
    page.wait_for_url(re.compile(r"type=recovery-groups"), wait_until="load")
    assert "view=map" in page.url
    placed, unplaced = _drawn(page)
    assert placed + unplaced == _count(page) == 13
    page.get_by_role("link", name="List", exact=True).click()
    page.wait_for_url(lambda url: "view=map" not in url, wait_until="load")
    assert page.locator(".results-list").count() == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_map_reads_in_both_colour_schemes_and_in_spanish(mapped_town, page, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(mapped_town("/es/find/?near=Springfield&view=map"))
    assert page.locator("html").get_attribute("lang").startswith("es")
    caption = page.locator("#results-map figcaption").inner_text()
    assert caption.startswith("El mapa muestra")
    placed, unplaced = _drawn(page)
    assert placed + unplaced == _count(page)
    # The markers' fill differs from the land's in both schemes (contrast is axe's to judge
    # for text; here: a marker is not drawn in the land's colour).
    fills = page.evaluate(
        "[getComputedStyle(document.querySelector('#results-map .m circle')).fill,"
        " getComputedStyle(document.querySelector('#results-map .map-land')).fill]"
    )
    assert fills[0] != fills[1]
    violations = axe_audit(page)
    assert not violations, violations.report
