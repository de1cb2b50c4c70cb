"""Keeping each process's search index in step with the database.

Every write to what the index reads sets a new random token in ``SearchVersion`` (database
triggers, in the writer's transaction). A process compares that token with its index's at
most once every ``DIRECTORY_SEARCH_INDEX_CHECK_SECONDS`` (one tiny query); when they differ it
rebuilds the index, in a background thread while it keeps answering from the old one
(``DIRECTORY_SEARCH_INDEX_REFRESH = "background"``, production), or before answering
(``"inline"``, used by the tests). The first index of a process is always built before
answering (gunicorn builds it when a worker starts, see peersupport/gunicorn.conf.py).

Worst-case staleness after a commit: the check interval plus one build (docs/search.md).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

from directory.models import SearchVersion
from directory.search.index import ListingIndex, build_index

logger = logging.getLogger(__name__)


class _Holder:
    def __init__(self):
        self.index: ListingIndex | None = None
        self.checked_at = float("-inf")
        self.rebuilding = False
        self.lock = threading.Lock()


_holder = _Holder()


def database_version() -> int | None:
    return SearchVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def search_index() -> ListingIndex:
    """This process's index, rebuilt when the database has changed since it was built."""
    index = _holder.index
    started = time.monotonic()
    interval = settings.DIRECTORY_SEARCH_INDEX_CHECK_SECONDS
    if index is not None and started - _holder.checked_at < interval:
        return index
    try:
        version = database_version()
    except DatabaseError:
        if index is None:
            raise
        logger.warning("search index: could not read the search version; serving the last index")
        return index
    _holder.checked_at = started
    if index is not None and index.version == version:
        return index
    if index is None or settings.DIRECTORY_SEARCH_INDEX_REFRESH == "inline":
        return _build_now(version)
    _rebuild_in_background(version)
    return index


def _build_now(version) -> ListingIndex:
    with _holder.lock:
        if _holder.index is None or _holder.index.version != version:
            _holder.index = _logged_build(version)
        return _holder.index


def _logged_build(version) -> ListingIndex:
    index = build_index(version)
    logger.info(
        "search index built: %d listings, %d schedules, %.1f MB, %.2f s",
        index.size,
        len(index.schedule_listing),
        index.nbytes / 1_048_576,
        index.built_in,
    )
    return index


def _rebuild_in_background(version) -> None:
    with _holder.lock:
        if _holder.rebuilding:
            return
        _holder.rebuilding = True

    def rebuild():
        try:
            fresh = _logged_build(version)
            with _holder.lock:
                _holder.index = fresh
        except Exception:
            logger.exception("search index: rebuild failed; serving the last index")
            _holder.checked_at = float("-inf")  # try again on the next request
        finally:
            _holder.rebuilding = False
            connections.close_all()  # this thread's own connections

    threading.Thread(target=rebuild, name="search-index-rebuild", daemon=True).start()


def warm() -> None:
    """Have a current index now, built before returning if missing or stale (the gunicorn
    master calls this before forking workers, and each worker before its first request)."""
    try:
        version = database_version()
        _holder.checked_at = time.monotonic()
        if _holder.index is None or _holder.index.version != version:
            _build_now(version)
    except DatabaseError:
        logger.exception("search index: not built at start; the first search will build it")
    finally:
        connections.close_all()


def forget() -> None:
    """Drop this process's index (tests)."""
    with _holder.lock:
        _holder.index = None
        _holder.checked_at = float("-inf")
