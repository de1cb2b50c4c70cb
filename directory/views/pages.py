from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from directory import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/home.html", {"support_types": selectors.support_types()})
