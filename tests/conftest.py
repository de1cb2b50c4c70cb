import uuid
from pathlib import Path

import pytest


def pytest_configure(config):
    """Compiled translations for a bare ``pytest`` too (``make test`` compiles them first):
    each committed .po whose .mo is missing or older."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parent.parent.glob("locale/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (crisis-line caches, rate limits)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users made in tests hash their passwords with a fast hasher (production's is slow on
    purpose; no test depends on which one hashes)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _source_language():
    """Each test starts in English: a request to a Spanish page leaves Spanish active in the
    thread (LocaleMiddleware activates a request's language and nothing deactivates it), and
    code a test calls directly afterwards would otherwise speak Spanish."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _search_index_follows_every_write(settings):
    """The search index checks the database's search version on every request and rebuilds
    before answering, so a test sees its own writes at once (production checks twice a
    second and rebuilds in the background)."""
    settings.DIRECTORY_SEARCH_INDEX_CHECK_SECONDS = 0
    settings.DIRECTORY_SEARCH_INDEX_REFRESH = "inline"
    settings.DIRECTORY_SEARCH_INDEX_SHARE_DIR = ""  # one process: nothing to share


@pytest.fixture(scope="session")
def _feed_cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("feeds")


@pytest.fixture(autouse=True)
def _feeds_built_per_test(settings, _feed_cache_root):
    """Each test builds its own copy of /meetings.json (the directory is made on first use):
    a file built by an earlier test at the same data version never answers for this one."""
    settings.DIRECTORY_FEED_CACHE_DIR = str(_feed_cache_root / uuid.uuid4().hex)


# Fixtures several modules use.


@pytest.fixture
def reference(db):
    """The minimal reference data the demo generator needs, made by hand (no loaders)."""
    from tests.demo_helpers import make_reference

    make_reference()


@pytest.fixture
def world(db):
    """A small directory with one of everything a public page shows."""
    from directory.models import CrisisLine, GuideSection, Schedule
    from tests import factories as f

    CrisisLine.objects.create(country="US", name="988 Suicide & Crisis Lifeline", phone="988")
    meeting_type = f.support_type(slug="12-step", name="12-step meetings")
    feature = f.feature("format", slug="open", name="Open")
    f.place(name="Portland", search_name="portland", region_code="ME", region_name="Maine")
    f.place(kind="postal_code", name="97201", search_name="97201", latitude=45.5, longitude=-122.7)
    listing = f.listing(
        slug="tuesday-group", name="Tuesday group", support_type=meeting_type, features=[feature]
    )
    f.schedule(listing, weekday=Schedule.Weekday.TUESDAY)
    online = f.listing(slug="online-group", attendance="online", support_type=meeting_type)
    f.schedule(online, weekday=Schedule.Weekday.MONDAY, timezone="Europe/London")
    worker = f.peer_worker(slug="worker-ana", display_name="Ana R.")
    f.credential(worker)
    GuideSection.objects.create(
        slug="what-is-peer-support", title="What", kind="overview", body="x"
    )
    return {"listing": listing, "worker": worker, "support_type": meeting_type}


@pytest.fixture
def no_errors_logged(caplog):
    import logging

    caplog.set_level(logging.ERROR)
    yield caplog
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
