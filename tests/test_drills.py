"""Outage drills with real processes: gunicorn with the production configuration, a Redis at a
dead port, and a PostgreSQL behind a TCP relay of our own that can forward, hang (accept and
never answer) or refuse.

Everything listens on 127.0.0.1 on ports the system picks; each test stops what it started
(its own gunicorn process group and relay). The database outages need PostgreSQL; the cache
drill runs on both databases.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from directory.models import CrisisLine, Submission
from tests import factories as f
from tests import process_helpers
from tests.process_helpers import GOOD_KEY, clean_environment, free_port
from tests.submission_helpers import suggestion

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
HOST = "directory.example"


class Relay:
    """A TCP relay in front of PostgreSQL: "forward", "hang" or "refuse" (not listening)."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.mode = "forward"
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stopped = False
        self._listen()
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _listen(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.listener = listener

    def _accept_loop(self):
        while not self.stopped:
            listener = self.listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with self.lock:
                self.sockets.append(client)
                mode = self.mode
            if mode == "forward":
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                with self.lock:
                    self.sockets.append(upstream)
                threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            # "hang": the connection stays open and nothing is ever sent back.

    def _pump(self, a: socket.socket, b: socket.socket):
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while not self.stopped:
                for key, _ in selector.select(timeout=0.2):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            a.close()
            b.close()

    def _drop_connections(self):
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def set(self, mode: str):
        """Switch mode; established connections are cut, as when a server goes away."""
        with self.lock:
            self.mode = mode
        self._drop_connections()
        if mode == "refuse" and self.listener is not None:
            self.listener.close()
            self.listener = None
        elif mode != "refuse" and self.listener is None:
            self._listen()

    def stop(self):
        self.stopped = True
        self.set("refuse")
        self.thread.join(timeout=2)


def request(port: int, path: str, *, method="GET", body=None, headers=None, timeout=10.0):
    """(status, headers, body, seconds) of one request to our gunicorn."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request(
            method,
            path,
            body=body,
            headers={"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})},
        )
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), data, time.monotonic() - started
    finally:
        conn.close()


def database_url(port: int | None = None) -> str:
    settings = connection.settings_dict
    user, host = settings["USER"] or "postgres", settings["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{port or settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture(scope="session")
def collected_static():
    """Production serves collectstatic's fingerprinted files: the manifest must exist."""
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": GOOD_KEY}
    env |= {"DJANGO_ALLOWED_HOSTS": HOST, "DIRECTORY_RATELIMIT_LOCAL_CACHE": "true"}
    subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={k: v for k, v in env.items() if not k.startswith("PYTEST")},
        check=True,
        timeout=300,
    )


def gunicorn(database: str, redis: str, **extra):
    """gunicorn with peersupport/gunicorn.conf.py and production settings; stopped after."""
    env = clean_environment("GUNICORN_") | {
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": GOOD_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "GUNICORN_WORKERS": "2",
        "DJANGO_CONN_MAX_AGE": "60",
        "DIRECTORY_SEARCH_INDEX_SHARE_DIR": "",
        "DIRECTORY_EMAIL_DISABLED": "true",  # no SMTP server here: production sends no mail
        **extra,
    }
    return process_helpers.gunicorn(env)


@pytest.fixture
def site(db):
    CrisisLine.objects.create(country="US", name="988 Suicide & Crisis Lifeline", phone="988")
    return f.listing(slug="tuesday-group", name="Tuesday group")


needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the drills run gunicorn on the test database: PostgreSQL (other processes can open "
    "it; SQLite's test database lives in this process's memory)",
)


@needs_postgres
def test_with_the_cache_at_a_dead_port_search_works_and_a_suggestion_is_stored(
    site, collected_static
):
    dead_redis = f"redis://127.0.0.1:{free_port()}/11"
    with gunicorn(database_url(), dead_redis) as port:
        for path in ("/", "/find/", "/find/?q=tuesday", "/peer-workers/"):
            status, _, body, _ = request(port, path)
            assert status == 200, (path, body[:500])
        status, _, body, _ = request(port, "/readyz")
        assert status == 200 and json.loads(body)["status"] == "degraded"
        # The suggestion form over HTTPS (the production cookies are secure-only).
        status, headers, body, _ = request(port, "/suggest/")
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        token = body.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        from urllib.parse import urlencode

        data = suggestion(site.support_type) | {"csrfmiddlewaretoken": token}
        status, headers, body, _ = request(
            port,
            "/suggest/",
            method="POST",
            body=urlencode(data, doseq=True),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Referer": f"https://{HOST}/suggest/",
                "Origin": f"https://{HOST}",
            },
        )
        assert status == 302, body[:1000]
        assert Submission.objects.filter(proposed__name="Tuesday Night Hope").count() == 1


