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
