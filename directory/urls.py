"""The public pages (``directory:`` names), served in each language of ``settings.LANGUAGES``
under ``i18n_patterns`` (peersupport/urls.py); the machine-read URLs are ``feeds:`` names."""

from django.urls import path

from directory.peer_workers import urls as workers
from directory.routes import guide, search
from directory.submissions import urls as submissions
from directory.views import pages

app_name = "directory"

urlpatterns = [
    path("", pages.home, name="home"),
    *search.urlpatterns,
    *submissions.urlpatterns,
    *workers.urlpatterns,
    *guide.urlpatterns,
]
