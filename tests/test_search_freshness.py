"""The search index follows the database: every write changes the search version, and a
running multi-worker gunicorn shows an edit within 5 seconds without a restart."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection, transaction

from directory.models import Listing
from directory.search.freshness import database_version, search_index
from directory.search.triggers import (
    ensure_search_version_triggers,
    existing_triggers,
    expected_triggers,
)
from tests import factories as f
from tests.process_helpers import gunicorn
from tests.search_helpers import EVERY_KIND

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_every_kind_of_write_changes_the_search_version():
    listing = f.listing(name="Versioned")
    versions = [database_version()]

    def changed() -> bool:
        versions.append(database_version())
        return versions[-1] != versions[-2]

    listing.name = "Renamed"
    listing.save()
    assert changed()
    Listing.objects.filter(pk=listing.pk).update(cost="fee")  # no signals: a trigger
    assert changed()
    f.schedule(listing)
    assert changed()
    listing.features.add(f.feature())
    assert changed()
    listing.location.region = "WI"
    listing.location.save()
    assert changed()
    Listing.objects.bulk_create(
        [Listing(name="Bulk", slug="bulk", support_type_id=listing.support_type_id)]
    )
    assert changed()
    Listing.objects.filter(slug="bulk").delete()
    assert changed()
    before = database_version()
    f.peer_worker(support_types=[listing.support_type])  # not read by the listing index
    assert database_version() == before


@pytest.mark.django_db
def test_every_search_version_trigger_exists_after_migrating():
    # SQLite drops a table's triggers when a migration rebuilds it (0008 rebuilt listing).
    expected = set(expected_triggers(connection.vendor))
    assert expected, connection.vendor
    assert expected <= existing_triggers(connection)


@pytest.mark.django_db
def test_a_lost_trigger_comes_back_on_the_next_migrate():
    name = sorted(expected_triggers(connection.vendor))[0]
    table = expected_triggers(connection.vendor)[name][0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    assert name not in existing_triggers(connection)
    assert ensure_search_version_triggers(connection) == [name]
    assert name in existing_triggers(connection)
    assert ensure_search_version_triggers(connection) == []  # idempotent


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_new_version_and_the_index_follows_commits(client):
    f.listing(name="Alpha")
    assert search_index().size == 1
    before = database_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        f.listing(name="Ghost")
        raise RuntimeError
    assert database_version() == before
    f.listing(name="Beta")
    html = client.get("/find/?sort=name&" + EVERY_KIND).content.decode()
    assert "Alpha" in html and "Beta" in html and "Ghost" not in html


def _manage(database_url: str, code: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true"}
    subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
        return response.read().decode()


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """A database other processes can open: the test database on PostgreSQL, a file on
    SQLite (the test database there lives in this process's memory)."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host = settings["USER"] or "postgres", settings["HOST"] or "127.0.0.1"
        return f"postgres://{user}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "true"}
    subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    return url


def test_an_edit_shows_in_search_on_every_gunicorn_worker_within_five_seconds(shared_database):
    _manage(
        shared_database,
        "from directory.models import Listing, SupportType, Location\n"
        "t = SupportType.objects.create(name='Recovery Groups', slug='recovery-groups')\n"
        "for i in range(3):\n"
        "    Listing.objects.create(name=f'Group {i}', slug=f'group-{i}', support_type=t,"
        " status='published', cost='free', location=Location.objects.create(city='X'))\n",
    )
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "DJANGO_DEBUG": "true",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "DIRECTORY_SEARCH_INDEX_CHECK_SECONDS": "1",
        "DIRECTORY_SEARCH_INDEX_REFRESH": "background",
    }

    def lists_the_groups(port: int) -> bool:
        try:
            return "Group 0" in _get(f"http://127.0.0.1:{port}/find/?cost=free&{EVERY_KIND}")
        except OSError:
            return False

    with gunicorn(env, ready=lists_the_groups) as port:
        base = f"http://127.0.0.1:{port}"
        assert "Group 1" not in _get(base + "/find/?cost=fee&" + EVERY_KIND)

        # A curator's edit from another process: Group 1 now charges a fee.
        _manage(
            shared_database,
            "from directory.models import Listing\n"
            "r = Listing.objects.get(slug='group-1'); r.cost = 'fee'; r.save()\n",
        )
        edited = time.monotonic()
        while True:
            page = _get(base + "/find/?cost=fee&" + EVERY_KIND)
            if "Group 1" in page:
                break
            assert time.monotonic() - edited < 5, "the edit was not visible within 5 seconds"
            time.sleep(0.1)
        seen_after = time.monotonic() - edited
        # Every worker now answers with the edit (requests spread over both).
        deadline = edited + 5
        for _ in range(20):
            page = _get(base + "/find/?cost=fee&" + EVERY_KIND)
            count = re.search(r'data-result-count="(\d+)"', page)
            if count.group(1) != "1":
                assert time.monotonic() < deadline, "a worker still served the old index"
                time.sleep(0.2)
        print(f"edit visible after {seen_after:.2f} s")


def test_gunicorn_workers_give_free_memory_back_at_most_every_few_seconds(monkeypatch):
    """The post_request hook trims the heap once, then not again until trim_seconds pass."""
    import importlib.util

    from peersupport import memory

    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", ROOT / "peersupport/gunicorn.conf.py"
    )
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    trims = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: trims.append(1))
    clock = [1000.0]
    monkeypatch.setattr(conf.time, "monotonic", lambda: clock[0])
    for _ in range(3):
        conf.post_request(None, None, {}, None)
    assert len(trims) == 1
    clock[0] += conf.trim_seconds
    conf.post_request(None, None, {}, None)
    assert len(trims) == 2
    conf.trim_seconds = 0  # GUNICORN_TRIM_SECONDS=0: off
    clock[0] += 100
    conf.post_request(None, None, {}, None)
    assert len(trims) == 2


def test_a_newer_index_lets_the_old_one_go_from_the_minute_caches(db):
    """The schedule conditions of a minute are cached per index; a new index (after an edit)
    evicts the old one's at once, or a burst of edits leaves old indexes alive (40 MB each
    at 100,000 listings)."""
    import datetime as dt
    import weakref

    from directory.search import times
    from directory.search.builder import build_index
    from directory.search.times import TimeMasks

    f.listing()
    now = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    old = build_index(1)
    TimeMasks(old, now, "UTC")
    gone = weakref.ref(old)
    new = build_index(2)
    TimeMasks(new, now, "UTC")
    assert all(held.index is new for held in times._recent_minutes.values())
    del old
    assert gone() is None, "nothing else holds the old index"
