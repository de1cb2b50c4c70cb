"""Django admin for the directory: importing the modules registers every model."""

from django.contrib import admin

from directory.admin import (  # noqa: F401
    content,
    feeds,
    listings,
    moderation,
    organizations,
    places,
    taxonomy,
    workers,
)

admin.site.site_header = "Peer Support Directory — staff"
admin.site.site_title = "Peer Support Directory staff"
admin.site.index_title = "Staff dashboard"
