"""Helpers of the browser tests of the search page (the town fixture is in conftest.py)."""

from __future__ import annotations

PHONE = {"width": 390, "height": 844}


def _wait_until(page, expression: str, seconds: float = 10) -> None:
    """Poll a page expression (wait_for_function evaluates strings, which our CSP forbids)."""
    import time

    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def _mark_document(page):
    page.evaluate("window.__sameDocument = true")


def _same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def _count(page) -> int:
    return int(page.locator("#results-title").get_attribute("data-result-count"))


def springfield_place():
    """Springfield, Illinois, in the gazetteer (the browser tests' town)."""
    from directory.models import Place

    return Place.objects.get_or_create(
        kind="city",
        country="US",
        source_id="test-springfield",
        defaults={
            "name": "Springfield",
            "search_name": "springfield",
            "region_code": "IL",
            "region_name": "Illinois",
            "latitude": 39.7817,
            "longitude": -89.6501,
            "population": 114_000,
            "timezone": "America/Chicago",
        },
    )[0]
