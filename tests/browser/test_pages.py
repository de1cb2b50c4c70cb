"""Public pages in a real browser: one h1, no axe violations (WCAG 2.2 AA), no third parties."""

import pytest

from tests.browser.conftest import axe_audit

pytestmark = pytest.mark.browser


def open_page(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


def assert_one_h1(page):
    assert page.locator("h1").count() == 1, f"{page.url} should have exactly one h1"


def test_home_page_is_accessible(loaded_site, page):
    open_page(page, loaded_site("/"))
    assert_one_h1(page)
    assert page.get_by_role("heading", name="Types of peer support").is_visible()
    violations = axe_audit(page)
    assert not violations, violations.report
