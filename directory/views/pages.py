from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from directory import selectors
from directory.search import listings


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "support_types": selectors.support_types(),
        "starting_soon": listings.online_starting_soon(timezone.now()),
        "visitor_tz": selectors.visitor_time_zone(request),
    }
    return render(request, "directory/home.html", context)
