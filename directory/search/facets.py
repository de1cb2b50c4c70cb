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


def with_toggle_urls(facets: list[Facet], current) -> list[Facet]:
    """Give every value the URL that toggles it: ``current`` (request.GET) with the value's
    ``params`` applied (a list replaces a parameter, None removes it), keeping the order of the
    other parameters, as ``{% querystring request.GET value.params %}`` would.

    Built in Python with each untouched parameter encoded once: a results page has over a
    hundred values, and the template tag (a deep copy of the query per value) dominated it.
    """
    pairs: dict[tuple[str, str], str] = {}

    def encode(key: str, values) -> str:
        # urlencode() of (key, value) pairs, each pair encoded once per page.
        pieces = []
        for value in values:
            piece = pairs.get((key, value))
            if piece is None:
                piece = pairs[(key, value)] = urlencode([(key, value)])
            pieces.append(piece)
        return "&".join(pieces)

    encoded = {key: encode(key, values) for key, values in current.lists()}
    for facet in facets:
        for value in facet.values:
            parts = []
            for key, change in value.params.items():
                if change is not None and key not in encoded:
                    encoded_change = encode(key, _as_list(change))
                    if encoded_change:
                        parts.append(encoded_change)
            kept = [
                encode(key, _as_list(value.params[key])) if key in value.params else piece
                for key, piece in encoded.items()
                if not (key in value.params and value.params[key] is None)
            ]
            value.url = "?" + "&".join(p for p in [*kept, *parts] if p)
    return facets


def _as_list(change) -> list:
    return change if isinstance(change, list) else [change]


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
