"""Read queries. Views call these; they never build querysets themselves."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from directory.models import CrisisLine, PeerWorker, Resource, SupportType


def visitor_country(request: HttpRequest) -> str:
    """The visitor's country for crisis lines: ?country=, else the browser's language region."""
    chosen = request.GET.get("country", "")
    if len(chosen) == 2 and chosen.isalpha():
        return chosen.upper()
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip()
        if "-" in tag:
            region = tag.split("-")[-1]
            if len(region) == 2 and region.isalpha():
                return region.upper()
    return settings.DIRECTORY_DEFAULT_COUNTRY


def crisis_lines_for(country: str) -> list[CrisisLine]:
    lines = list(CrisisLine.objects.filter(country=country))
    if not lines and country != settings.DIRECTORY_DEFAULT_COUNTRY:
        lines = list(CrisisLine.objects.filter(country=settings.DIRECTORY_DEFAULT_COUNTRY))
    return lines


def demo_data_loaded() -> bool:
    return (
        Resource.objects.filter(is_demo=True).exists()
        or PeerWorker.objects.filter(is_demo=True).exists()
    )


def support_types() -> list[SupportType]:
    return list(SupportType.objects.all())
