"""Building blocks shared by the listing and the peer-worker searches: facets and pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    """Give every value the URL that toggles it: ``current`` (request.GET) with its params.

    The same result as ``{% querystring request.GET value.params %}``, built once per value in
    Python: a results page has over a hundred of them and the tag dominated its rendering.
    """
    for facet in facets:
        for value in facet.values:
            query = current.copy()
            for key, change in value.params.items():
                if change is None:
                    query.pop(key, None)
                elif isinstance(change, list):
                    query.setlist(key, change)
                else:
                    query[key] = change
            value.url = "?" + query.urlencode()
    return facets


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
