"""URL routes for public submissions (suggestions, corrections, closure reports); included by
directory/urls.py."""

from django.urls import path

from directory.submissions import views as submissions

urlpatterns = [
    path("suggest/", submissions.suggest, name="suggest"),
    path("suggest/thanks/", submissions.submission_thanks, name="submission-thanks"),
    path("resources/<slug:slug>/report/", submissions.listing_report, name="listing-report"),
]
