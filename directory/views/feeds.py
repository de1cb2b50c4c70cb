"""Feeds for other software: Meeting Guide JSON, calendars, robots.txt and the HSDS 3.0 API."""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from directory import selectors
from directory.edge import json_api
from directory.feeds import hsds, hsds_api, ical, published
from directory.meeting_guide import export as meeting_guide
from directory.sitemaps import SITEMAPS

FEED_RETRY_AFTER = 30  # seconds: a first build at 100,000 listings takes about 17
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _site_root(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@json_api
@require_safe
def meetings_feed(request: HttpRequest) -> HttpResponse:
    """``/meetings.json``, built once per data version into a shared gzip file (see
    directory/feeds/published.py) and answered 304 when the poller already has it.

    A database outage while reading the version or building is a JSON 503
    (directory/failsafe.py), never a stream that breaks off after its status line.
    """
    built = meeting_guide.MEETINGS_FEED.current(published.data_version(), _site_root(request))
    if built is None:
        response = JsonResponse(
            {
                "error": "The feed is being prepared: try again in a minute.",
                "status": 503,
            },
            status=503,
        )
        response["Retry-After"] = str(FEED_RETRY_AFTER)
        response["Access-Control-Allow-Origin"] = "*"
        return response
    etag = quote_etag(built.etag)
    modified = int(built.last_modified.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
            response = FileResponse(
                open(built.path, "rb"),  # noqa: SIM115 - FileResponse closes it
                content_type="application/json",
                filename="meetings.json",
            )
            response["Content-Encoding"] = "gzip"
        else:
            response = StreamingHttpResponse(
                published.read_unpacked(built.path), content_type="application/json"
            )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    patch_vary_headers(response, ["Accept-Encoding"])
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
@published.conditional
def listing_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    listing = selectors.published_listing(slug)
    if listing is None:
        raise Http404("No published listing with that address.")
    body = ical.build_calendar([listing], name=listing.name, base_url=_site_root(request))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{listing.slug}.ics"'
    return response


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    return sitemap_views.index(
        request,
        SITEMAPS,
        template_name="feeds/sitemap_index.xml",
        sitemap_url_name="feeds:sitemap-section",
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
    """JSON in, JSON out: CORS for everyone, 400 for bad parameters, 404 for unknown ids.

    Always in the site's language (English): HSDS is data for other software, whatever
    language the request was made in (the cost and attendance labels are translated on pages).
    """

    @functools.wraps(view)
    @csrf_exempt
    @published.conditional
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
            with translation.override(settings.LANGUAGE_CODE):
                data = view(request, hsds.Urls(_site_root(request)), *args, **kwargs)
        except hsds_api.ParameterError as error:
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
        "summary": "Peer-support listings for addiction recovery as Open Referral HSDS 3.0.",
        "description": "Read-only. Profile: " + f"{urls.base}/hsds/profile. Based on the "
        "Human Services Data Specification: an Open Referral listing "
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
    return hsds_api.service_list(request.GET, urls)


@hsds_endpoint
def hsds_service(request, urls, pk: str):
    return hsds_api.service_detail(pk, urls)


@hsds_endpoint
def hsds_organizations(request, urls):
    return hsds_api.organization_list(request.GET)


@hsds_endpoint
def hsds_organization(request, urls, pk: str):
    return hsds_api.organization_detail(pk, urls)


@hsds_endpoint
def hsds_taxonomies(request, urls):
    return hsds_api.taxonomy_list(request.GET)


@hsds_endpoint
def hsds_taxonomy(request, urls, pk: str):
    return hsds_api.taxonomy_detail(pk)


@hsds_endpoint
def hsds_taxonomy_terms(request, urls):
    return hsds_api.taxonomy_term_list(request.GET)


@hsds_endpoint
def hsds_taxonomy_term(request, urls, pk: str):
    return hsds_api.taxonomy_term_detail(pk)


@hsds_endpoint
def hsds_service_at_locations(request, urls):
    return hsds_api.service_at_location_list(request.GET, urls)


@hsds_endpoint
def hsds_service_at_location(request, urls, pk: str):
    return hsds_api.service_at_location_detail(pk, urls)


@hsds_endpoint
def hsds_not_found(request, urls, rest: str = ""):
    return None
