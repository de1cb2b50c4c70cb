"""The search's words: its facets, their values and labels, its sorts, as visitors read them.

Shared by the search (``search/listings.py``), its facet counts (``search/counting.py``), the
search form (``search/forms.py``) and the page.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from directory.constants import FEATURE_CATEGORIES
from directory.models import Listing, Schedule
from directory.models.listings import ACTIVE_ATTENDANCE
from directory.scheduling import TIMES_OF_DAY

SCHEDULE_FACETS = ("when", "day", "time")
WHEN_CHOICES = {
    "now": gettext_lazy("Happening now"),
    "soon": gettext_lazy("Starting within the hour"),
    "today": gettext_lazy("Today"),
}
DAY_CHOICES = {str(day): label for day, label in Schedule.Weekday.choices}  # translated
# The time-of-day facet's labels, translated (the buckets are scheduling.TIMES_OF_DAY's).
TIME_CHOICES = {
    "morning": gettext_lazy("Morning (5am–noon)"),
    "afternoon": gettext_lazy("Afternoon (noon–5pm)"),
    "evening": gettext_lazy("Evening (5pm–9pm)"),
    "night": gettext_lazy("Night (9pm–5am)"),
}
assert list(TIME_CHOICES) == list(TIMES_OF_DAY)  # noqa: S101 - one list of buckets
# The listing's own labels, except where a filter needs to say more.
ATTENDANCE_CHOICES = {
    attendance.value: {
        Listing.Attendance.HYBRID: gettext_lazy("Hybrid (in person and online)"),
    }.get(attendance, attendance.label)
    for attendance in ACTIVE_ATTENDANCE
}
COST_CHOICES = dict(Listing.Cost.choices)
SORT_CHOICES = {
    "soonest": gettext_lazy("Starting soonest"),
    "distance": gettext_lazy("Nearest first"),
    "relevance": gettext_lazy("Best match"),
    "name": gettext_lazy("Name (A–Z)"),
}
FIELD_FACETS = {
    "type": gettext_lazy("Type of support"),
    "attendance": gettext_lazy("How it meets"),
    "cost": gettext_lazy("Cost"),
    "org": gettext_lazy("Organization"),
    "region": gettext_lazy("State or region"),
}
# The feature categories' legends as visitors read them: the names in
# ``directory.constants.FEATURE_CATEGORIES`` (the data's), marked for translation here
# (tests/test_i18n_python.py checks that the English stays the same).
FEATURE_LEGENDS = {
    "format": gettext_lazy("Meeting format"),
    "audience": gettext_lazy("Audience"),
    "accessibility": gettext_lazy("Accessibility"),
    "language": gettext_lazy("Language"),
    "focus": gettext_lazy("Focus"),
}
FEATURE_FACETS = {slug: FEATURE_LEGENDS.get(slug, name) for slug, name in FEATURE_CATEGORIES}
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
    **FIELD_FACETS,
    **FEATURE_FACETS,
    "when": gettext_lazy("When"),
    "day": gettext_lazy("Day of the week"),
    "time": gettext_lazy("Time of day"),
}
