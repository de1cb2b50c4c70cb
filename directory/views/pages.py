from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_control

from directory import selectors
from directory.context_processors import CHOSEN_LANGUAGE
from directory.search import listings


def home(request: HttpRequest) -> HttpResponse:
    chose = CHOSEN_LANGUAGE in request.GET  # the switcher's link: no redirect
    if not chose and translation.get_language_from_path(request.path_info) is None:
        # The bare root is the one URL whose language the browser picks (Accept-Language):
        # a Spanish browser is sent to /es/, with its query string. Every other URL answers
        # in its own language, whatever the browser says.
        preferred = translation.get_language_from_request(request)
        if preferred != settings.LANGUAGE_CODE:
            with translation.override(preferred):
                url = reverse("directory:home")
            query = request.META.get("QUERY_STRING", "")
            response = HttpResponseRedirect(f"{url}?{query}" if query else url)
            patch_vary_headers(response, ["Accept-Language"])
            return response
    context = {
        "support_types": selectors.support_types(),
        "starting_soon": listings.online_starting_soon(timezone.now()),
        "visitor_tz": selectors.visitor_time_zone(request),
    }
    return render(request, "directory/home.html", context)


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send them to the
    mark. Not permanent: the mark's fingerprinted static name changes when it does."""
    return HttpResponseRedirect(static("img/mark.svg"))
