"""URL routes for the public peer-worker directory; included by directory/urls.py."""

from django.urls import path

from directory.peer_workers import views as workers

urlpatterns = [
    path("peer-workers/", workers.worker_list, name="worker-list"),
    path("peer-workers/<slug:slug>/", workers.worker_detail, name="worker-detail"),
]
