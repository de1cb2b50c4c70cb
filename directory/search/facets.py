"""Building blocks shared by the listing and the peer-worker searches: facets and pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    params: dict = field(default_factory=dict)  # the query-string change that toggles it
    url: str = ""  # set by with_toggle_urls

    @property
    def disabled(self) -> bool:
        return self.count == 0 and not self.selected


@dataclass
class Facet:
    name: str
    legend: str
    values: list[FacetValue]

    @property
    def has_selection(self) -> bool:
        return any(v.selected for v in self.values)


class QueryLinks:
    """Links that change a few parameters of the current query string (``request.GET``):
    ``url(params)`` is what ``{% querystring current params %}`` writes (a list replaces a
    parameter, None removes it, the other parameters keep their order, new ones go last).

    Built in Python with each parameter encoded once per page: a results page has over a
    hundred such links (every facet value's toggle, the active filters, the view switch), and
    the template tag (a copy of the query per link) dominated its rendering.
    """

    def __init__(self, current):
        self._pairs: dict[tuple[str, object], str] = {}
        self._current = {key: self._encode(key, values) for key, values in current.lists()}

    def _encode(self, key: str, values) -> str:
        # urlencode() of (key, value) pairs, each pair encoded once per page.
        pieces = []
        for value in values:
            if value is None:
                continue
            piece = self._pairs.get((key, value))
            if piece is None:
                piece = self._pairs[(key, value)] = urlencode([(key, value)])
            pieces.append(piece)
        return "&".join(pieces)

    def url(self, params: dict) -> str:
        kept = [
            self._encode(key, _as_list(params[key])) if key in params else piece
            for key, piece in self._current.items()
            if not (key in params and params[key] is None)
        ]
        added = [
            self._encode(key, _as_list(change))
            for key, change in params.items()
            if change is not None and key not in self._current
        ]
        return "?" + "&".join(p for p in [*kept, *added] if p)


def with_toggle_urls(facets: list[Facet], current) -> list[Facet]:
    """Give every value the URL that toggles it (``QueryLinks.url`` of its ``params``)."""
    links = current if isinstance(current, QueryLinks) else QueryLinks(current)
    for facet in facets:
        for value in facet.values:
            value.url = links.url(value.params)
    return facets


def _as_list(change) -> list:
    return list(change) if isinstance(change, (list, tuple)) else [change]


class Counted(Sequence):
    """A sliceable sequence whose length is already known (so paging adds no COUNT query)."""

    def __init__(self, items, count: int):
        self.items, self._count = items, count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return list(self.items[index]) if isinstance(index, slice) else self.items[index]


def paginate(items, per_page: int, number: int) -> Page:
    """The requested page of ``items``; a number past the end gives the last page."""
    return Paginator(items, per_page).get_page(number)
