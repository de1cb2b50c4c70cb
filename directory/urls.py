from django.urls import path

from directory.routes import curation, feeds, guide, search
from directory.views import health, pages

app_name = "directory"

urlpatterns = [
    path("", pages.home, name="home"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    *search.urlpatterns,
    *curation.urlpatterns,
    *feeds.urlpatterns,
    *guide.urlpatterns,
]
