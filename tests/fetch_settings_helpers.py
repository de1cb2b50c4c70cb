"""What the fetching tests share (tests/test_fetching_addresses.py,
tests/test_fetching_limits.py, tests/test_fetching_bad_sources.py): the settings each test
starts from (no host or network allowed, a 5-second deadline, a 20 MB cap) and a feed of one
meeting to serve. The local servers and the fake DNS are in tests/fetch_helpers.py.

A module imports ``fetch_settings`` for its tests to start from those settings: pytest finds
the autouse fixture there, under the name ``_fetch_settings``.
"""

from __future__ import annotations

import json

import pytest

FEED = json.dumps(
    [
        {
            "name": "Came to Believe",
            "slug": "came-to-believe",
            "day": 1,
            "time": "19:30",
            "timezone": "America/Los_Angeles",
            "formatted_address": "100 Main St, San Jose, CA 95112, USA",
        }
    ]
).encode()


@pytest.fixture(autouse=True, name="_fetch_settings")
def fetch_settings(settings):
    settings.DIRECTORY_FETCH_ALLOWED_HOSTS = []
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = []
    settings.DIRECTORY_FETCH_DEADLINE_SECONDS = 5
    settings.DIRECTORY_FETCH_MAX_BYTES = 20 * 1024 * 1024
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
