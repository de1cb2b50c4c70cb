from django.contrib import admin
from django.urls import include, path

from peersupport.security import csp_report

urlpatterns = [
    path("admin/", admin.site.urls),
    path("csp-report", csp_report, name="csp-report"),
    path("", include("directory.urls")),
]
