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