@needs_postgres
def test_a_database_that_never_answers_gives_503s_while_healthz_answers_then_recovers(
    site, collected_static
):
    relay = Relay(int(connection.settings_dict["PORT"] or 5432))
    try:
        with gunicorn(database_url(relay.port), "redis://127.0.0.1:6379/11") as port:
            assert request(port, "/find/")[0] == 200
            relay.set("hang")
            stop = threading.Event()
            health: list[tuple[int, float]] = []

            def probe_health():
                while not stop.is_set():
                    try:
                        status, _, _, seconds = request(port, "/healthz", timeout=5)
                    except OSError:
                        status, seconds = 0, 5.0
                    health.append((status, seconds))
                    time.sleep(0.1)

            watcher = threading.Thread(target=probe_health)
            watcher.start()
            try:
                status, _, body, seconds = request(port, "/readyz")
                assert status == 503 and seconds < 3, (status, seconds)
                assert json.loads(body)["database"] in {"timeout", "unavailable"}
                # Visitors keep coming: every page is a calm 503 within the connect timeout.
                with ThreadPoolExecutor(max_workers=4) as pool:
                    results = list(pool.map(lambda p: request(port, p), ["/find/", "/"] * 4))
                for status, headers, body, seconds in results:
                    assert status == 503, body[:300]
                    assert "Retry-After" in headers
                    assert b"tel:988" in body
                    assert seconds < 5, seconds
            finally:
                stop.set()
                watcher.join()
            assert health and all(status == 200 for status, _ in health), health
            assert max(seconds for _, seconds in health) < 1, health
            # The database comes back: the site recovers by itself.
            relay.set("forward")
            deadline = time.monotonic() + 15
            while True:
                # Several requests: both workers must have recovered.
                statuses = {request(port, path)[0] for path in ["/find/", "/readyz"] * 4}
                if statuses == {200}:
                    break
                assert time.monotonic() < deadline, f"not recovered within 15 s: {statuses}"
                time.sleep(0.3)
    finally:
        relay.stop()


@needs_postgres
def test_a_database_refusing_connections_gives_503_retry_after_and_json_on_the_apis(
    site, collected_static
):
    relay = Relay(int(connection.settings_dict["PORT"] or 5432))
    try:
        with gunicorn(database_url(relay.port), "redis://127.0.0.1:6379/11") as port:
            relay.set("refuse")
            status, headers, body, _ = request(port, "/find/")
            assert status == 503 and int(headers["Retry-After"]) > 0
            assert b"tel:988" in body
            for path in ("/hsds/services", "/meetings.json"):
                status, headers, body, _ = request(port, path)
                assert status == 503, path
                assert headers["Content-Type"] == "application/json"
                assert json.loads(body)["status"] == 503
            assert request(port, "/no-such-page/")[0] == 404
            assert request(port, "/healthz")[0] == 200
            assert request(port, "/readyz")[0] == 503
    finally:
        relay.stop()


@needs_postgres
def test_the_dockerfile_healthcheck_succeeds_against_production_gunicorn(site, collected_static):
    """The HEALTHCHECK line, run as written (only its port changed), with the HTTPS redirect on
    and 127.0.0.1 not among the allowed hosts."""
    line = next(
        line
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("HEALTHCHECK")
    )
    command = line.split(" CMD ", 1)[1]
    with gunicorn(database_url(), "redis://127.0.0.1:6379/11") as port:
        if command.startswith("["):  # the exec form, as hadolint prefers: no shell
            argv = [
                part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in json.loads(command)
            ]
            argv[0] = sys.executable if argv[0] == "python" else argv[0]
            result = subprocess.run(  # noqa: S603 - the Dockerfile's own command
                argv, cwd=ROOT, capture_output=True, timeout=30, check=False
            )
        else:
            result = subprocess.run(  # noqa: S602 - the Dockerfile's own shell command
                command.replace("127.0.0.1:8000", f"127.0.0.1:{port}"),
                shell=True,
                cwd=ROOT,
                capture_output=True,
                timeout=30,
                check=False,
            )
        assert result.returncode == 0, result.stderr.decode()
