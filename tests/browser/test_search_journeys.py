"""Journeys through the public search in Chromium, with and without JavaScript."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from directory.models import Feature
from tests import factories as f
from tests.browser.conftest import axe_audit
from tests.browser.find_helpers import springfield_place

pytestmark = pytest.mark.browser


@pytest.fixture
def springfield(loaded_site):
    """A town in the gazetteer with a women's evening meeting and other listings around it."""
    springfield_place()
    women = Feature.objects.filter(code="W").first() or f.feature(
        "audience", name="Women", code="W"
    )
    near = f.location(city="Springfield", region="IL", latitude=39.80, longitude=-89.64)
    far = f.location(city="Chicago", region="IL", latitude=41.88, longitude=-87.63)
    evening = f.listing(name="Women's Evening Serenity", location=near, features=[women])
    f.schedule(evening, weekday=2, start_time=dt.time(19), end_time=dt.time(20))
    morning = f.listing(name="Women's Morning Group", location=near, features=[women])
    f.schedule(morning, weekday=2, start_time=dt.time(7), end_time=dt.time(8))
    distant = f.listing(name="Chicago Women's Evening", location=far, features=[women])
    f.schedule(distant, weekday=2, start_time=dt.time(19), end_time=dt.time(20))
    return loaded_site


def test_a_type_a_town_pick_radius_filter_women_evening_open_result_download_calendar(
    springfield, page
):
    page.goto(springfield("/find/"))
    page.get_by_label("Where", exact=True).fill("Springfield")
    page.get_by_label("Within", exact=True).select_option("25")  # changes nothing by itself
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/find/?*near=Springfield*")
    assert "Chicago Women's Evening" not in page.content()
    page.locator("#facet-audience").get_by_label("Women").check()
    page.wait_for_url("**audience=*")
    page.locator("#facet-time").get_by_label("Evening").check()
    page.wait_for_url("**time=evening*")
    results = page.locator(".results-list h3")
    assert results.all_inner_texts() == ["Women's Evening Serenity"]
    results.get_by_role("link").first.click()
    page.wait_for_url("**/resources/**")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Women's Evening Serenity")
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar").click()
    body = download.value.path().read_text()
    assert "BEGIN:VCALENDAR" in body and "RRULE:FREQ=WEEKLY" in body and "BYDAY=TU" in body
    violations = axe_audit(page)
    assert not violations, violations.report


def test_b_the_same_search_through_the_form_without_javascript(springfield, js_disabled_page):
    page = js_disabled_page
    page.goto(springfield("/find/"))
    page.get_by_label("Where", exact=True).fill("Springfield")
    page.get_by_label("Within", exact=True).select_option("25")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**near=Springfield*")
    page.locator("#facet-audience").get_by_label("Women").check()
    page.locator("#facet-time").get_by_label("Evening").check()
    page.get_by_role("button", name="Apply filters").first.click()
    page.wait_for_url("**time=evening*")
    assert page.locator(".results-list h3").all_inner_texts() == ["Women's Evening Serenity"]
    assert page.locator("[data-result-count]").get_attribute("data-result-count") == "1"


def _zone_in_daytime(now: dt.datetime) -> str:
    for zone in [
        "America/New_York",
        "Europe/London",
        "Asia/Tokyo",
        "Pacific/Honolulu",
        "America/Los_Angeles",
    ]:
        if 2 <= now.astimezone(ZoneInfo(zone)).hour <= 21:
            return zone
    return "UTC"


def test_c_find_an_online_meeting_happening_now(loaded_site, page):
    now = timezone.now()
    zone = _zone_in_daytime(now)
    local = now.astimezone(ZoneInfo(zone))
    start = (local - dt.timedelta(minutes=20)).time().replace(second=0, microsecond=0)
    end = (local + dt.timedelta(minutes=40)).time().replace(second=0, microsecond=0)
    online = f.listing(name="Midday Online Meeting", attendance="online")
    f.schedule(
        online, weekday=(local.weekday() + 1) % 7, start_time=start, end_time=end, timezone=zone
    )
    later = f.listing(name="Tomorrow Online Meeting", attendance="online")
    f.schedule(
        later, weekday=(local.weekday() + 2) % 7, start_time=start, end_time=end, timezone=zone
    )
    page.goto(loaded_site("/"))
    page.get_by_role("link", name="Online meetings now").click()
    page.wait_for_url("**/find/**")
    assert page.locator(".results-list h3").all_inner_texts() == ["Midday Online Meeting"]
    page.get_by_role("link", name="Midday Online Meeting").click()
    assert page.get_by_role("link", name="Join link").get_attribute("href").startswith("https://")
    violations = axe_audit(page)
    assert not violations, violations.report


def test_d_find_a_peer_worker_with_a_verified_current_credential(loaded_site, page):
    today = timezone.localdate()
    mentors = f.support_type(name="Peer mentoring (test)", slug="peer-mentoring-test")
    current = f.peer_worker(display_name="Jordan P.", support_types=[mentors])
    f.credential(current, verification_status="verified", expires_on=today + dt.timedelta(days=200))
    lapsed = f.peer_worker(display_name="Casey M.", support_types=[mentors])
    f.credential(lapsed, verification_status="verified", expires_on=today - dt.timedelta(days=3))
    page.goto(loaded_site("/peer-workers/"))
    assert sorted(page.locator(".results-list h3").all_inner_texts()) == ["Casey M.", "Jordan P."]
    page.get_by_label("Verified, current credential only").check()
    page.wait_for_url("**verified=current*")
    assert page.locator(".results-list h3").all_inner_texts() == ["Jordan P."]
    violations = axe_audit(page)
    assert not violations, violations.report
    page.get_by_role("link", name="Jordan P.").click()
    assert "Verified, current" in page.locator("main").inner_text()
    violations = axe_audit(page)
    assert not violations, violations.report
    page.goto(loaded_site(lapsed.get_absolute_url()))
    assert "Expired" in page.locator("main").inner_text()


@pytest.mark.parametrize(
    "path", ["/find/", "/find/?audience=women&when=today", "/find/print/", "/peer-workers/"]
)
def test_search_pages_pass_an_axe_audit(springfield, page, path):
    response = page.goto(springfield(path))
    assert response.status == 200
    assert page.locator("h1").count() == 1
    violations = axe_audit(page)
    assert not violations, violations.report


def test_find_page_fits_a_phone(springfield, page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(springfield("/find/?near=Springfield"))
    assert page.locator(".results-list").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no horizontal scrolling on a phone"
    violations = axe_audit(page)
    assert not violations, violations.report
