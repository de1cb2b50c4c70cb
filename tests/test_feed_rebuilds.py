"""A changed /meetings.json is rebuilt by the task worker, never in a web worker (issue 22).

Production serves the last built file while the new one is built by
``directory.feeds.published.build_feed`` in the task worker (``manage.py db_worker``): a
build at 100,000 listings takes 15-18 s and a lot of Python memory, which a web worker used
to keep afterwards. One rebuild per site root is queued at a time (a marker file next to the
built files); a marker left by a worker that died goes stale. Here the task backend only
records what is queued (Django's DummyBackend) and the tests run the task themselves;
tests/test_tasks.py runs the real worker.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import threading
import time

import pytest
from django.db import DatabaseError

from directory.feeds import published
from directory.feeds.published import build_feed
from tests.feeds_helpers import weekly_meeting

pytestmark = pytest.mark.django_db
FEED = "/meetings.json"


@pytest.fixture
def queue(settings):
    """Production's arrangement: rebuilds in the background, tasks queued for a worker (that
    never comes here unless a test runs the task)."""
    from django.tasks import default_task_backend

    settings.DIRECTORY_SEARCH_INDEX_REFRESH = "background"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    return default_task_backend


def poll(client) -> tuple[str, list[str]]:
    """The feed's ETag and its meetings' names."""
    response = client.get(FEED)
    assert response.status_code == 200
    rows = json.loads(b"".join(response.streaming_content))
    return response["ETag"], [row["name"] for row in rows]


def built_files(name: str = "meetings") -> list[str]:
    return sorted(p.name for p in published._cache_directory().glob(f"{name}-*.json.gz"))


def markers(name: str = "meetings") -> list:
    return list(published._cache_directory().glob(f".{name}-*queued"))


def rename(listing, name: str) -> None:
    listing.name = name
    listing.save()


def test_a_rebuild_is_queued_for_the_task_worker_and_pollers_get_the_last_file(client, queue):
    listing = weekly_meeting(slug="weekly", name="Before")
    etag, names = poll(client)
    assert names == ["Before"] and not queue.results  # the first file: built for this poller

    rename(listing, "After")
    assert poll(client) == (etag, ["Before"])  # the last file, at once
    assert len(built_files()) == 1, "nothing built in the request"
    [queued] = queue.results
    assert queued.task.module_path == "directory.feeds.published.build_feed"
    assert list(queued.args) == ["meetings", "http://testserver"]

    rename(listing, "After again")  # another save while the rebuild waits for the worker
    assert poll(client) == (etag, ["Before"])
    assert len(queue.results) == 1, "one rebuild queued at a time"

    assert build_feed.call(*queued.args) == "built"  # the worker: the data as it is now
    new_etag, names = poll(client)
    assert new_etag != etag and names == ["After again"]
    assert not markers()
    assert build_feed.call(*queued.args) == "already built"

    rename(listing, "Later")  # the next change queues the next rebuild
    assert poll(client) == (new_etag, ["After again"])
    assert len(queue.results) == 2


def test_a_rebuild_whose_worker_died_is_queued_again_once_its_marker_is_stale(client, queue):
    listing = weekly_meeting(slug="weekly", name="Before")
    poll(client)
    rename(listing, "After")
    poll(client)
    poll(client)
    assert len(queue.results) == 1
    [marker] = markers()
    long_ago = time.time() - published.QUEUED_STALE_SECONDS - 1
    os.utime(marker, (long_ago, long_ago))  # its task was lost: the worker died

    poll(client)
    assert len(queue.results) == 2
    assert time.time() - marker.stat().st_mtime < 60  # claimed afresh
    poll(client)
    assert len(queue.results) == 2


# ----------------------------------------------------------------------------- FeedFile itself


class Plan:
    """A feed whose key and bytes the test chooses (no database in ``write``)."""

    def __init__(self):
        self.key = "one"
        self.body = b"[1]"
        self.failing = False
        self.gate: threading.Event | None = None  # when set: the build waits for it

    def __call__(self, version, family):
        def write(handle):
            if self.gate is not None:
                assert self.gate.wait(10), "the test never let the build finish"
            if self.failing:
                raise RuntimeError("the build broke")
            handle.write(self.body)

        return self.key, write


MOMENT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
VERSION = published.DataVersion(1, 1, MOMENT, MOMENT.date())


def test_without_a_task_queue_the_rebuild_runs_in_a_thread_of_the_web_process(
    queue, monkeypatch, caplog
):
    """Failure is a feature: a site whose queue cannot take the task still gets its feed
    rebuilt, in the web process as before (at the cost of that process's memory)."""
    from django.tasks.backends.dummy import DummyBackend

    def refuse(*args, **kwargs):
        raise DatabaseError("no such table: django_tasks_database_dbtaskresult")

    plan = Plan()
    feed = published.FeedFile("fallback", plan)
    old = feed.current(VERSION)  # nothing to serve yet: built by this request
    assert gzip.decompress(old.path.read_bytes()) == b"[1]"
    assert old.etag == "one" and old.last_modified == VERSION.last_modified

    monkeypatch.setattr(DummyBackend, "enqueue", refuse)
    plan.key, plan.body, plan.gate = "two", b"[2]", threading.Event()
    assert feed.current(VERSION).etag == "one"  # at once, while "two" builds
    plan.gate.set()
    deadline = time.monotonic() + 10
    # Done when the new file is served and the thread has let go of its "queued" marker (it
    # does so just after the file appears).
    while feed.current(VERSION).etag != "two" or markers("fallback"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert gzip.decompress(feed.current(VERSION).path.read_bytes()) == b"[2]"
    assert "could not queue" in caplog.text
    assert not queue.results


def test_a_failed_rebuild_is_tried_again_later_not_by_every_poll(queue):
    plan = Plan()
    feed = published.FeedFile("broken", plan)
    feed.current(VERSION)
    plan.key, plan.failing = "two", True
    assert feed.current(VERSION).etag == "one"
    [queued] = queue.results
    assert list(queued.args) == ["broken", ""]

    with pytest.raises(RuntimeError, match="the build broke"):
        build_feed.call(*queued.args)
    assert feed.current(VERSION).etag == "one"
    assert len(queue.results) == 1, "not queued again at once"
    [marker] = markers("broken")
    age = time.time() - marker.stat().st_mtime
    retry_in = published.QUEUED_STALE_SECONDS - age
    assert published.RETRY_FAILED_SECONDS - 5 < retry_in <= published.RETRY_FAILED_SECONDS

    long_ago = time.time() - published.QUEUED_STALE_SECONDS - 1
    os.utime(marker, (long_ago, long_ago))
    plan.failing = False
    assert feed.current(VERSION).etag == "one"
    assert len(queue.results) == 2
    assert build_feed.call(*queue.results[1].args) == "built"
    assert feed.current(VERSION).etag == "two"


def test_the_task_refuses_a_feed_it_does_not_know():
    with pytest.raises(ValueError, match="no published feed named 'nonsense'"):
        build_feed.call("nonsense", "")


def test_with_the_immediate_task_backend_a_changed_feed_is_served_not_a_removed_one(
    client, settings, monkeypatch
):
    """``make run`` (DEBUG: tasks run at once): a poll after an edit built the new file in the
    request, and the rebuild removed the last file, which the poll then tried to send (a 500
    when that file was older than STALE_FILE_SECONDS). It gets the new file."""
    settings.DIRECTORY_SEARCH_INDEX_REFRESH = "background"
    monkeypatch.setattr(published, "STALE_FILE_SECONDS", -1)  # every superseded file is stale
    listing = weekly_meeting(slug="weekly", name="Before")
    etag, names = poll(client)
    assert names == ["Before"]
    rename(listing, "After")
    new_etag, names = poll(client)
    assert new_etag != etag and names == ["After"]
    assert len(built_files()) == 1, "the superseded file is gone"


def test_a_superseded_file_is_kept_a_while_for_the_processes_that_chose_it(
    client, queue, monkeypatch
):
    """However old the last file is, a poll may have chosen it while the rebuild ran: it is
    removed only once it has been superseded for STALE_FILE_SECONDS."""
    monkeypatch.setattr(published, "STALE_FILE_SECONDS", 0.5)
    listing = weekly_meeting(slug="weekly", name="First")
    poll(client)
    [first] = built_files()

    def rebuilt(name: str) -> str:
        rename(listing, name)
        poll(client)
        assert build_feed.call(*queue.results[-1].args) == "built"
        return (set(built_files()) - known).pop()

    known = {first}
    time.sleep(0.6)  # the first file is old, but nothing superseded it yet
    second = rebuilt("Second")
    known.add(second)
    assert set(built_files()) == {first, second}, "superseded just now: kept"
    time.sleep(0.6)
    third = rebuilt("Third")
    assert set(built_files()) == {second, third}, "superseded 0.6 s ago: removed"
