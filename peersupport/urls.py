from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from directory.admin.view_on_site import view_on_site
from directory.views import health, pages
from peersupport.security import csp_report

urlpatterns = [
    # Before the admin's own URLs: "View on site" only for objects the user may reach.
    path("admin/r/<int:content_type_id>/<path:object_id>/", view_on_site),
    # Staff bookmarks from before the model was renamed Listing (migration 0018).
    re_path(
        r"^admin/directory/resource/(?P<rest>.*)$",
        RedirectView.as_view(
            url="/admin/directory/listing/%(rest)s", permanent=True, query_string=True
        ),
    ),
    path("admin/", admin.site.urls),
    path("csp-report", csp_report, name="csp-report"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    # What machines read (the Meeting Guide feed, the HSDS API, robots.txt and the sitemaps):
    # one URL each, whatever the language.
    path("", include("directory.routes.feeds")),
    # The pages people read, in their language: English at /find/, Spanish at /es/find/ (the
    # language is in the URL, never in a cookie; docs/i18n.md).
    *i18n_patterns(path("", include("directory.urls")), prefix_default_language=False),
]

# A database outage outside a view is a 503 (JSON for the APIs); a 404 stays a 404 even when
# the site's own 404 page cannot be rendered (directory/failsafe.py).
handler404 = "directory.failsafe.handler404"
handler500 = "directory.failsafe.handler500"
