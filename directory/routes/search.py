"""URL routes for the search area; included by directory/urls.py."""

urlpatterns: list = []
