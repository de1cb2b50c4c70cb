"""URL routes for the feeds area; included by directory/urls.py."""

urlpatterns: list = []
