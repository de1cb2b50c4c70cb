"""Reading the /find/ page the way a visitor's browser would: counts and facet links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Every way of meeting, ticked: without a place /find/ otherwise holds online listings only.
EVERY_KIND = "attendance=in_person&attendance=online&attendance=hybrid"


class _FindPage(HTMLParser):
    def __init__(self):
        super().__init__()
        self.result_count: int | None = None
        self.facet_values: list[dict] = []
        self.result_names: list[str] = []
        self._in_result_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h2" and "data-result-count" in a:
            self.result_count = int(a["data-result-count"])
        if tag == "input" and a.get("type") == "checkbox" and "data-toggle-url" in a:
            self.facet_values.append(
                {
                    "name": a["name"],
                    "value": a["value"],
                    "url": a["data-toggle-url"],
                    "count": int(a["data-count"]),
                    "checked": "checked" in a,
                    "disabled": "disabled" in a,
                }
            )
        if tag == "h3" and (a.get("id") or "")[:2] in ("r-", "w-"):
            self._in_result_title = True

    def handle_endtag(self, tag):
        if tag == "h3":
            self._in_result_title = False

    def handle_data(self, data):
        if self._in_result_title and data.strip() and data.strip() != "Demo":
            self.result_names.append(data.strip())


def parse_find_page(html: str) -> _FindPage:
    page = _FindPage()
    page.feed(html)
    assert page.result_count is not None, "no result count on the page"
    return page


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
