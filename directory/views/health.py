"""Liveness and readiness for load balancers and the container's HEALTHCHECK.

- ``/healthz`` (liveness): the process answers. It touches neither the database nor the cache,
  so a database outage never gets healthy containers restarted.
- ``/readyz`` (readiness): each dependency, checked with its own short timeout
  (``DIRECTORY_READYZ_TIMEOUT``, 2 s by default). The database is required: unreachable or
  too slow -> 503, so the load balancer stops sending traffic. The cache is an accelerator:
  unavailable -> still 200, with ``"status": "degraded"`` and ``"cache": "unavailable"``, since
  every page is still served (uncached; the forms' rate limit falls back per process). Alert on
  the ``degraded`` field; do not take the site out of rotation for it.

``HealthCheckMiddleware`` answers both before host validation and the HTTPS redirect, so a
probe over plain HTTP to 127.0.0.1 or a container IP works in production; neither answer uses
the Host header or reveals anything but the dependencies' states.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

# One probe at a time per dependency: a hanging database never piles up probe threads.
_probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")
_pending: dict[str, object] = {}
_pending_lock = threading.Lock()


def _never_cache(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def liveness(request: HttpRequest) -> JsonResponse:
    return _never_cache(JsonResponse({"status": "ok"}))


def _database_probe() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # the probe thread's own connection


def _cache_probe() -> None:
    caches["counters"].get("readyz-probe")


def _start(name: str, probe):
    with _pending_lock:
        future = _pending.get(name)
        if future is None or future.done():
            future = _pending[name] = _probes.submit(probe)
        return future


def _outcome(future, deadline: float) -> str:
    """ "ok", "unavailable" or "timeout" (no answer by the deadline)."""
    try:
        future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        return "timeout"
    except Exception:  # noqa: BLE001 - any failure of a probe means "unavailable"
        return "unavailable"
    return "ok"


def readiness(request: HttpRequest) -> JsonResponse:
    """Both probes run at once and share one deadline: the answer never takes longer."""
    deadline = time.monotonic() + settings.DIRECTORY_READYZ_TIMEOUT
    futures = {
        "database": _start("database", _database_probe),
        "cache": _start("cache", _cache_probe),
    }
    database, cache = (_outcome(futures[name], deadline) for name in ("database", "cache"))
    if database != "ok":
        status, code = "unavailable", 503
    elif cache != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    body = {"status": status, "database": database, "cache": cache}
    return _never_cache(JsonResponse(body, status=code))


HEALTH_VIEWS = {"/healthz": liveness, "/readyz": readiness}


class HealthCheckMiddleware:
    """GET/HEAD /healthz and /readyz, whatever the Host, over HTTP: before host validation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_VIEWS.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
