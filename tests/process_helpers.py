"""What the tests that start the site in other processes (gunicorn, manage.py, Python) share:
a clean environment, a free port, a production secret key, and gunicorn itself."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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


ROOT = Path(__file__).resolve().parent.parent


def healthy(port: int) -> bool:
    """``/healthz`` answers 200 (gunicorn is up and the site loaded)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310 - ours
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, ready=healthy, seconds: float = 60):
    """gunicorn as production starts it (``peersupport/gunicorn.conf.py``) with ``env`` on a
    free port, in its own process group; yields the port once ``ready(port)``, and stops it
    and its workers after (its output is printed then, for a failing test's report)."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "peersupport/gunicorn.conf.py",
            "peersupport.wsgi:application",
        ],  # fmt: skip
        cwd=ROOT,
        env=env | {"GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + seconds
        while not ready(port):
            assert server.poll() is None, "gunicorn exited at start"
            assert time.monotonic() < deadline, f"gunicorn not ready within {seconds:.0f} s"
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
        log.seek(0)
        print(log.read().decode(errors="replace")[-4000:])
        log.close()
