"""URL routes for the curation area; included by directory/urls.py."""

urlpatterns: list = []
