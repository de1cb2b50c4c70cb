"""Degrade, don't die: what visitors get when the cache or the database is unavailable.

- The cache (Redis) is an accelerator: ``directory.cache.ForgivingRedisCache`` answers a miss
  when it is down, and ``report_degraded`` logs that once a minute per dependency, not once per
  request.
- The database is required: ``DatabaseOutageMiddleware`` turns a database that cannot be
  reached (or a statement that ran past its timeout) into **503 with Retry-After**: a
  self-contained page with the crisis lines for HTML (it needs neither the database nor the
  cache to render), a JSON error for the APIs (views marked ``edge.json_api``). The error
  handlers below do the same for errors outside views, and keep a 404 a 404 when the site's
  404 page itself cannot be rendered.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import page_not_found, server_error

logger = logging.getLogger("directory.failsafe")

RETRY_AFTER_SECONDS = 30
REPORT_EVERY_SECONDS = 60

_reported: dict[str, float] = {}
_report_lock = threading.Lock()


def report_degraded(dependency: str, error: BaseException) -> None:
    """Log that ``dependency`` is unavailable, at most once a minute per process."""
    now = time.monotonic()
    with _report_lock:
        if now - _reported.get(dependency, float("-inf")) < REPORT_EVERY_SECONDS:
            return
        _reported[dependency] = now
    logger.warning(
        "%s unavailable (%s: %s); serving without it (repeats are not logged for %d s)",
        dependency,
        type(error).__name__,
        str(error).splitlines()[0][:200] if str(error) else "",
        REPORT_EVERY_SECONDS,
    )


def is_database_outage(error: BaseException | None) -> bool:
    """A database that cannot be reached or answered too late, not a bug in a query."""
    return isinstance(error, OperationalError | InterfaceError)


def _is_api(request: HttpRequest, view_func=None) -> bool:
    if view_func is not None:
        return getattr(view_func, "json_api", False)
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return getattr(match.func, "json_api", False)
    return request.path.startswith("/hsds/") or request.path == "/meetings.json"


def unavailable_response(request: HttpRequest, *, api: bool) -> HttpResponse:
    """503 with Retry-After; rendered without the database, the cache or the request."""
    if api:
        response: HttpResponse = JsonResponse(
            {
                "error": "The directory's database is unavailable; try again shortly.",
                "status": 503,
            },
            status=503,
        )
        response["Access-Control-Allow-Origin"] = "*"
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    """A database outage inside a view is a 503 (logged once a minute), not a 500 traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.failsafe_api = _is_api(request, view_func)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_database_outage(exception):
            return None
        report_degraded("database", exception)
        return unavailable_response(request, api=getattr(request, "failsafe_api", False))


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The site's 404 page; a plain 404 if the page cannot be rendered (database down)."""
    if _is_api(request):
        response = JsonResponse({"error": "No such object.", "status": 404}, status=404)
        response["Access-Control-Allow-Origin"] = "*"
        return response
    try:
        return page_not_found(request, exception)
    except DatabaseError as error:
        report_degraded("database", error)
        return HttpResponse(render_to_string("404_plain.html"), status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    """An outage raised outside a view (middleware, streaming) is a 503 too; a bug is a 500."""
    error = sys.exc_info()[1]
    if is_database_outage(error):
        return unavailable_response(request, api=_is_api(request))
    if _is_api(request):
        response = JsonResponse({"error": "Internal error.", "status": 500}, status=500)
        response["Access-Control-Allow-Origin"] = "*"
        return response
    return server_error(request)
