"""Text marked for translation in Python: the English stays the same, and what is kept across
requests stays lazy (read in each visitor's language, never frozen in the first one's)."""

import datetime as dt

import pytest
from django.utils import translation
from django.utils.functional import Promise

from directory.constants import FEATURE_CATEGORIES
from directory.models import Listing, Schedule
from directory.peer_workers import credentials as worker_credentials
from directory.peer_workers import search as workers
from directory.search import vocabulary
from directory.submissions import forms
from directory.submissions.proposals import FIELD_LABELS


def test_public_form_labels_are_the_review_screens_words():
    assert {name: str(label) for name, label in forms.FIELD_LABELS_SHOWN.items()} == FIELD_LABELS


def test_feature_legends_are_the_categories_names():
    assert [(slug, str(label)) for slug, label in vocabulary.FEATURE_FACETS.items()] == list(
        FEATURE_CATEGORIES
    )


@pytest.mark.parametrize(
    "labels",
    [
        vocabulary.WHEN_CHOICES,
        vocabulary.ATTENDANCE_CHOICES,
        vocabulary.COST_CHOICES,
        vocabulary.SORT_CHOICES,
        vocabulary.FACET_LEGENDS,
        workers.LEGENDS,
        workers.MODE_CHOICES,
        dict(Listing.Attendance.choices),
        dict(Schedule.Weekday.choices),
        forms.FEATURE_LEGENDS,
        forms.REQUIRED_MESSAGES,
    ],
)
def test_labels_kept_at_import_are_lazy(labels):
    assert all(isinstance(label, Promise) for label in labels.values())


@pytest.mark.django_db
def test_worker_facet_choices_kept_per_process_are_lazy():
    choices = workers.worker_facet_choices()
    assert isinstance(choices["verified"]["current"], Promise)
    assert isinstance(choices["accepting"]["yes"], Promise)


def test_time_zone_menu_is_kept_per_language():
    english = forms.zone_choices()
    assert english[0] == ("", "The town's time zone (we work it out)")
    assert ("America/Chicago", "Central Time") in english[1][1]
    with translation.override("es"):
        assert forms.zone_choices() is not english
    assert forms.zone_choices() is english


def test_credential_dates_keep_their_english_form_and_follow_the_language():
    for month in range(1, 13):
        day = dt.date(2026, month, 5)
        assert worker_credentials.short_date(day) == day.strftime("%d %b %Y")
    with translation.override("es"):
        assert worker_credentials.short_date(dt.date(2026, 1, 5)) == "05 ene 2026"
