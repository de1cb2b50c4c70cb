"""What the tests that start the site in other processes (gunicorn, manage.py, Python) share."""

from __future__ import annotations

import os
import socket

# A secret key that passes the production settings' strength check (never used elsewhere).
GOOD_KEY = "k3y-Zq8vP0aL7sX2mN5bR9tW1cY4dF6gH8jK0lQ3eU7iO2pA5sD"

# Our settings' variables and the test runner's: a process a test starts reads only what the
# test gives it, whatever the shell that ran the tests had set.
OWN_PREFIXES = ("DJANGO_", "DIRECTORY_", "REDIS_", "PYTEST")


def clean_environment(*also: str) -> dict[str, str]:
    """This process's environment without our settings, pytest's, and any variable starting
    with one of ``also`` ("DATABASE_", "GUNICORN_"...)."""
    dropped = (*OWN_PREFIXES, *also)
    return {key: value for key, value in os.environ.items() if not key.startswith(dropped)}


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (when asked): for a server a test starts, or as
    a dead address for an outage drill."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
