from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import cache_control

from directory import selectors
from directory.search import listings


def home(request: HttpRequest) -> HttpResponse:
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
