"""The strict Content-Security-Policy breaks nothing: 0 violations across the main journeys.

Chromium reports every blocked script, style, image or connection twice: as a
``securitypolicyviolation`` event in the page (recorded by an init script, which the policy
does not govern) and as a console error. Both are collected across navigations; the journeys
search, filter, open a listing, send a suggestion, log in to admin, open a change form with
its schedule inlines, and the CSV import and export pages.
"""

from __future__ import annotations

import datetime as dt

import pytest

from directory.models import Feature, Listing, Submission
from tests import factories as f

pytestmark = pytest.mark.browser

PASSWORD = "a-long-browser-password"
LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    [event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(" ")
  );
});
"""


@pytest.fixture
def watched(page):
    """The page with every CSP violation and CSP console error recorded in a list."""
    violations: list[str] = []
    page.expose_function("__cspViolation", lambda text: violations.append(f"{page.url}: {text}"))
    page.add_init_script(LISTEN)

    def console(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"{page.url} console: {message.text}")

    page.on("console", console)
    page.csp_violations = violations
    return page


@pytest.fixture
def listings(loaded_site, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    women = Feature.objects.filter(code="W").first() or f.feature(
        "audience", name="Women", code="W"
    )
    online = {"attendance": "online"}  # found without giving a place
    evening = f.listing(name="Serenity Evening Group", features=[women], **online)
    f.schedule(evening, weekday=2, start_time=dt.time(19), end_time=dt.time(20))
    morning = f.listing(name="Serenity Morning Group", **online)
    f.schedule(morning, weekday=3, start_time=dt.time(7), end_time=dt.time(8))
    f.user(username="boss", password=PASSWORD, is_staff=True, is_superuser=True)
    return loaded_site


def settle(page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # a violation event is dispatched asynchronously


def test_the_main_journeys_record_no_csp_violation(listings, watched):
    page, site = watched, listings
    # Search, with JavaScript (find.js submits on change).
    page.goto(site("/"))
    page.get_by_role("searchbox").first.fill("serenity")
    page.keyboard.press("Enter")
    page.wait_for_url("**/find/?*q=serenity*")
    settle(page)
    # Filter.
    page.locator("#facet-audience").get_by_label("Women").check()
    page.wait_for_url("**audience=*")
    settle(page)
    assert page.locator(".results-list h3").all_inner_texts() == ["Serenity Evening Group"]
    # A listing.
    page.locator(".results-list h3").get_by_role("link").first.click()
    page.wait_for_url("**/resources/**")
    settle(page)
    for path in ("/find/print/?q=serenity", "/peer-workers/", "/learn/", "/support-types/"):
        page.goto(site(path))
        settle(page)
    # A suggestion.
    page.goto(site("/suggest/"))
    page.get_by_role("button", name="Send suggestion").click()  # errors first
    settle(page)
    page.get_by_label("Name of the meeting or group").fill("Harbour Lights Recovery")
    page.get_by_label("Type of support").select_option(index=1)
    page.get_by_role("radio", name="Online").check()
    page.get_by_role("textbox", name="Online meeting link").fill("https://meet.example.org/harbour")
    page.get_by_role("button", name="Send suggestion").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    settle(page)
    assert Submission.objects.count() == 1
    # Admin: log in, a change form with inlines, add a schedule row, the import/export pages.
    page.goto(site("/admin/login/?next=/admin/"))
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(site("/admin/"))
    settle(page)
    evening = Listing.objects.get(name="Serenity Evening Group")
    page.goto(site(f"/admin/directory/listing/{evening.pk}/change/"))
    settle(page)
    page.locator(".add-row a").first.click()
    settle(page)
    # The export page's "Select all" toggle works without its inline handler.
    page.goto(site("/admin/directory/listing/export/"))
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() > 5 and all(box.is_checked() for box in fields.all())
    page.locator("input.select-toggle").first.uncheck()
    assert not any(box.is_checked() for box in fields.all())
    settle(page)
    for path in (
        "/admin/directory/listing/",
        "/admin/directory/listing/import/",
        f"/admin/directory/submission/{Submission.objects.get().pk}/change/",
        "/admin/directory/organization/add/",
    ):
        page.goto(site(path))
        settle(page)
    assert page.csp_violations == []


def test_a_blocked_inline_style_is_recorded(listings, watched):
    """The recorder works: an injected inline style is refused and counted."""
    page = watched
    page.goto(listings("/"))
    page.evaluate(
        """() => { const s = document.createElement('style');
                   s.textContent = 'body { color: red }'; document.head.append(s); }"""
    )
    settle(page)
    assert any("style-src" in violation for violation in page.csp_violations)


def test_chromium_knows_every_permissions_policy_feature(loaded_site, page):
    """Chromium reports each feature it does not know ("Unrecognized feature: 'bluetooth'")
    on the console: the header lists only features the browser enforces."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    response = page.goto(loaded_site("/"))
    settle(page)
    assert "geolocation=(self)" in response.headers["permissions-policy"]
    assert not [text for text in messages if "Permissions-Policy" in text], messages
