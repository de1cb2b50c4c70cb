from django.contrib import admin
from django.urls import include, path

from directory.admin.view_on_site import view_on_site
from peersupport.security import csp_report

urlpatterns = [
    # Before the admin's own URLs: "View on site" only for objects the user may reach.
    path("admin/r/<int:content_type_id>/<path:object_id>/", view_on_site),
    path("admin/", admin.site.urls),
    path("csp-report", csp_report, name="csp-report"),
    path("", include("directory.urls")),
]

# A database outage outside a view is a 503 (JSON for the APIs); a 404 stays a 404 even when
# the site's own 404 page cannot be rendered (directory/failsafe.py).
handler404 = "directory.failsafe.handler404"
handler500 = "directory.failsafe.handler500"
