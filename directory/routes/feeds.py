"""The URLs machines read: the Meeting Guide feed, the HSDS API, robots.txt and the sitemaps
(``feeds:`` names). One URL each, whatever the language: included by peersupport/urls.py
outside ``i18n_patterns``."""

from django.urls import path, re_path

from directory.views import feeds

app_name = "feeds"

hsds_urlpatterns = [
    path("hsds/", feeds.hsds_root, name="hsds-root"),
    path("hsds/profile", feeds.hsds_profile, name="hsds-profile"),
    path("hsds/openapi.json", feeds.hsds_openapi, name="hsds-openapi"),
    path("hsds/services", feeds.hsds_services, name="hsds-services"),
    path("hsds/services/<str:pk>", feeds.hsds_service, name="hsds-service"),
    path("hsds/organizations", feeds.hsds_organizations, name="hsds-organizations"),
    path("hsds/organizations/<str:pk>", feeds.hsds_organization, name="hsds-organization"),
    path("hsds/taxonomies", feeds.hsds_taxonomies, name="hsds-taxonomies"),
    path("hsds/taxonomies/<str:pk>", feeds.hsds_taxonomy, name="hsds-taxonomy"),
    path("hsds/taxonomy_terms", feeds.hsds_taxonomy_terms, name="hsds-taxonomy-terms"),
    path("hsds/taxonomy_terms/<str:pk>", feeds.hsds_taxonomy_term, name="hsds-taxonomy-term"),
    path(
        "hsds/service_at_locations",
        feeds.hsds_service_at_locations,
        name="hsds-service-at-locations",
    ),
    path(
        "hsds/service_at_locations/<str:pk>",
        feeds.hsds_service_at_location,
        name="hsds-service-at-location",
    ),
    # Anything else under /hsds/ is a JSON 404, not the site's HTML page.
    re_path(r"^hsds/(?P<rest>.*)$", feeds.hsds_not_found, name="hsds-not-found"),
]

urlpatterns = [
    path("meetings.json", feeds.meetings_feed, name="meetings-feed"),
    path("robots.txt", feeds.robots_txt, name="robots-txt"),
    path("sitemap.xml", feeds.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", feeds.sitemap_section, name="sitemap-section"),
    *hsds_urlpatterns,
]
