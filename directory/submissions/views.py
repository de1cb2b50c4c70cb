"""Public suggestions and reports. Thin: the forms validate, the service stores and notifies.

Abuse protection: CSRF (Django's middleware), a honeypot field, size limits on every field,
and a per-client rate limit on POSTs (directory.ratelimit: counted in the shared cache, with a
stricter per-process fallback while that cache is unavailable).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from directory import selectors
from directory.models import Submission
from directory.ratelimit import submission_limited
from directory.submissions import services as submissions
from directory.submissions.forms import HONEYPOT, SuggestForm
from directory.submissions.report_form import ReportForm


def _refused(request: HttpRequest) -> HttpResponse | None:
    """A rate-limited or honeypot-filled POST gets a clear page and nothing is stored."""
    if submission_limited(request):
        return render(request, "directory/submission_limited.html", status=429)
    if request.POST.get(HONEYPOT):
        return render(request, "directory/submission_refused.html", status=400)
    return None


def _submitted(request: HttpRequest, form, **about) -> HttpResponse:
    """Store a valid form's proposal (``about``: its kind, and the listing it is about) and
    thank the visitor."""
    submissions.submit(
        **about,
        proposed=form.proposal(),
        message=form.cleaned_data["message"],
        reporter_name=form.cleaned_data["reporter_name"],
        reporter_email=form.cleaned_data["reporter_email"],
        admin_url_builder=request.build_absolute_uri,
    )
    return redirect("directory:submission-thanks")


@never_cache
def suggest(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if refused := _refused(request):
            return refused
        form = SuggestForm(request.POST)
        if form.is_valid():
            return _submitted(request, form, kind=Submission.Kind.NEW_LISTING)
    else:
        form = SuggestForm()
    return render(request, "directory/submission_suggest.html", {"form": form})


@never_cache
def listing_report(request: HttpRequest, slug: str) -> HttpResponse:
    listing = selectors.published_listing(slug)
    if listing is None:
        raise Http404("No published listing with that address.")
    if request.method == "POST":
        if refused := _refused(request):
            return refused
        form = ReportForm(request.POST, listing=listing, clock=selectors.visitor_clock(request))
        if form.is_valid():
            return _submitted(request, form, kind=form.cleaned_data["kind"], listing=listing)
    else:
        form = ReportForm(listing=listing, clock=selectors.visitor_clock(request))
    return render(request, "directory/report_form.html", {"form": form, "listing": listing})


def submission_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/submission_thanks.html")
