"""Browser-test infrastructure: Playwright's sync API driving Debian's Chromium.

Never a downloaded browser (no ``playwright install``): we launch /usr/bin/chromium. Without
it the browser tests skip, unless ``REQUIRE_BROWSER=1`` (CI), where a missing browser fails.

Fixtures for every browser test module:

- ``browser`` (session): one Chromium for the whole run.
- ``page`` / ``js_disabled_page`` (function): a fresh context per test. Every request to a
  host other than the live server is aborted and recorded; the test fails if any was attempted
  (our privacy rule: no third-party requests). ``page.third_party_requests`` lists them.
- ``loaded_site`` (function): the live server with the article and reference data loaded
  through the loader commands (or minimal equivalent content when they do not exist yet).
- ``axe_audit(page)``: the axe-core violations of the current page under WCAG 2.2 AA, with a
  readable report (``assert not violations, violations.report``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests import factories as f

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(config, items):
    """Run browser tests last.

    Playwright's sync API keeps an asyncio loop running in the test thread while the browser
    is open, which trips Django's async-safety check; keeping the browser tests at the end
    means the rest of the suite never runs with that check relaxed (see ``browser``).
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; REQUIRE_BROWSER=1 makes this a failure", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # The ORM refuses to run while an event loop is running in its thread; the loop here is
    # Playwright's, not an async view, so database access from the test thread is safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        # A plain launch gets a fresh temporary profile of its own.
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield instance
            finally:
                instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser, *, javascript: bool):
    context = browser.new_context(
        java_script_enabled=javascript,
        locale="en-US",
        timezone_id="America/New_York",
        viewport={"width": 1280, "height": 900},
    )
    blocked: list[str] = []

    def guard(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
            blocked.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.third_party_requests = blocked
    page.page_errors = []
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    return context, page


def _assert_private(page):
    assert not page.third_party_requests, (
        "the page tried to reach third-party hosts (privacy rule: no third-party requests): "
        + ", ".join(page.third_party_requests)
    )


@pytest.fixture
def page(browser):
    context, page = _new_page(browser, javascript=True)
    yield page
    context.close()
    _assert_private(page)
    assert not page.page_errors, "uncaught JavaScript errors: " + "; ".join(page.page_errors)


@pytest.fixture
def js_disabled_page(browser):
    context, page = _new_page(browser, javascript=False)
    yield page
    context.close()
    _assert_private(page)


class Violations(list):
    """axe-core violations (a list of axe result dicts) with a readable ``report``."""

    def __init__(self, violations: list[dict], url: str):
        super().__init__(violations)
        lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
        for violation in violations:
            lines.append(
                f"- {violation['id']} ({violation.get('impact')}): {violation['help']}"
                f" [{violation.get('helpUrl', '')}]"
            )
            for node in violation["nodes"][:5]:
                lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
                if node.get("failureSummary"):
                    summary = " ".join(node["failureSummary"].split())
                    lines.append(f"       {summary[:300]}")
        self.report = "\n".join(lines)

    def __str__(self) -> str:
        return self.report


def axe_audit(page, *, tags: list[str] | None = None) -> Violations:
    """Audit the page with the axe-core bundled in axe_playwright_python (no network)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": tags or WCAG_TAGS},
        "resultTypes": ["violations"],
    }
    results = Axe().run(page, options=options)
    return Violations(results.response["violations"], page.url)


@pytest.fixture
def axe():
    """The ``axe_audit`` helper as a fixture, for modules that prefer not to import it."""
    return axe_audit


@dataclass
class LoadedSite:
    url: str
    from_loaders: bool  # False while a loader command was missing and stand-ins were used

    def __call__(self, path: str) -> str:
        return self.url + path


def _run_loaders() -> set[str]:
    """Run the loader commands that exist, in the Makefile's order; return those that ran."""
    from django.core.management import call_command, get_commands

    commands = get_commands()
    ran = set()
    for name in ("load_reference", "load_article"):
        if name in commands:
            out = io.StringIO()
            call_command(name, stdout=out, stderr=out)
            ran.add(name)
    return ran


def _stand_in_article() -> None:
    """A little of everything load_article makes, for a tree where it does not exist."""
    from directory.constants import SUPPORT_TYPES
    from directory.models import FAQ, ChecklistItem, GuidePoint, GuideSection, SupportType

    for position, (slug, name) in enumerate(SUPPORT_TYPES):
        SupportType.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "position": position,
                "summary": f"{name} offer peer support in recovery.",
                "body": f"What {name.lower()} are and how they help.",
                "is_meeting_based": slug not in {"peer-mentors", "sober-companions"},
            },
        )
    for position, kind in enumerate(GuideSection.Kind):
        section = GuideSection.objects.create(
            slug=kind.value.replace("_", "-"),
            title=kind.label,
            kind=kind.value,
            body=f"About {kind.label.lower()}.\n\nA second paragraph.",
            position=position,
        )
        GuidePoint.objects.create(section=section, label="A point", text="Its text.", position=0)
    for position, title in enumerate(["Check Credentials", "References", "Empathy"]):
        ChecklistItem.objects.create(title=title, text=f"{title} text.", position=position)
    FAQ.objects.create(question="What is peer support?", slug="what", answer="An answer.")


def _stand_in_reference() -> None:
    """A crisis line and a national fellowship, for a tree without load_reference."""
    from directory.models import CrisisLine, SupportType
    from tests import factories as f

    CrisisLine.objects.create(country="US", name="988 Suicide & Crisis Lifeline", phone="988")
    fellowship = f.organization(
        name="Alcoholics Anonymous", kind="fellowship", website="https://www.aa.org/"
    )
    fellowship.is_national = True
    fellowship.save()
    fellowship.support_types.set(SupportType.objects.filter(slug="12-step-programs"))


@pytest.fixture
def loaded_site(transactional_db, live_server) -> LoadedSite:
    """The live server with the article and reference data loaded by the loader commands."""
    ran = _run_loaders()
    if "load_article" not in ran:
        _stand_in_article()
    if "load_reference" not in ran:
        _stand_in_reference()
    missing = {"load_reference", "load_article"} - ran
    if missing:
        warnings.warn(f"{sorted(missing)} missing: using stand-in content", stacklevel=1)
    return LoadedSite(url=live_server.url, from_loaders=not missing)


@pytest.fixture
def town(loaded_site):
    """Springfield with enough listings for two pages, of two types, some for women."""
    from directory.models import Feature, SupportType
    from tests.browser.find_helpers import springfield_place

    springfield_place()
    women = Feature.objects.filter(code="W").first() or f.feature(
        "audience", name="Women", code="W"
    )
    groups = SupportType.objects.get(slug="recovery-groups")
    steps = SupportType.objects.get(slug="12-step-programs")
    for i in range(26):
        near = f.location(
            city="Springfield", region="IL", latitude=39.78 + i / 500, longitude=-89.65
        )
        listing = f.listing(
            name=f"Springfield Group {i:02d}",
            location=near,
            support_type=groups if i % 2 else steps,
            features=[women] if i % 3 == 0 else [],
        )
        f.schedule(listing, weekday=i % 7, start_time=dt.time(17 + i % 4), end_time=dt.time(21))
    for i in range(3):  # what /find/ shows before a place is given
        online = f.listing(name=f"Online Group {i}", support_type=groups, attendance="online")
        f.schedule(online, weekday=i, start_time=dt.time(12), end_time=dt.time(13))
    return loaded_site
