"""URL routes for the public search pages: listings and peer workers."""

from django.urls import path

from directory.views import feeds, search, workers

urlpatterns = [
    path("find/", search.find, name="find"),
    path("find/print/", search.find_print, name="find-print"),
    path("find/calendar.ics", search.find_calendar, name="find-calendar"),
    path("resources/<slug:slug>/", search.resource_detail, name="resource-detail"),
    # A listing's calendar: its name and description are in the page's language.
    path("resources/<slug:slug>.ics", feeds.resource_calendar, name="resource-ics"),
    path("peer-workers/", workers.worker_list, name="worker-list"),
    path("peer-workers/<slug:slug>/", workers.worker_detail, name="worker-detail"),
]
