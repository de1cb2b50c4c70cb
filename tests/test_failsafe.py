"""Degrade, don't die (in-process): the cache down, the database down, client addresses.

The same behaviour with real processes (gunicorn, a dead Redis port, a PostgreSQL that never
answers) is drilled in tests/test_drills.py.
"""

from __future__ import annotations

import logging
import pickle
import sys
import time
import types

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.test import RequestFactory, override_settings

from directory import failsafe
from directory.edge import client_address
from directory.models import CrisisLine, Submission
from directory.ratelimit import fallback
from tests import factories as f
from tests.process_helpers import free_port

pytestmark = pytest.mark.django_db


def redis_caches(port: int) -> dict:
    location = f"redis://127.0.0.1:{port}/11"
    options = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
    return {
        "default": {
            "BACKEND": "directory.cache.ForgivingRedisCache",
            "LOCATION": location,
            "OPTIONS": options,
        },
        "counters": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": options,
        },
    }


@pytest.fixture
def cache_down(settings):
    failsafe._reported.clear()
    fallback.clear()
    with override_settings(CACHES=redis_caches(free_port())):
        yield
    failsafe._reported.clear()
    fallback.clear()


@pytest.fixture
def content():
    CrisisLine.objects.create(country="US", name="988 Suicide & Crisis Lifeline", phone="988")
    return f.listing(slug="tuesday-group", name="Tuesday group")


def suggestion_form(client) -> dict:
    from directory.models import SupportType
    from tests.submission_helpers import suggestion

    return suggestion(SupportType.objects.first())


