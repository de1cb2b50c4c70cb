"""Django admin for the directory: importing the modules registers every model."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from directory.admin import (  # noqa: F401
    content,
    feed_sources,
    listings,
    organizations,
    places,
    taxonomy,
)
from directory.peer_workers import admin as peer_workers_admin  # noqa: F401
from directory.submissions import admin as submissions_admin  # noqa: F401

admin.site.site_header = _("Peer Support Directory — staff")
admin.site.site_title = _("Peer Support Directory staff")
admin.site.index_title = _("Staff dashboard")
