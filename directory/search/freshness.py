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

import fcntl
import gc
import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections

from directory.models import SearchVersion
from directory.search.builder import build_index
from directory.search.index import ListingIndex, load_index, save_index
from peersupport.memory import release_free_memory

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


def held_index() -> ListingIndex:
    """The index this process holds, without a check (``search_index()`` checks and builds)."""
    index = _holder.index
    return index if index is not None else search_index()


def _build_now(version) -> ListingIndex:
    with _holder.lock:
        if _holder.index is None or _holder.index.version != version:
            _holder.index = _logged_build(version)
        return _holder.index


def _logged_build(version) -> ListingIndex:
    shared = _shared_directory()
    if shared is None:
        index = build_index(version, previous=_holder.index)
    else:
        index = _build_once_for_all(version, shared)
        if index.built_in < 0:  # loaded from another process's build
            return index
    logger.info(
        "search index built: %d listings, %d schedules, %.1f MB, %d kept, %.2f s",
        index.size,
        len(index.schedule_listing),
        index.nbytes / 1_048_576,
        index.kept,
        index.built_in,
    )
    return index


def _shared_directory() -> Path | None:
    """Where processes of this site share built indexes (None: each builds its own)."""
    base = settings.DIRECTORY_SEARCH_INDEX_SHARE_DIR
    return machine_directory(base, "peersupport-search") if base else None


def machine_directory(base: str, prefix: str) -> Path | None:
    """A private (0700) directory of this user under ``base`` for one database, shared by the
    processes of this machine (search indexes, built feeds), so two sites or test databases
    never mix; None when it belongs to someone else."""
    db = connection.settings_dict
    key = hashlib.sha256(f"{db['HOST']}:{db['PORT']}/{db['NAME']}".encode()).hexdigest()[:16]
    path = Path(base) / f"{prefix}-{os.getuid()}-{key}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid != os.getuid():
        logger.warning("%s belongs to another user; not sharing", path)
        return None
    return path


def _build_once_for_all(version, directory: Path, retry: bool = True) -> ListingIndex:
    """Build the index once for all the processes of this machine (gunicorn's workers).

    Whoever takes the lock first builds and saves it; the others, waiting on the lock, load
    that file (milliseconds) instead of each doing the same build at once, which under load
    on two cores took four times as long.
    """
    target = directory / f"index-{version}.npz"
    built = None
    with open(directory / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not target.exists():
                logger.info("search index: the data changed; building")
                built = build_index(version, previous=_holder.index)
                temporary = directory / f".index-{os.getpid()}.npz"
                save_index(built, temporary)
                os.replace(temporary, target)
                for old in directory.glob("index-*.npz"):
                    if old != target and time.time() - old.stat().st_mtime > 60:
                        old.unlink(missing_ok=True)
        finally:
            # Released before loading: the processes that waited for this build load it side
            # by side, not one after another (~0.4 s each under load).
            fcntl.flock(lock, fcntl.LOCK_UN)
    try:
        # The builder too serves the file's copy, as the other processes do: the index as
        # built holds ~40 MB more (the rows' strings as the database gave them, the build's
        # lists), which it would otherwise keep, and keep growing with, build after build.
        index = load_index(target)
    except (OSError, ValueError, KeyError):
        if not retry:
            raise
        logger.warning("search index: unreadable shared file %s; rebuilding", target)
        target.unlink(missing_ok=True)
        return _build_once_for_all(version, directory, retry=False)
    if built is None:
        index.built_in = -1.0
        logger.info("search index loaded from another process's build")
    else:
        index.built_in, index.kept = built.built_in, built.kept
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
            del fresh
            time.sleep(TRIM_DELAY_SECONDS)  # requests still reading the old index end first
            # The old index may still be reachable only from garbage in reference cycles (a
            # request's objects), which the collector's oldest generation reaches rarely: an
            # index every few staff edits stayed alive, 40 MB each. Collect, then trim.
            gc.collect()
            release_free_memory()
        except Exception:
            logger.exception("search index: rebuild failed; serving the last index")
            _holder.checked_at = float("-inf")  # try again on the next request
        finally:
            _holder.rebuilding = False
            connections.close_all()  # this thread's own connections

    threading.Thread(target=rebuild, name="search-index-rebuild", daemon=True).start()


TRIM_DELAY_SECONDS = 0.5


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
