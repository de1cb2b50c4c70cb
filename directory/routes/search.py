"""URL routes for finding listings: the search, its print and calendar forms, a listing."""

from django.urls import path

from directory.views import feeds, search

urlpatterns = [
    path("find/", search.find, name="find"),
    path("find/print/", search.find_print, name="find-print"),
    path("find/calendar.ics", search.find_calendar, name="find-calendar"),
    path("resources/<slug:slug>/", search.listing_detail, name="listing-detail"),
    # A listing's calendar: its name and description are in the page's language.
    path("resources/<slug:slug>.ics", feeds.listing_calendar, name="listing-ics"),
]
