"""Django admin for the directory: importing the modules registers every model."""

from directory.admin import (  # noqa: F401
    content,
    feeds,
    listings,
    moderation,
    organizations,
    places,
    taxonomy,
    workers,
)
