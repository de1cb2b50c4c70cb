"""Structured logs: one JSON object per line on stdout, each with the request it belongs to.

``RequestLogMiddleware`` (first in MIDDLEWARE) takes the request id from ``X-Request-ID`` when
it is a plausible id (the reverse proxy sets one), otherwise makes one; returns it in the
response's ``X-Request-ID``; and writes one line per request: method, path *without* the query
string, status and duration. Every other record logged while the request runs (errors and
their tracebacks included) carries the same id, through a context variable.

Privacy: a query string holds search terms and a form holds names and e-mail addresses, so
neither is ever put in a record by us; as a second line of defence ``JsonFormatter`` masks
anything shaped like an e-mail address in messages and tracebacks.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import traceback
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and . _ - : (UUIDs, hex ids, proxies' ids), at most 128 of them.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[A-Za-z]{2,}")
_QUERY = re.compile(r"\?\S*")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# Extra fields a record may carry into the JSON line (anything else passed as extra= is dropped,
# so a careless extra={"form": ...} cannot leak into the logs).
EXTRA_FIELDS = (
    "method",
    "path",
    "status",
    "duration_ms",
    "csp_directive",
    "csp_blocked",
    "csp_page",
    "csp_source",
    "csp_line",
    "csp_disposition",
)


def incoming_request_id(value: str | None) -> str:
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def redact(text: str) -> str:
    return _EMAIL.sub("[email]", text)


class RequestLogMiddleware:
    logger = logging.getLogger("peersupport.request")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response.headers[REQUEST_ID_HEADER] = request_id
            status = response.status_code
            level = (
                logging.ERROR
                if status >= 500
                else logging.WARNING
                if status >= 400 and status != 404
                else logging.INFO
            )
            self.logger.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,  # never the query string
                    "status": status,
                    # To the response's headers: a streamed body goes on after this.
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: timestamp, level, logger, message, request id, pid..."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": request_id_var.get() or None,
            "pid": record.process,
        }
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Development's readable lines, with the request id and the same e-mail masking."""

    def __init__(self):
        super().__init__("%(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id_var.get() or "-"
        return redact(super().format(record))


class StripQueryString(logging.Filter):
    """The dev server's request lines (django.server) without their query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            record.args = (_QUERY.sub("", record.args[0]), *record.args[1:])
        return True


def logging_config(log_format: str, level: str) -> dict:
    """settings.LOGGING: every record to stdout as ``log_format`` ("json" or "plain").

    Query strings are stripped from every record; our request lines replace Django's own
    per-request warnings (same path, same id).
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "peersupport.logs.JsonFormatter"},
            "plain": {"()": "peersupport.logs.PlainFormatter"},
        },
        "filters": {"no_query": {"()": "peersupport.logs.StripQueryString"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": log_format,
                "filters": ["no_query"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
