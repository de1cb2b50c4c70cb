import uuid

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (crisis-line caches, rate limits)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _search_index_follows_every_write(settings):
    """The search index checks the database's search version on every request and rebuilds
    before answering, so a test sees its own writes at once (production checks every second
    and rebuilds in the background)."""
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
