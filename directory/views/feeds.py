"""Feeds for other software: Meeting Guide JSON, calendars, robots.txt and the HSDS 3.0 API."""

from __future__ import annotations

import copy
import functools
import itertools
import json
from pathlib import Path

from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from directory import selectors
from directory.edge import json_api
from directory.feeds import hsds, ical, meeting_guide
from directory.sitemaps import SITEMAPS


def _site_root(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@json_api
@require_safe
def meetings_feed(request: HttpRequest) -> StreamingHttpResponse:
    """``/meetings.json``: streamed in chunks so 100,000 listings never sit in memory at once.

    The first chunk is read before the response starts: a database outage is then a JSON 503
    (directory/failsafe.py), not a stream that breaks off after its status line.
    """
    chunks = meeting_guide.stream_feed(_site_root(request))
    first = next(chunks)
    response = StreamingHttpResponse(
        itertools.chain([first], chunks), content_type="application/json"
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
def sitemap_index(request: HttpRequest) -> HttpResponse:
    return sitemap_views.index(
        request,
        SITEMAPS,
        template_name="feeds/sitemap_index.xml",
        sitemap_url_name="directory:sitemap-section",
    )


@require_safe
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    return sitemap_views.sitemap(
        request, SITEMAPS, section=section, template_name="feeds/sitemap.xml"
    )


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    context = {"sitemap_url": request.build_absolute_uri("/sitemap.xml")}
    # Rendered without the request: the site-wide context processors would query for nothing.
    body = render_to_string("feeds/robots.txt", context)
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


# ----------------------------------------------------------------------------- HSDS 3.0 API


def _json(data, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"indent": None})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status: int, message: str, **extra) -> JsonResponse:
    return _json({"error": message, "status": status, **extra}, status=status)


def hsds_endpoint(view):
    """JSON in, JSON out: CORS for everyone, 400 for bad parameters, 404 for unknown ids."""

    @functools.wraps(view)
    @csrf_exempt
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            response = _error(405, "Only GET is offered.")
            response["Allow"] = "GET, HEAD, OPTIONS"
            return response
        if request.method == "OPTIONS":
            response = _json({})
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            return response
        try:
            data = view(request, hsds.Urls(_site_root(request)), *args, **kwargs)
        except hsds.ParameterError as error:
            return _error(400, error.message, parameter=error.parameter)
        if data is None:
            return _error(404, "No such object.")
        return _json(data)

    return json_api(wrapper)


@hsds_endpoint
def hsds_root(request, urls):
    return hsds.root(urls.base)


@hsds_endpoint
def hsds_profile(request, urls):
    return hsds.profile(urls.base)


@functools.cache
def _openapi_document() -> dict:
    with open(Path(hsds.__file__).parent / "hsds-3.0" / "openapi.json", encoding="utf-8") as f:
        return json.load(f)


@hsds_endpoint
def hsds_openapi(request, urls):
    document = copy.deepcopy(_openapi_document())
    document["info"] = {
        "title": "Peer Support Directory HSDS API",
        "version": "1.0",
        "summary": "Peer-support resources for addiction recovery as Open Referral HSDS 3.0.",
        "description": "Read-only. Profile: " + f"{urls.base}/hsds/profile. Based on the "
        "Human Services Data Specification: an Open Referral resource "
        "(https://openreferral.org/), CC BY-SA 4.0.",
        "license": {
            "name": "CC BY-SA 4.0",
            "url": "https://creativecommons.org/licenses/by-sa/4.0/",
        },
    }
    document["servers"] = [{"url": f"{urls.base}/hsds"}]
    return document


@hsds_endpoint
def hsds_services(request, urls):
    return hsds.service_list(request.GET, urls)


@hsds_endpoint
def hsds_service(request, urls, pk: str):
    return hsds.service_detail(pk, urls)


@hsds_endpoint
def hsds_organizations(request, urls):
    return hsds.organization_list(request.GET)


@hsds_endpoint
def hsds_organization(request, urls, pk: str):
    return hsds.organization_detail(pk, urls)


@hsds_endpoint
def hsds_taxonomies(request, urls):
    return hsds.taxonomy_list(request.GET)


@hsds_endpoint
def hsds_taxonomy(request, urls, pk: str):
    return hsds.taxonomy_detail(pk)


@hsds_endpoint
def hsds_taxonomy_terms(request, urls):
    return hsds.taxonomy_term_list(request.GET)


@hsds_endpoint
def hsds_taxonomy_term(request, urls, pk: str):
    return hsds.taxonomy_term_detail(pk)


@hsds_endpoint
def hsds_service_at_locations(request, urls):
    return hsds.service_at_location_list(request.GET, urls)


@hsds_endpoint
def hsds_service_at_location(request, urls, pk: str):
    return hsds.service_at_location_detail(pk, urls)


@hsds_endpoint
def hsds_not_found(request, urls, rest: str = ""):
    return None
