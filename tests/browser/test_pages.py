"""Public pages in a real browser: one h1, no axe violations (WCAG 2.2 AA), no third parties."""

import pytest

from directory.models import GuideSection, SupportType
from tests.browser.conftest import axe_audit

pytestmark = pytest.mark.browser


def open_page(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


def assert_page_is_sound(page):
    assert page.locator("h1").count() == 1, f"{page.url} should have exactly one h1"
    assert page.get_by_role("main").count() == 1
    violations = axe_audit(page)
    assert not violations, violations.report


def test_home_page_is_accessible(loaded_site, page):
    open_page(page, loaded_site("/"))
    assert page.get_by_role("heading", name="Types of peer support").is_visible()
    assert_page_is_sound(page)


@pytest.mark.parametrize(
    "path",
    [
        "/learn/",
        "/learn/faq/",
        "/learn/choosing-a-peer-worker/",
        "/support-types/",
        "/support-types/family-and-friends/",
        "/support-types/peer-mentors/",
    ],
)
def test_guide_and_support_type_pages_are_accessible(loaded_site, page, path):
    open_page(page, loaded_site(path))
    assert_page_is_sound(page)


def test_every_guide_section_and_support_type_is_accessible(loaded_site, page):
    sections = GuideSection.objects.exclude(kind=GuideSection.Kind.QUALIFIED_WORKER)
    urls = [s.get_absolute_url() for s in sections]
    urls += [t.get_absolute_url() for t in SupportType.objects.all()]
    assert len(urls) >= 14
    for url in urls:
        open_page(page, loaded_site(url))
        assert_page_is_sound(page)


def test_guide_pages_fit_a_phone(loaded_site, page):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ["/learn/choosing-a-peer-worker/", "/support-types/family-and-friends/"]:
        open_page(page, loaded_site(path))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone"
        assert_page_is_sound(page)


def test_from_the_guide_to_the_checklist_to_peer_workers_without_javascript(
    loaded_site, js_disabled_page
):
    page = js_disabled_page
    open_page(page, loaded_site("/"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Learn").click()
    page.get_by_role(
        "link", name="How to identify a qualified peer support worker", exact=True
    ).click()
    assert page.url.endswith("/learn/choosing-a-peer-worker/")
    assert page.locator(".qualified-checklist-items li").count() == 3
    page.get_by_role("link", name="Find a peer worker").click()
    assert page.url.endswith("/peer-workers/")


def test_a_family_member_goes_from_the_type_page_to_the_guide_and_the_search(loaded_site, page):
    open_page(page, loaded_site("/support-types/"))
    page.get_by_role("heading", name="Family and Friends").get_by_role("link").click()
    assert page.url.endswith("/support-types/family-and-friends/")
    page.get_by_role("link", name="The Role of Family and Friends", exact=False).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("The Role of Family")
    page.go_back()
    page.get_by_role("link", name="Find family and friends groups near you or online").click()
    # The address changes before the page has loaded: wait for the page, not the address.
    page.wait_for_url("**/find/?type=family-and-friends", wait_until="load")
    assert page.get_by_role("heading", level=1).count() == 1


def test_the_not_found_page_is_accessible_and_searchable(loaded_site, page):
    response = page.goto(loaded_site("/no-such-page/"))
    assert response.status == 404
    assert_page_is_sound(page)
    page.get_by_label("Where").fill("Springfield")
    page.get_by_role("button", name="Find support").click()
    page.wait_for_url("**/find/?*near=Springfield*")
