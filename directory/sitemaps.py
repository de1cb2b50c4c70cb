"""sitemap.xml: every public page, in sections of at most 50,000 URLs (Django's sitemaps).

``django.contrib.sitemaps`` does not need to be an installed app: its views work with any
template, and ours live in ``templates/feeds/``. Without ``django.contrib.sites`` the views
build absolute URLs from the request's host.

Every page is listed once per language, each entry with ``hreflang`` links to the others and
an ``x-default`` (the English URL, where the bare root picks by the browser's language).
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import NoReverseMatch, reverse

from directory.models import GuideSection, Listing, PeerWorker, SupportType


class LocalisedSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class ListingSitemap(LocalisedSitemap):
    """(slug, updated) pairs rather than model instances: with a language per entry, Django
    lists every item before paginating, and 100,000 instances would cost a worker ~100 MB."""

    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return list(Listing.objects.published().order_by("pk").values_list("slug", "updated_at"))

    def location(self, item) -> str:
        return reverse("directory:listing-detail", args=[item[0]])

    def lastmod(self, item):
        return item[1]


class SupportTypeSitemap(LocalisedSitemap):
    changefreq = "weekly"
    priority = 0.7

    def items(self):
        return SupportType.objects.order_by("position", "pk")


class GuideSectionSitemap(LocalisedSitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return GuideSection.objects.order_by("position", "pk")


class PeerWorkerSitemap(LocalisedSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return list(PeerWorker.objects.published().order_by("pk").values_list("slug", "updated_at"))

    def location(self, item) -> str:
        return reverse("directory:worker-detail", args=[item[0]])

    def lastmod(self, item):
        return item[1]


class PageSitemap(LocalisedSitemap):
    """Fixed pages; a page whose route is not there (yet) is left out rather than failing."""

    changefreq = "daily"
    priority = 0.5
    names = [
        "directory:home",
        "directory:find",
        "directory:support-type-list",
        "directory:worker-list",
        "directory:guide",
        "directory:guide-faq",
        "directory:guide-checklist",
        "directory:suggest",
    ]

    def items(self):
        found = []
        for name in self.names:
            try:
                reverse(name)
            except NoReverseMatch:
                continue
            found.append(name)
        return found

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {
    "pages": PageSitemap,
    "resources": ListingSitemap,
    "support-types": SupportTypeSitemap,
    "guide": GuideSectionSitemap,
    "peer-workers": PeerWorkerSitemap,
}
