"""Public search pages. Thin: the form validates, the selectors query."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import selectors
from directory.edge import ignored_parameters
from directory.feeds import published
from directory.maps import results as maps
from directory.search import geo, listings, vocabulary
from directory.search.facets import QueryLinks, with_toggle_urls
from directory.search.forms import ListingSearchForm

# The "online meetings match your other filters" link: no place, online only.
ONLINE_ELSEWHERE = {
    "near": None, "lat": None, "lon": None, "radius": None, "attendance": "online", "page": None,
}  # fmt: skip


def find(request: HttpRequest) -> HttpResponse:
    form = ListingSearchForm(request.GET)
    view = "map" if request.GET.get("view") == "map" else "list"
    result = listings.search_listings(form.to_query(), now=timezone.now(), view=view)
    links = QueryLinks(request.GET)
    with_toggle_urls(result.facets, links)
    active_filters = selectors.active_filters(result)
    for link in [*active_filters, *result.relaxations]:
        link.url = links.url(link.params)
    context = {
        "map_view": view == "map",
        "results_map": maps.results_map(result, request.GET) if view == "map" else None,
        "query": result.query,
        "result": result,
        "active_filters": active_filters,
        "links": {
            "list": links.url({"view": None}),
            "map": links.url({"view": "map", "page": None}),
            "all_pages": links.url({"page": None}),
            "online": links.url(ONLINE_ELSEWHERE),
        },
        "radius_options": geo.radius_options(result.query.radius),
        "sort_options": sort_options(result),
        "invalid_fields": sorted(
            set(form.errors) | (set(ignored_parameters(request)) & set(form.fields))
        ),
        # A place is settled: the form folds into a one-line summary above the results (until
        # then it stays open, the place asked for first).
        "searched": bool(result.origin),
        "place_prompt": listings.place_prompt(result),
        "active_filter_count": sum(value.selected for f in result.facets for value in f.values),
    }
    return render(request, "directory/listing_list.html", context)


def sort_options(result) -> list[tuple[str, str, bool]]:
    """The "Sort by" menu: (key, label, chosen) of each order this search can take (by
    distance only from a place, by relevance only for a keyword)."""
    return [
        (key, label, key == result.sort)
        for key, label in vocabulary.SORT_CHOICES.items()
        if not (key == "distance" and not result.origin)
        and not (key == "relevance" and not result.query.q)
    ]


def find_print(request: HttpRequest) -> HttpResponse:
    export = listings.listings_for_export(
        ListingSearchForm(request.GET).to_query(), now=timezone.now()
    )
    context = {
        "export": export,
        "handout_map": maps.handout_map(export),
        "items": export.items,
        "origin": export.origin,
        "query": export.query,
        "printed_at": timezone.now(),
    }
    return render(request, "directory/listing_print.html", context)


@published.conditional
def find_calendar(request: HttpRequest) -> HttpResponse:
    from directory.feeds.ical import build_calendar

    export = listings.listings_for_export(
        ListingSearchForm(request.GET).to_query(), now=timezone.now()
    )
    body = build_calendar(
        export.items,
        name=_("Peer support meetings"),
        base_url=request.build_absolute_uri("/").rstrip("/"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peer-support-search.ics"'
    return response


def listing_detail(request: HttpRequest, slug: str) -> HttpResponse:
    listing = selectors.published_listing(slug)
    if listing is None:
        raise Http404("No published listing with that address.")
    now = timezone.now()
    visitor_tz = selectors.visitor_time_zone(request)
    context = {
        "listing": listing,
        "schedules": selectors.schedule_lines(
            listing, now, visitor_tz, selectors.visitor_clock(request)
        ),
        "next_start": selectors.next_meeting(listing, now),
        "visitor_tz": visitor_tz,
        "directions_url": selectors.directions_url(listing.location),
        "locator_map": maps.locator_map(listing),
    }
    return render(request, "directory/listing_detail.html", context)
