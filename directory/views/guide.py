"""The article as guidance (/learn/) and the support-type pages. Thin: selectors query."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from directory import selectors
from directory.models import GuideSection


def guide_index(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/guide_index.html", {"sections": selectors.guide_sections()})


def guide_section(request: HttpRequest, slug: str) -> HttpResponse:
    section = selectors.guide_section(slug)
    if section is None:
        raise Http404("No guide section with that address.")
    if section.kind == GuideSection.Kind.QUALIFIED_WORKER:
        # One page for the qualified-worker guidance: the checklist page shows this section.
        return redirect("directory:guide-checklist")
    sections = selectors.guide_sections()
    index = next(i for i, s in enumerate(sections) if s.pk == section.pk)
    context = {
        "section": section,
        "previous_section": sections[index - 1] if index > 0 else None,
        "next_section": sections[index + 1] if index + 1 < len(sections) else None,
        "support_types": (
            selectors.support_types() if section.kind == GuideSection.Kind.TYPES else []
        ),
    }
    return render(request, "directory/guide_section.html", context)


def guide_faq(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/guide_faq.html", {"faqs": selectors.faq_entries()})


def guide_checklist(request: HttpRequest) -> HttpResponse:
    context = {
        "section": selectors.guide_section_of_kind(GuideSection.Kind.QUALIFIED_WORKER),
        "checklist": selectors.checklist_items(),
    }
    return render(request, "directory/guide_checklist.html", context)


def support_type_list(request: HttpRequest) -> HttpResponse:
    context = {
        "support_types": selectors.support_types(),
        "types_section": selectors.guide_section_of_kind(GuideSection.Kind.TYPES),
    }
    return render(request, "directory/supporttype_list.html", context)


def support_type_detail(request: HttpRequest, slug: str) -> HttpResponse:
    support_type = selectors.support_type_by_slug(slug)
    if support_type is None:
        raise Http404("No support type with that address.")
    family_section = None
    if support_type.slug == "family-and-friends":
        family_section = selectors.guide_section_of_kind(GuideSection.Kind.FAMILY)
    context = {
        "support_type": support_type,
        # The summary is often the body's first sentence: show it as a lead only if it is not.
        "show_summary": bool(support_type.summary)
        and not support_type.body.startswith(support_type.summary),
        "fellowships": selectors.national_fellowships(support_type),
        "listings": selectors.recently_verified_listings(support_type),
        "family_section": family_section,
    }
    return render(request, "directory/supporttype_detail.html", context)
