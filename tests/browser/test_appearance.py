"""How the public pages look: the dark scheme, the mark, the home grid, the handout on a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.models import SupportType
from tests import factories as f
from tests.browser.conftest import axe_audit
from tests.browser.find_helpers import PHONE, springfield_place

pytestmark = pytest.mark.browser


@pytest.fixture
def site_with_listings(loaded_site):
    springfield_place()
    groups = SupportType.objects.get(slug="recovery-groups")
    near = f.location(city="Springfield", region="IL", latitude=39.80, longitude=-89.64)
    evening = f.listing(
        name="Springfield Evening Serenity Group With A Rather Long Name",
        location=near,
        support_type=groups,
    )
    f.schedule(evening, weekday=2, start_time=dt.time(19), end_time=dt.time(20))
    online = f.listing(
        name="Night Owls Online",
        support_type=groups,
        attendance="online",
        location=None,
        conference_url="https://meet.example.org/night-owls-online-recovery-room-42",
    )
    f.schedule(online, weekday=4, start_time=dt.time(23), end_time=dt.time(23, 59))
    loaded_site.listing = evening
    return loaded_site


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_public_page_types_pass_axe_in_both_colour_schemes(site_with_listings, page, scheme):
    page.emulate_media(color_scheme=scheme)
    paths = [
        "/",
        "/find/?near=Springfield",
        "/find/print/",
        site_with_listings.listing.get_absolute_url(),
        "/peer-workers/",
        "/learn/",
        "/suggest/",
        "/no-such-page/",
    ]
    for path in paths:
        page.goto(site_with_listings(path))
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
            scheme == "dark"
        )
        violations = axe_audit(page)
        assert not violations, violations.report


def test_dark_scheme_really_changes_the_palette(site_with_listings, page):
    page.goto(site_with_listings("/"))
    light = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert light == "rgb(255, 255, 255)"
    assert dark != light


def test_the_mark_loads_in_the_header_and_as_the_icon(site_with_listings, page):
    page.goto(site_with_listings("/"))
    mark = page.locator("header .brand-mark")
    assert mark.evaluate("img => img.complete && img.naturalWidth > 0")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(site_with_listings(icon))
    assert response.status == 200 and "svg" in response.headers["content-type"]
    # The brand link's name is the site's name, not the image's.
    assert page.get_by_role("link", name="Peer Support Directory").first.is_visible()


def test_no_support_type_card_sits_alone_on_a_row(site_with_listings, page):
    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(site_with_listings("/"))
        cards = page.locator(".type-grid > li")
        assert cards.count() == 5
        rows: dict[int, list[float]] = {}
        for box in (cards.nth(i).bounding_box() for i in range(5)):
            rows.setdefault(round(box["y"]), []).append(box["width"])
        widths = list(rows.values())
        last = widths[-1]
        # Either every row holds more than one card, or a lone last card spans the row.
        assert len(last) > 1 or last[0] >= max(sum(w) for w in widths[:-1]) * 0.95, (width, rows)


def test_the_handout_stacks_on_a_phone_without_sideways_scrolling(site_with_listings, page):
    page.set_viewport_size(PHONE)
    page.goto(site_with_listings("/find/print/?attendance=in_person&attendance=online"))
    assert page.locator(".handout tbody tr").count() >= 2
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the handout scrolls sideways on a phone"
    first, second = (page.locator(".handout tbody tr td").nth(i).bounding_box() for i in (0, 1))
    assert second["y"] > first["y"], "cells of a row stack on a phone"
    # Printed, it is still a table.
    page.emulate_media(media="print")
    first, second = (page.locator(".handout tbody tr td").nth(i).bounding_box() for i in (0, 1))
    assert abs(second["y"] - first["y"]) < 2
