"""URL routes for the guide (/learn/) and the support-type pages."""

from django.urls import path

from directory.views import guide

urlpatterns = [
    path("learn/", guide.guide_index, name="guide"),
    # Fixed pages before the section slug, so "faq" is never taken for a section.
    path("learn/faq/", guide.guide_faq, name="guide-faq"),
    path("learn/choosing-a-peer-worker/", guide.guide_checklist, name="guide-checklist"),
    path("learn/<slug:slug>/", guide.guide_section, name="guide-section"),
    path("support-types/", guide.support_type_list, name="support-type-list"),
    path("support-types/<slug:slug>/", guide.support_type_detail, name="support-type-detail"),
]
