"""Feeds for other software: the Meeting Guide JSON feed, calendars, robots.txt.

The HSDS API views live in :mod:`directory.views.hsds`.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from directory import selectors
from directory.feeds import ical, meeting_guide


def _site_root(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_safe
def meetings_feed(request: HttpRequest) -> StreamingHttpResponse:
    """``/meetings.json``: streamed in chunks so 100,000 listings never sit in memory at once."""
    response = StreamingHttpResponse(
        meeting_guide.stream_feed(_site_root(request)), content_type="application/json"
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def resource_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    resource = selectors.published_listing(slug)
    if resource is None:
        raise Http404("No published listing with that address.")
    body = ical.build_calendar([resource], name=resource.name, base_url=_site_root(request))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{resource.slug}.ics"'
    return response


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    context = {"sitemap_url": request.build_absolute_uri("/sitemap.xml")}
    # Rendered without the request: the site-wide context processors would query for nothing.
    body = render_to_string("feeds/robots.txt", context)
    return HttpResponse(body, content_type="text/plain; charset=utf-8")
