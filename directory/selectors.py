"""Read queries. Views call these; they never build querysets themselves."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import CrisisLine, Feature, Listing, PeerWorker, SupportType


def visitor_country(request: HttpRequest) -> str:
    """The visitor's country for crisis lines: ?country=, else the region of the most preferred
    language in the browser's Accept-Language header that names one ("en-GB" → GB), else the
    site's default country.

    The header is read as LocaleMiddleware reads it (preferences in order of their q values)
    and each tag is parsed by Babel. A page's crisis lines therefore vary with that header: its
    response must carry ``Vary: Accept-Language`` (the page's language comes from its URL, not
    from this header; only the crisis lines do).
    """
    from babel.core import parse_locale
    from django.utils.translation.trans_real import parse_accept_lang_header

    chosen = request.GET.get("country", "")
    if len(chosen) == 2 and chosen.isalpha():
        return chosen.upper()
    request.reads_accept_language = True  # the response varies with it (edge.VaryOnAcceptLanguage)
    # Django bounds the header's length; "en_GB" (seen in the wild) is read as "en-GB".
    header = request.headers.get("Accept-Language", "").replace("_", "-")
    for tag, _quality in parse_accept_lang_header(header):
        try:
            region = parse_locale(tag.replace("-", "_"))[1]
        except ValueError:  # "*" or not a language tag
            continue
        if region and len(region) == 2 and region.isalpha():
            return region.upper()
    return settings.DIRECTORY_DEFAULT_COUNTRY


def crisis_lines_for(country: str) -> list[CrisisLine]:
    lines = list(CrisisLine.objects.filter(country=country))
    if not lines and country != settings.DIRECTORY_DEFAULT_COUNTRY:
        lines = list(CrisisLine.objects.filter(country=settings.DIRECTORY_DEFAULT_COUNTRY))
    return lines


def demo_data_loaded() -> bool:
    """Whether any demo listing or worker exists (one query on every page)."""
    from django.db import connection

    listings, workers = Listing._meta.db_table, PeerWorker._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {listings} WHERE is_demo = %s) "  # noqa: S608 - our tables
            f"OR EXISTS (SELECT 1 FROM {workers} WHERE is_demo = %s)",
            [True, True],
        )
        return bool(cursor.fetchone()[0])


def support_types() -> list[SupportType]:
    return list(SupportType.objects.all())


def published_listing(slug: str) -> Listing | None:
    return (
        Listing.objects.published()
        .select_related("support_type", "organization", "location")
        .prefetch_related("features__category", "schedules")
        .filter(slug=slug)
        .first()
    )


def visitor_time_zone(request: HttpRequest) -> str:
    from directory.validators import known_time_zones

    chosen = request.GET.get("tz", "")
    return chosen if chosen in known_time_zones() else settings.TIME_ZONE


def visitor_clock(request: HttpRequest):
    """How the page writes times: its language (from the URL, through LocaleMiddleware: the
    active language) on this site's country, never the Accept-Language header, so that one
    URL shows one text. ``request`` is kept for the callers (and a future per-visitor choice)."""
    from directory.scheduling.clock import active_clock

    return active_clock()


def schedule_lines(listing: Listing, now, visitor_zone: str, clock) -> list:
    """The listing's schedules summarised on the visitor's clock (one line per distinct time)."""
    from directory.scheduling.wording import summarise_for_visitor

    return summarise_for_visitor(listing.schedules.all(), now, visitor_zone, clock)


def next_meeting(listing: Listing, now):
    from directory.scheduling import next_start_for_listing

    return next_start_for_listing(listing.schedules.all(), now)


def directions_url(location) -> str:
    """An ordinary link to a map site (nothing is embedded or fetched from our pages)."""
    from urllib.parse import urlencode

    if location is None:
        return ""
    if location.has_coordinates and not location.approximate:
        return "https://www.openstreetmap.org/directions?" + urlencode(
            {"to": f"{location.latitude:.5f},{location.longitude:.5f}"}
        )
    if location.formatted_address:
        return "https://www.openstreetmap.org/search?" + urlencode(
            {"query": location.formatted_address}
        )
    return ""


@dataclass
class ActiveFilter:
    """A filter in force: its label, as visitors read it in their language, the parameters
    that remove it and (set by the view) the link that does."""

    label: str
    params: dict
    url: str = ""


def active_filters(result) -> list[ActiveFilter]:
    """The filters in force, each with the parameters that remove it."""
    query = result.query
    labels = {}
    for facet in result.facets:
        for value in facet.values:
            labels[(facet.name, value.value)] = (facet.legend, value.label)
    active = []
    for name, values in query.selection.items():
        for value in values:
            legend, label = labels.get((name, value), (name, value))
            active.append(
                ActiveFilter(
                    _("%(filter)s: %(value)s") % {"filter": legend, "value": label},
                    {name: [v for v in values if v != value], "page": None},
                )
            )
    if query.q:
        active.append(
            ActiveFilter(
                _("Keyword: %(keyword)s") % {"keyword": query.q}, {"q": None, "page": None}
            )
        )
    if result.origin is not None:
        place = {"place": result.origin.label, "radius": query.radius}
        active.append(
            ActiveFilter(
                (
                    ngettext(
                        "Near %(place)s (within %(radius)s mile)",
                        "Near %(place)s (within %(radius)s miles)",
                        query.radius,
                    )
                    % place
                    if query.radius
                    else _("Near %(place)s") % place
                ),
                {"near": None, "lat": None, "lon": None, "radius": None, "page": None},
            )
        )
    return active


def checklist_items():
    from directory.models import ChecklistItem

    return list(ChecklistItem.objects.all())


# --- Guide (/learn/) and support-type pages -------------------------------------------------


def guide_sections() -> list:
    from directory.models import GuideSection

    return list(GuideSection.objects.all())


def guide_section(slug: str):
    """A guide section with its points, or None."""
    from directory.models import GuideSection

    return GuideSection.objects.prefetch_related("points").filter(slug=slug).first()


def guide_section_of_kind(kind: str):
    """The section the article wrote on one theme (e.g. family and friends), or None."""
    from directory.models import GuideSection

    return GuideSection.objects.filter(kind=kind).first()


def faq_entries() -> list:
    from directory.models import FAQ

    return list(FAQ.objects.all())


def support_type_by_slug(slug: str) -> SupportType | None:
    return SupportType.objects.filter(slug=slug).first()


def national_fellowships(support_type: SupportType) -> list:
    """Real national or online fellowships of a type, listed with their official sites."""
    from directory.models import Organization

    return list(
        Organization.objects.filter(is_national=True, support_types=support_type).order_by("name")
    )


def recently_verified_listings(support_type: SupportType, *, limit: int = 6) -> list[Listing]:
    """The most recently verified published listings of a type (never-verified ones last)."""
    from django.db.models import F, Prefetch

    return list(
        Listing.objects.published()
        .filter(support_type=support_type)
        .select_related("support_type", "location", "organization")
        # Their features for text_language(), in one query rather than one a listing.
        .prefetch_related(Prefetch("features", queryset=Feature.objects.select_related("category")))
        .order_by(F("last_verified_at").desc(nulls_last=True), "name")[:limit]
    )
