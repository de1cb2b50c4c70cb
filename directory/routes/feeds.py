"""URL routes for the feeds area; included by directory/urls.py."""

from django.urls import path

from directory.views import feeds

urlpatterns = [
    path("meetings.json", feeds.meetings_feed, name="meetings-feed"),
    path("resources/<slug:slug>.ics", feeds.resource_calendar, name="resource-ics"),
    path("robots.txt", feeds.robots_txt, name="robots-txt"),
]