def test_the_cache_down_is_a_miss_and_logged_once_a_minute(cache_down, caplog):
    caplog.set_level(logging.WARNING, logger="directory.failsafe")
    cache = caches["default"]
    assert cache.get("key", "fallback") == "fallback"
    cache.set("key", 1)
    assert cache.add("key", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    for _ in range(5):
        cache.get("key")
    warnings = [r for r in caplog.records if "cache unavailable" in r.getMessage()]
    assert len(warnings) == 1


def test_pages_and_searches_are_served_with_the_cache_down(client, content, cache_down):
    for url in ("/", "/find/", "/find/?q=tuesday", "/peer-workers/", "/learn/"):
        assert client.get(url).status_code == 200, url


def test_a_suggestion_is_stored_with_the_cache_down_and_a_stricter_limit_applies(
    client, content, cache_down, settings, caplog
):
    caplog.set_level(logging.WARNING, logger="directory.failsafe")
    settings.DIRECTORY_SUBMISSION_FALLBACK_RATE = "2/h"
    data = suggestion_form(client)
    response = client.post("/suggest/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Submission.objects.count() == 1
    client.post("/suggest/", data)
    assert Submission.objects.count() == 2
    # Over the per-process fallback limit: a clear "try again later", nothing stored.
    response = client.post("/suggest/", data)
    assert response.status_code == 429
    assert Submission.objects.count() == 2
    assert [r for r in caplog.records if "rate-limit counters) unavailable" in r.getMessage()]


def test_readyz_says_degraded_but_ready_with_the_cache_down(client, cache_down):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


# --------------------------------------------------------------------------- database outage


def database_down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.mark.parametrize("url", ["/find/", "/peer-workers/", "/find/print/"])
def test_a_database_outage_is_a_calm_503_page_with_retry_after(client, content, monkeypatch, url):
    monkeypatch.setattr("directory.search.listings.search_listings", database_down)
    monkeypatch.setattr("directory.search.listings.listings_for_export", database_down)
    monkeypatch.setattr("directory.peer_workers.search.search_workers", database_down)
    response = client.get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert 'href="tel:988"' in html and "back in a moment" in html


def test_a_database_outage_is_json_503_on_the_apis(client, monkeypatch):
    monkeypatch.setattr("directory.feeds.hsds_api.service_list", database_down)
    monkeypatch.setattr("directory.meeting_guide.export.iter_rows", database_down)
    for url in ("/hsds/services", "/meetings.json"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response["Content-Type"] == "application/json"
        assert response.json()["status"] == 503
        assert int(response["Retry-After"]) > 0


def test_an_unknown_url_stays_404_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr("directory.selectors.crisis_lines_for", database_down)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client.get("/hsds/nothing").status_code == 404


# --------------------------------------------------------------------------- client address

rf = RequestFactory()


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # No trusted proxy: the header is anyone's to write, so it is ignored.
        ("", "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        ("", "", None, "0.0.0.0"),  # noqa: S104 - no address at all
        # One proxy: the right-most hop is what it saw.
        ("1", "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        ("1", "10.0.0.2", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        ("1", "10.0.0.2", None, "10.0.0.2"),
        ("1", "10.0.0.2", "", "10.0.0.2"),
        ("1", "10.0.0.2", "garbage", "10.0.0.2"),
        ("1", "10.0.0.2", "203.0.113.5:4711", "203.0.113.5"),
        ("1", "10.0.0.2", "[2001:db8::1]:443", "2001:db8::1"),
        ("1", "10.0.0.2", "2001:db8::1", "2001:db8::1"),
        ("1", "10.0.0.2", "::ffff:203.0.113.5", "203.0.113.5"),
        ("1", "10.0.0.2", ",,, ,", "10.0.0.2"),
        ("1", "10.0.0.2", "\x00\xff💥", "10.0.0.2"),
        # Two proxies (CDN + load balancer): two hops from the right.
        ("2", "10.0.0.2", "6.6.6.6, 203.0.113.5, 10.1.1.1", "203.0.113.5"),
        ("2", "10.0.0.2", "10.1.1.1", "10.1.1.1"),
        # Trusted networks: the right-most hop outside them.
        ("10.0.0.0/8", "10.0.0.2", "6.6.6.6, 203.0.113.5, 10.1.1.1", "203.0.113.5"),
        ("10.0.0.0/8", "203.0.113.9", "6.6.6.6", "203.0.113.9"),
        ("10.0.0.0/8, fd00::/8", "fd00::1", "2001:db8::7", "2001:db8::7"),
        ("10.0.0.0/8", "10.0.0.2", "10.1.1.1, nonsense", "10.0.0.2"),
    ],
)
def test_the_client_address_behind_proxies(settings, trusted, remote, forwarded, expected):
    settings.DIRECTORY_TRUSTED_PROXIES = trusted
    assert client_address(request_from(remote, forwarded)) == expected


@pytest.mark.parametrize(
    "forwarded",
    [
        None,
        "",
        "203.0.113.5, 10.0.0.1",
        "2001:db8::1",
        "[2001:db8::1]:1",
        "garbage",
        "\x00",
        "a" * 5000,
    ],
)
def test_no_forwarded_header_makes_a_form_fail(client, content, settings, forwarded):
    settings.DIRECTORY_TRUSTED_PROXIES = "1"
    extra = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    data = suggestion_form(client)
    assert client.post("/suggest/", data, **extra).status_code in {302, 429}
    assert client.get("/find/", **extra).status_code == 200


def test_the_limit_holds_against_a_rotating_left_most_value(client, content, settings):
    settings.DIRECTORY_TRUSTED_PROXIES = "1"
    settings.DIRECTORY_SUBMISSION_RATE = "3/h"
    data = suggestion_form(client)
    statuses = [
        client.post(
            "/suggest/",
            data,
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.5",
        ).status_code
        for i in range(6)
    ]
    assert statuses == [302, 302, 302, 429, 429, 429]
    # Another visitor behind the same proxy is not limited by the first one.
    response = client.post(
        "/suggest/", data, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.77"
    )
    assert response.status_code == 302


# --------------------------------------------------------------------------- health checks


@override_settings(ALLOWED_HOSTS=["directory.example"], SECURE_SSL_REDIRECT=True)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8000", "[::1]:8000", "10.1.2.3:8000"])
def test_health_checks_answer_over_http_for_the_containers_own_host(client, host):
    assert client.get("/healthz", HTTP_HOST=host).status_code == 200
    assert client.get("/readyz", HTTP_HOST=host).status_code == 200
    # Every other page still redirects to HTTPS, and refuses unknown hosts.
    assert client.get("/find/", HTTP_HOST="directory.example").status_code == 301
    assert client.get("/find/", HTTP_HOST=host).status_code == 400


def test_healthz_touches_neither_database_nor_cache(client, django_assert_num_queries, cache_down):
    with django_assert_num_queries(0):
        assert client.get("/healthz").json() == {"status": "ok"}


# --------------------------------------------------------------------------- timeouts


def test_web_requests_have_a_statement_and_a_connect_timeout():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's statement_timeout")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 3
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(6)")


def test_the_connect_breaker_fails_fast_after_a_failure_and_recovers():
    import threading
    import time

    from peersupport.postgresql import base

    breaker = base.Breaker()
    breaker.enter()
    breaker.leave(ok=False)
    with pytest.raises(OperationalError, match="not retrying yet"):
        breaker.enter()
    breaker.open_until = time.monotonic()  # the pause is over
    breaker.enter()  # one attempt under way...
    started = time.monotonic()
    with pytest.raises(OperationalError, match="hangs"):
        breaker.enter()  # ...another thread waits at most SLOW_CONNECT_SECONDS for it
    assert time.monotonic() - started < base.SLOW_CONNECT_SECONDS + 0.5
    # An attempt that succeeds lets the waiting thread through.
    done = threading.Event()

    def second():
        breaker.enter()
        done.set()
        breaker.leave(ok=True)

    breaker.leave(ok=True)
    breaker.enter()
    thread = threading.Thread(target=second)
    thread.start()
    breaker.leave(ok=True)
    thread.join(timeout=2)
    assert done.is_set()


@pytest.mark.django_db
def test_connections_opened_together_do_not_all_expire_together():
    """After a restart every thread reconnects at once; their CONN_MAX_AGE ends are spread
    over half as long again, so they do not all reconnect again at the same moment."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("our PostgreSQL backend")
    real = connections["default"]
    probe = type(real)(real.settings_dict.copy(), alias="default")  # a connection of its own
    max_age = probe.settings_dict["CONN_MAX_AGE"]
    ends = []
    try:
        for _ in range(20):
            probe.connect()
            ends.append(probe.close_at - time.monotonic())
            probe.close()
    finally:
        probe.close()
    assert all(max_age - 1 <= end <= max_age * 1.5 + 1 for end in ends)
    assert max(ends) - min(ends) > max_age / 10


def pickled_by_an_older_release() -> bytes:
    """A pickle of an instance whose class this release no longer has."""
    module = types.ModuleType("directory_gone_now")

    class Row:
        pass

    Row.__module__, Row.__qualname__ = module.__name__, "Row"
    module.Row = Row
    sys.modules[module.__name__] = module
    try:
        return pickle.dumps(Row(), pickle.HIGHEST_PROTOCOL)
    finally:
        del sys.modules[module.__name__]


def test_a_cached_value_this_release_cannot_read_is_a_miss(caplog):
    from directory.cache import ForgivingSerializer

    serializer = ForgivingSerializer()
    caplog.set_level(logging.WARNING, logger="directory.cache")
    assert serializer.loads(pickled_by_an_older_release()) is None
    assert serializer.loads(b"\x80\x05not a pickle") is None
    assert "could not be read" in caplog.text
    for value in (7, "text", {"a": (1, None)}, False):
        assert serializer.loads(serializer.dumps(value)) == value


def test_the_shared_cache_reads_what_it_cannot_unpickle_as_a_miss():
    """As production configures it (Redis, peersupport/settings.py), on this machine's Redis."""
    setting = redis_caches(6379)
    setting["default"]["OPTIONS"] = {
        **setting["default"]["OPTIONS"],
        "serializer": "directory.cache.ForgivingSerializer",
    }
    setting["default"]["KEY_PREFIX"] = f"test-unreadable-{time.monotonic_ns()}"
    with override_settings(CACHES=setting):
        cache = caches["default"]
        key = cache.make_and_validate_key("row")
        cache._cache.get_client(key, write=True).set(key, pickled_by_an_older_release())
        try:
            assert cache.get("row", "default") is None
            assert cache.get_many(["row"]) == {"row": None}
        finally:
            cache.delete("row")
