"""The visitor keeps their place: filters update in place, phones get a dialog, few tab stops."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_audit
from tests.browser.find_helpers import PHONE, _count, _mark_document, _same_document, _wait_until

pytestmark = pytest.mark.browser


def test_ticking_a_filter_updates_in_place_keeps_focus_and_back_restores(town, page):
    page.goto(town("/find/?near=Springfield"))
    _mark_document(page)
    before = _count(page)
    box = page.locator("#filters").get_by_role("checkbox", name="Recovery Groups")
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_url("**type=recovery-groups*")
    _wait_until(page, f"document.getElementById('results-title').dataset.resultCount != '{before}'")
    assert _same_document(page), "ticking a filter must not load a new document"
    assert _count(page) == 13
    focused = page.evaluate("[document.activeElement.name, document.activeElement.value]")
    assert focused == ["type", "recovery-groups"], "focus stays on the ticked checkbox"
    assert page.locator("#filters").get_by_role("checkbox", name="Recovery Groups").is_checked()
    _wait_until(page, "document.getElementById('search-status').textContent.includes('13')")
    assert all("Springfield Group" in t for t in page.locator("#results h3").all_inner_texts())

    page.go_back()
    _wait_until(page, f"document.getElementById('results-title').dataset.resultCount == '{before}'")
    assert "type=" not in page.url
    assert not page.locator("#filters").get_by_role("checkbox", name="Recovery Groups").is_checked()
    assert _same_document(page)


def test_arrow_keys_on_the_sort_menu_change_nothing_until_asked(town, page):
    page.goto(town("/find/?near=Springfield"))
    _mark_document(page)
    url = page.url
    first = page.locator("#results h3").first.inner_text()
    sort = page.get_by_label("Sort by")
    sort.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert page.url == url and _same_document(page)
    assert page.locator("#results h3").first.inner_text() == first
    page.get_by_role("button", name="Sort").click()
    page.wait_for_url("**sort=*")
    assert _same_document(page)


def test_without_javascript_one_apply_button_does_it(town, js_disabled_page):
    page = js_disabled_page
    page.goto(town("/find/?near=Springfield"))
    buttons = page.get_by_role("button", name="Apply filters")
    assert buttons.count() == 1 and buttons.is_visible()
    page.get_by_label("Recovery Groups").check()
    buttons.click()
    assert "type=recovery-groups" in page.url
    assert _count(page) == 13
    assert not page.get_by_role("button", name="Use my location").is_visible()


def test_with_javascript_no_apply_button_shows(town, page):
    page.goto(town("/find/"))
    assert not page.get_by_role("button", name="Apply filters").is_visible()


def test_on_a_phone_the_first_result_is_on_the_first_screen(town, page):
    page.set_viewport_size(PHONE)
    page.goto(town("/find/?near=Springfield"))
    top = page.locator("#results .result-card").first.bounding_box()["y"]
    assert top < PHONE["height"], f"first result at {top}px"
    violations = axe_audit(page)
    assert not violations, violations.report


def test_on_a_phone_filters_open_in_a_dialog_that_keeps_focus_and_gives_it_back(town, page):
    page.set_viewport_size(PHONE)
    page.goto(town("/find/?near=Springfield"))
    assert not page.locator("#filters").is_visible(), "filters wait in the dialog on a phone"
    opener = page.get_by_role("button", name="Filter and sort")
    opener.click()
    dialog = page.get_by_role("dialog", name="Filter and sort")
    assert dialog.is_visible()
    violations = axe_audit(page)
    assert not violations, violations.report
    for _ in range(60):  # far more Tab presses than the dialog has controls
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('dialog')"), "focus left the dialog"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("!!document.activeElement.closest('dialog')")
    _mark_document(page)
    dialog.get_by_role("checkbox", name="Recovery Groups").check()
    page.wait_for_url("**type=recovery-groups*")
    assert dialog.is_visible() and _same_document(page)
    assert page.get_by_role("button", name="Show 13 results").is_visible()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.textContent").startswith("Filter and sort (1)")
    assert _count(page) == 13


def _tabs_to_first_result(page) -> int:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    first = page.locator("#results .result-card h3 a").first
    href = first.get_attribute("href")
    for presses in range(1, 60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            return presses
    raise AssertionError("never reached the first result")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE])
@pytest.mark.parametrize("path", ["/find/", "/find/?near=Springfield"])
def test_few_tab_stops_to_the_first_result_and_reading_order_is_visual_order(
    town, page, viewport, path
):
    page.set_viewport_size(viewport)
    page.goto(town(path))
    presses = _tabs_to_first_result(page)
    # 15 before the language switcher (one more link in the header, issue 23), 16 before the
    # "Map" link above the results (issue 24): each is one control a visitor may need first.
    assert presses <= 17, f"{presses} Tab presses to the first result"
    order = page.evaluate(
        "document.getElementById('results').compareDocumentPosition("
        "document.getElementById('filters')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    assert order, "the results come before the filters in the page"
    if viewport["width"] > 900:
        results = page.locator("#results").bounding_box()
        filters = page.locator("#filters").bounding_box()
        assert results["x"] < filters["x"], "results on the left, filters beside them on the right"


def test_skip_to_results(town, page):
    page.goto(town("/find/?near=Springfield"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    # The fragment change fires popstate: the results must not be fetched and swapped again,
    # which would take the focus away from them.
    page.wait_for_timeout(700)
    assert page.evaluate("document.activeElement.id") == "results-title"
    page.keyboard.press("Tab")
    # The results' own controls: "Map" (issue 24), an active filter or the first result.
    assert page.evaluate(
        "!!document.activeElement.closest('.view-switch, .result-card, .active-filters')"
    )


def test_with_no_place_online_meetings_show_and_a_place_is_asked_for(town, page):
    page.goto(town("/find/"))
    prompt = page.locator(".place-prompt")
    assert "Showing online meetings" in prompt.inner_text()
    assert "use your location" in prompt.inner_text()  # the button is there with JavaScript
    names = page.locator(".results-list h3").all_inner_texts()
    assert names and all(name.startswith("Online Group") for name in names)
    _mark_document(page)
    page.locator("#facet-attendance").get_by_label("In person").check()
    page.wait_for_url("**attendance=in_person*")
    assert _same_document(page)
    assert "from every place we list" in page.locator(".place-prompt").inner_text()
    assert _count(page) == 26
    page.go_back()
    page.wait_for_url(town("/find/"))
    _wait_until(page, "!document.querySelector('#facet-attendance input[value=in_person]').checked")
    # Choosing online meetings only settles it: no more asking.
    page.locator("#facet-attendance").get_by_label("Online").check()
    page.wait_for_url("**attendance=online*")
    assert page.locator(".place-prompt").count() == 0
    # A place given: the nearest first, and no prompt.
    page.goto(town("/find/?near=Springfield"))
    assert page.locator(".place-prompt").count() == 0
    assert page.locator("#id_sort").input_value() == "distance"
