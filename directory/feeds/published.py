"""Feeds for other software, answered cheaply when nothing changed.

Every write to what the feeds read gives the database a new search version (database
triggers, ``directory.search.triggers``), stamped with the time it changed. So:

- ``ETag`` is a hash of the data versions, today's date (schedules valid "today" change at
  midnight), and the request's host and full path; ``Last-Modified`` is when the data last
  changed (or midnight, when later). Both come from one tiny query: a poller that already has
  the feed gets 304 **before anything is built** (:func:`conditional`).
- ``/meetings.json`` (hundreds of MB at national scale) is built **once per data version**
  into a gzip file shared by the processes of one machine (:class:`FeedFile`), then served
  from it: compressed as it is to clients that accept gzip, unpacked as it streams to the
  others. Only the very first file is built in a request (the first poller's); pollers
  arriving during that build get 503 with ``Retry-After``. After a change the last file keeps
  being served, with its own ``ETag``, while the task worker builds the new one
  (``build_feed`` below, queued once per site root at a time), in the manner of the
  search index (``DIRECTORY_SEARCH_INDEX_REFRESH``). One build per machine at a time (a file
  lock).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import gzip
import hashlib
import itertools
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest
from django.tasks import task
from django.utils import timezone
from django.views.decorators.http import condition

from directory.models import SearchVersion
from directory.search.freshness import machine_directory

logger = logging.getLogger(__name__)
FORMAT_VERSION = "2"  # bump when what a feed writes changes without a data change
STALE_FILE_SECONDS = 120
RETRY_FAILED_SECONDS = 30  # a build that failed is not tried again sooner
# A queued rebuild not ended after this long is given up (its worker died, its task was
# lost) and queued again. A build at 100,000 listings takes 15-18 s, longer under load.
QUEUED_STALE_SECONDS = 300


@dataclass(frozen=True)
class DataVersion:
    listings: int | None
    workers: int | None
    changed_at: dt.datetime | None
    today: dt.date

    @property
    def last_modified(self) -> dt.datetime:
        """When what the feeds show last changed: a write, or midnight (schedules that
        start or end today)."""
        midnight = timezone.make_aware(dt.datetime.combine(self.today, dt.time()))
        return max(self.changed_at, midnight) if self.changed_at else midnight

    def key(self, *parts: str) -> str:
        text = "|".join(
            [FORMAT_VERSION, str(self.listings), str(self.workers), self.today.isoformat(), *parts]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def data_version() -> DataVersion:
    """The current data versions: one query."""
    tokens = {pk: (token, changed) for pk, token, changed in _version_rows()}
    listings, listings_changed = tokens.get(1, (None, None))
    workers, workers_changed = tokens.get(2, (None, None))
    changed = [moment for moment in (listings_changed, workers_changed) if moment]
    return DataVersion(listings, workers, max(changed) if changed else None, timezone.localdate())


def _version_rows():
    return SearchVersion.objects.filter(pk__in=[1, 2]).values_list("pk", "token", "changed_at")


def request_version(request: HttpRequest) -> DataVersion | None:
    """The data version, read once per request (None when the database cannot say)."""
    if not hasattr(request, "_feed_data_version"):
        try:
            request._feed_data_version = data_version()
        except DatabaseError:
            request._feed_data_version = None  # the view itself will answer the outage
    return request._feed_data_version


def _time_relative(request: HttpRequest) -> bool:
    """A search for what is on "now" or "today" changes with the clock, not only the data."""
    return "when" in request.GET


def _etag(request: HttpRequest, *args, **kwargs) -> str | None:
    version = request_version(request)
    if version is None:
        return None
    minute = timezone.now().strftime("%Y%m%d%H%M") if _time_relative(request) else ""
    return version.key(request.scheme, request.get_host(), request.get_full_path(), minute)


def _last_modified(request: HttpRequest, *args, **kwargs) -> dt.datetime | None:
    version = request_version(request)
    if version is None or _time_relative(request):
        return None
    return version.last_modified


def conditional(view: Callable) -> Callable:
    """``ETag``/``Last-Modified`` from the data version; 304 without calling the view."""
    decorated = condition(etag_func=_etag, last_modified_func=_last_modified)(view)
    return functools.wraps(view)(decorated)


# ----------------------------------------------------------------------------- built files


def _cache_directory() -> Path:
    """A private directory per database, shared by this machine's processes."""
    base = (
        settings.DIRECTORY_FEED_CACHE_DIR
        or settings.DIRECTORY_SEARCH_INDEX_SHARE_DIR
        or tempfile.gettempdir()
    )
    path = machine_directory(base, "peersupport-feeds")
    if path is None:
        raise PermissionError(f"the feed directory under {base} belongs to another user")
    return path


