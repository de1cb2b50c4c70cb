"""The oracle's vocabulary (part of tests/oracle/sql_search.py): the facets, their choices and
order, and the shapes of a search and of its result, as the wave-1 SQL search had them."""

from __future__ import annotations

from dataclasses import dataclass, field

from directory.constants import FEATURE_CATEGORIES
from directory.models import Listing
from directory.search import geo
from tests.oracle import timeq

PER_PAGE = 20
MAX_VALUES_PER_FACET = 12
SCHEDULE_FACETS = ("when", "day", "time")
WHEN_CHOICES = {
    "now": "Happening now",
    "soon": "Starting within the hour",
    "today": "Today",
}
DAY_CHOICES = {
    str(i): name
    for i, name in enumerate(
        ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    )
}
TIME_CHOICES = {key: label for key, (label, _) in timeq.TIMES_OF_DAY.items()}
ATTENDANCE_CHOICES = {
    Listing.Attendance.IN_PERSON.value: "In person",
    Listing.Attendance.ONLINE.value: "Online",
    Listing.Attendance.HYBRID.value: "Hybrid (in person and online)",
}
COST_CHOICES = dict(Listing.Cost.choices)
SORT_CHOICES = {
    "soonest": "Starting soonest",
    "distance": "Nearest first",
    "relevance": "Best match",
    "name": "Name (A–Z)",
}
FIELD_FACETS = {
    # name: (legend, lookup path, label path or None)
    "type": ("Type of support", "support_type__slug", "support_type__name"),
    "attendance": ("How it meets", "attendance", None),
    "cost": ("Cost", "cost", None),
    "org": ("Organization", "organization__slug", "organization__name"),
    "region": ("State or region", "location__region", None),
}
FEATURE_FACETS = dict(FEATURE_CATEGORIES)
FACET_ORDER = [
    "type",
    "attendance",
    "when",
    "day",
    "time",
    "audience",
    "format",
    "language",
    "accessibility",
    "focus",
    "cost",
    "region",
    "org",
]
FACET_LEGENDS = {
    **{name: spec[0] for name, spec in FIELD_FACETS.items()},
    **FEATURE_FACETS,
    "when": "When",
    "day": "Day of the week",
    "time": "Time of day",
}


@dataclass
class ListingQuery:
    """A validated search: what the search form hands to the selector."""

    selection: dict[str, list[str]] = field(default_factory=dict)
    q: str = ""
    near: str = ""
    latitude: float | None = None
    longitude: float | None = None
    radius: int | None = None
    sort: str = ""
    tz: str = "UTC"
    page: int = 1


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    params: dict = field(default_factory=dict)  # the query-string change that toggles it

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


@dataclass
class Page:
    number: int
    num_pages: int
    per_page: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return 0 if self.count == 0 else (self.number - 1) * self.per_page + 1

    @property
    def end_index(self) -> int:
        return min(self.number * self.per_page, self.count)


@dataclass
class Relaxation:
    """A way out of an empty result: drop a facet (or widen the radius) and get ``count``."""

    label: str
    params: dict
    count: int


@dataclass
class SearchResult:
    results: list[Listing]
    count: int
    page: Page
    facets: list[Facet]
    sort: str
    origin: geo.Origin | None
    place: geo.PlaceLookup
    visitor_tz: str
    relaxations: list[Relaxation] = field(default_factory=list)
    online_count: int | None = None
