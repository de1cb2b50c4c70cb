"""The browser harness itself catches what it promises to catch."""

import pytest

from tests.browser.conftest import axe_audit

pytestmark = pytest.mark.browser


def test_axe_reports_a_real_violation(page):
    page.set_content('<html lang="en"><body><main><img src="data:,"></main></body></html>')
    violations = axe_audit(page)
    assert "image-alt" in {v["id"] for v in violations}
    assert "image-alt" in violations.report


def test_third_party_requests_are_blocked_and_recorded(page):
    page.set_content(
        '<html lang="en"><body><img alt="" src="https://cdn.example.com/pixel.png"></body></html>'
    )
    page.wait_for_timeout(200)
    assert page.third_party_requests == ["https://cdn.example.com/pixel.png"]
    page.third_party_requests.clear()  # seen; the fixture would otherwise fail the test


def test_javascript_can_be_turned_off(js_disabled_page):
    js_disabled_page.set_content(
        '<html><body><p id="p">off</p><script>document.getElementById("p").textContent = "on"'
        "</script></body></html>"
    )
    assert js_disabled_page.inner_text("#p") == "off"
