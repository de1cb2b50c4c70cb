"""sitemap.xml: every public page, in sections of at most 50,000 URLs (Django's sitemaps).

``django.contrib.sitemaps`` does not need to be an installed app: its views work with any
template, and ours live in ``templates/feeds/``. Without ``django.contrib.sites`` the views
build absolute URLs from the request's host.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import NoReverseMatch, reverse

from directory.models import GuideSection, PeerWorker, Resource, SupportType


class ResourceSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Resource.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, resource: Resource):
        return resource.updated_at


class SupportTypeSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.7

    def items(self):
        return SupportType.objects.order_by("position", "pk")


class GuideSectionSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return GuideSection.objects.order_by("position", "pk")


class PeerWorkerSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return PeerWorker.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, worker: PeerWorker):
        return worker.updated_at


class PageSitemap(Sitemap):
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
    "resources": ResourceSitemap,
    "support-types": SupportTypeSitemap,
    "guide": GuideSectionSitemap,
    "peer-workers": PeerWorkerSitemap,
}
