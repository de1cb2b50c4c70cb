"""Public search pages. Thin: the FilterSet validates, the selectors query."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from directory import selectors
from directory.filters import ListingFilterSet
from directory.search import geo, listings


def _filterset(request: HttpRequest) -> ListingFilterSet:
    return ListingFilterSet(request.GET, queryset=selectors.published_listings())


def find(request: HttpRequest) -> HttpResponse:
    filterset = _filterset(request)
    query = filterset.to_query()
    result = listings.search_listings(query, now=timezone.now())
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "query": query,
        "result": result,
        "active_filters": selectors.active_filters(query, result),
        "radius_choices": geo.RADIUS_CHOICES,
        "default_radius": geo.DEFAULT_RADIUS,
        "sort_choices": listings.SORT_CHOICES,
        "invalid_fields": sorted(filterset.form.errors),
    }
    return render(request, "directory/resource_list.html", context)


def find_print(request: HttpRequest) -> HttpResponse:
    filterset = _filterset(request)
    query = filterset.to_query()
    items, origin = listings.listings_for_export(query, now=timezone.now())
    context = {"items": items, "origin": origin, "query": query, "printed_at": timezone.now()}
    return render(request, "directory/resource_print.html", context)


def find_calendar(request: HttpRequest) -> HttpResponse:
    from directory.feeds.ical import build_calendar

    filterset = _filterset(request)
    items, _ = listings.listings_for_export(filterset.to_query(), now=timezone.now())
    body = build_calendar(
        items, name="Peer support meetings", base_url=request.build_absolute_uri("/").rstrip("/")
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peer-support-search.ics"'
    return response


def resource_detail(request: HttpRequest, slug: str) -> HttpResponse:
    resource = selectors.published_listing(slug)
    if resource is None:
        raise Http404("No published listing with that address.")
    now = timezone.now()
    visitor_tz = selectors.visitor_time_zone(request)
    context = {
        "resource": resource,
        "schedules": selectors.schedule_rows(resource, now),
        "next_start": selectors.next_meeting(resource, now),
        "visitor_tz": visitor_tz,
        "directions_url": selectors.directions_url(resource.location),
    }
    return render(request, "directory/resource_detail.html", context)