@dataclass(frozen=True)
class BuiltFile:
    path: Path
    etag: str
    last_modified: dt.datetime


# What a feed is for a data version and a family (site root): its key (the file's ETag) and
# ``write(handle)``, which writes its bytes with the database.
Plan = Callable[[DataVersion, str], tuple[str, Callable[[IO[bytes]], None]]]
_FEEDS: dict[str, FeedFile] = {}


class FeedFile:
    """One feed, built into ``<name>-<family>-<key>.json.gz`` once per key (data version and
    site root).

    ``plan`` says what to build (see :data:`Plan`). The first file is built in a request;
    every later one in the task worker (``build_feed``), which finds the feed by its name: a
    FeedFile registers itself when its module is imported (``directory/apps.py`` imports them
    all at start, in the worker too).
    """

    def __init__(self, name: str, plan: Plan):
        self.name = name
        self.plan = plan
        self._failed_at: dict[str, float] = {}  # target name -> when its last build failed
        _FEEDS[name] = self

    def current(self, version: DataVersion, family: str = "") -> BuiltFile | None:
        """The file for ``version``; or, while its rebuild is queued or under way, the last one.

        Before any file exists, the first request builds it (a lone poller gets its feed) and
        any other arriving meanwhile gets None (the view answers 503 with Retry-After): no
        request waits on another's build, so pollers arriving together cannot hold every
        worker. After that, a new file is built by the task worker, never by a web worker
        (:meth:`_queue_rebuild`). With ``DIRECTORY_SEARCH_INDEX_REFRESH = "inline"`` (tests)
        every build happens before returning.
        """
        directory = _cache_directory()
        key, write = self.plan(version, family)
        prefix = self._prefix(family)
        target = directory / f"{prefix}{key}.json.gz"
        if target.exists():
            return self._built(target)
        if settings.DIRECTORY_SEARCH_INDEX_REFRESH == "background":
            previous = self._newest(directory, prefix)
            if previous is not None:
                self._queue_rebuild(directory, family, target, version.last_modified, write)
                # With the immediate task backend (DEBUG: ``make run``) it has just been built.
                return self._built(target if target.exists() else previous)
            if time.monotonic() - self._failed_at.get(target.name, -1e9) < RETRY_FAILED_SECONDS:
                return None  # it failed a moment ago: not again in every request
            try:
                if not self._build(directory, target, version.last_modified, write, wait=False):
                    return None
            except Exception:
                self._failed_at[target.name] = time.monotonic()
                raise
            return self._built(target)
        self._build(directory, target, version.last_modified, write)
        return self._built(target)

    def build_queued(self, family: str) -> str:
        """The task's work: build the file of the data as it is now (saves made while the task
        waited included), then let the next rebuild be queued."""
        directory = _cache_directory()
        with _releasing(self._queued_marker(directory, family)):
            version = data_version()
            key, write = self.plan(version, family)
            target = directory / f"{self._prefix(family)}{key}.json.gz"
            if target.exists():
                return "already built"
            self._build(directory, target, version.last_modified, write)
        return "built"

    def _prefix(self, family: str) -> str:
        # A family per site root: a file for one host name is never served for another.
        return f"{self.name}-{hashlib.sha256(family.encode()).hexdigest()[:8]}-"

    def _queued_marker(self, directory: Path, family: str) -> Path:
        """Present while a rebuild of this family is queued or under way (any process)."""
        return directory / f".{self._prefix(family)}queued"

    def _queue_rebuild(self, directory: Path, family: str, target, last_modified, write) -> None:
        """Have the task worker build the new file: a build at 100,000 listings takes 15-18 s
        and enough Python memory that a web worker kept hundreds of MB afterwards (the soak
        drill, docs/operations.md). One rebuild per family is queued at a time: the marker
        file says one is, until the task ends or the marker is QUEUED_STALE_SECONDS old (its
        worker died, its task was lost)."""
        marker = self._queued_marker(directory, family)
        if not _claim(marker):
            return
        try:
            build_feed.enqueue(self.name, family)
        except Exception:
            # Failure is a feature: when the task cannot be queued (no task table yet, the
            # database refusing the write), the feed is still rebuilt, in a thread of this
            # web process as before there was a worker for it, rather than served stale
            # until somebody notices. Only this process builds: it holds the marker.
            logger.exception(
                "feed %s: could not queue its rebuild; building it in this process", self.name
            )
            threading.Thread(
                target=self._build_in_thread,
                args=(directory, family, target, last_modified, write),
                name=f"feed-{self.name}",
                daemon=True,
            ).start()

    def _build_in_thread(self, directory: Path, family: str, target, last_modified, write):
        try:
            with _releasing(self._queued_marker(directory, family)):
                self._build(directory, target, last_modified, write)
        except Exception:
            logger.exception("feed %s: background build failed", self.name)
        finally:
            connections.close_all()  # this thread's own connections

    def _built(self, path: Path) -> BuiltFile:
        key = path.name.removesuffix(".json.gz").rsplit("-", 1)[1]
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        return BuiltFile(path=path, etag=key, last_modified=modified)

    def _newest(self, directory: Path, prefix: str) -> Path | None:
        files = sorted(
            directory.glob(f"{prefix}*.json.gz"),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
        return files[0] if files else None

    def _build(self, directory: Path, target: Path, last_modified, write, wait=True) -> bool:
        """Build under a machine-wide lock: whoever comes second finds the file done (or,
        with ``wait=False``, gives up at once: False)."""
        with open(directory / f"{self.name}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                return False
            try:
                if target.exists():
                    return True
                started = time.monotonic()
                temporary = directory / f".{self.name}-{os.getpid()}-{threading.get_ident()}.tmp"
                try:
                    with open(temporary, "wb") as raw:
                        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
                            write(gz)
                    stamp = last_modified.timestamp()
                    os.utime(temporary, (stamp, stamp))
                    os.replace(temporary, target)
                finally:
                    temporary.unlink(missing_ok=True)
                logger.info(
                    "feed %s built: %.1f MB compressed, %.2f s",
                    self.name,
                    target.stat().st_size / 1_048_576,
                    time.monotonic() - started,
                )
                self._remove_old(directory, keep=target)
                return True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _remove_old(self, directory: Path, keep: Path) -> None:
        """Remove this family's files that were superseded more than STALE_FILE_SECONDS ago
        (when the next newer file was built): another process may have just chosen the last
        file to send while this one was built, however old that file is (a feed nobody
        polled for hours). The last file before ``keep`` goes at the next build."""
        prefix = keep.name.rsplit("-", 1)[0]  # this family's files only
        files = []
        for path in directory.glob(f"{prefix}-*.json.gz"):
            try:
                files.append((path.stat().st_ctime, path))  # built (renamed into place) at
            except FileNotFoundError:
                continue
        files.sort(reverse=True)
        now = time.time()
        for (superseded_at, _), (_, older) in itertools.pairwise(files):
            if older != keep and now - superseded_at > STALE_FILE_SECONDS:
                older.unlink(missing_ok=True)


def _claim(marker: Path) -> bool:
    """Create ``marker`` (True), unless a fresh one exists (False). A stale one is replaced.

    Two processes replacing the same stale marker at once may both queue a rebuild: the
    second task finds the file built and returns.
    """
    for _ in range(2):
        try:
            handle = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                age = time.time() - marker.stat().st_mtime
            except FileNotFoundError:
                continue  # its task just ended: try again
            if age < QUEUED_STALE_SECONDS:
                return False
            logger.warning("feed rebuild marker %s is %.0f s old: queued again", marker, age)
            marker.unlink(missing_ok=True)
            continue
        with os.fdopen(handle, "w") as file:
            file.write(f"{timezone.now().isoformat()} pid {os.getpid()}\n")
        return True
    return False


@contextlib.contextmanager
def _releasing(marker: Path):
    """Remove ``marker`` when the build in the block ends, so the next change queues the next
    rebuild; after a failure, leave it to go stale RETRY_FAILED_SECONDS from now instead (not
    tried again by the very next poll)."""
    try:
        yield
    except Exception:
        stale_soon = time.time() - QUEUED_STALE_SECONDS + RETRY_FAILED_SECONDS
        with contextlib.suppress(OSError):
            os.utime(marker, (stale_soon, stale_soon))
        raise
    marker.unlink(missing_ok=True)


@task
def build_feed(name: str, family: str) -> str:
    """The task: build feed ``name``'s current file for ``family`` (one site root) in the
    worker; web requests serve the last file meanwhile."""
    feed = _FEEDS.get(name)
    if feed is None:
        raise ValueError(f"no published feed named {name!r}")
    return feed.build_queued(family)


def read_unpacked(path: Path, chunk_size: int = 64 * 1024):
    """A built file's bytes, unpacked as they stream (clients that do not take gzip)."""
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk
