"""Response headers beyond Django's own, and the endpoint that hears about CSP violations.

The Content-Security-Policy itself comes from Django's ContentSecurityPolicyMiddleware and
``SECURE_CSP`` (settings.py). This module adds the Permissions-Policy and the
Reporting-Endpoints header that ``report-to`` names, and receives the reports browsers send.

A report is logged with what an operator needs to find the cause (the directive, what was
blocked, the page) and nothing about the visitor: page and script addresses lose their query
string and fragment (a search term lives there), a blocked address keeps only its origin, and
no user agent, address, sample or referrer is written. Reports are rate-limited per client
address and size-limited; anything malformed is dropped with a 400.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger("peersupport.csp")

# The name ``report-to`` uses in SECURE_CSP and Reporting-Endpoints.
REPORT_GROUP = "csp"
MAX_REPORT_BYTES = 16 * 1024
CSP_KEYWORDS = {"inline", "eval", "wasm-eval", "data", "blob", "self", "trusted-types-policy"}


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy (settings.PERMISSIONS_POLICY) and the CSP's Reporting-Endpoints."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", {})
        self.permissions_policy = ", ".join(
            f"{feature}=({' '.join(allow)})" for feature, allow in policy.items()
        )
        report_url = getattr(settings, "CSP_REPORT_URL", "")
        self.reporting_endpoints = f'{REPORT_GROUP}="{report_url}"' if report_url else ""

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if self.reporting_endpoints:
            response.headers.setdefault("Reporting-Endpoints", self.reporting_endpoints)
        return response


def _path_only(url: object) -> str:
    """A page or script address without its query string and fragment (no search terms)."""
    if not isinstance(url, str) or not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"}:
        return f"{parts.scheme}://{parts.netloc}{parts.path}"[:300]
    return (parts.scheme or url)[:40]


def _blocked(value: object) -> str:
    """What was blocked: a keyword (inline, eval...) or an origin, never a full address."""
    if not isinstance(value, str) or not value:
        return ""
    if value in CSP_KEYWORDS:
        return value
    parts = urlsplit(value)
    if parts.scheme in {"http", "https", "ws", "wss"}:
        return f"{parts.scheme}://{parts.netloc}"[:200]
    return (parts.scheme or value)[:40]


def _violations(payload: object) -> list[dict]:
    """The violations in either report format: report-uri's or the Reporting API's."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        report = payload["csp-report"]
        return [
            {
                "directive": report.get("effective-directive") or report.get("violated-directive"),
                "blocked": report.get("blocked-uri"),
                "page": report.get("document-uri"),
                "source": report.get("source-file"),
                "line": report.get("line-number"),
                "disposition": report.get("disposition"),
            }
        ]
    if isinstance(payload, list):
        found = []
        for item in payload[:20]:
            if not isinstance(item, dict) or item.get("type") != "csp-violation":
                continue
            body = item.get("body") if isinstance(item.get("body"), dict) else {}
            found.append(
                {
                    "directive": body.get("effectiveDirective"),
                    "blocked": body.get("blockedURL"),
                    "page": body.get("documentURL") or item.get("url"),
                    "source": body.get("sourceFile"),
                    "line": body.get("lineNumber"),
                    "disposition": body.get("disposition"),
                }
            )
        return found
    return []


@csrf_exempt  # browsers send reports without a token; nothing is changed but a log line
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    if is_ratelimited(
        request, group="csp-report", key="ip", rate=settings.CSP_REPORT_RATE, increment=True
    ):
        return HttpResponse(status=429)
    length = request.headers.get("Content-Length") or "0"
    if not length.isdigit() or int(length) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return HttpResponse(status=400)
    violations = _violations(payload)
    if not violations:
        return HttpResponse(status=400)
    for violation in violations:
        line = violation["line"]
        logger.warning(
            "CSP violation",
            extra={
                "csp_directive": str(violation["directive"] or "")[:60],
                "csp_blocked": _blocked(violation["blocked"]),
                "csp_page": _path_only(violation["page"]),
                "csp_source": _path_only(violation["source"]),
                "csp_line": line if isinstance(line, int) else None,
                "csp_disposition": str(violation["disposition"] or "")[:20],
            },
        )
    return HttpResponse(status=204)
