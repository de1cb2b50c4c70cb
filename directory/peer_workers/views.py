"""Public peer-worker directory. Thin: the form validates, the selectors query."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from directory.edge import ignored_parameters
from directory.peer_workers import search as workers
from directory.search import geo
from directory.search.facets import with_toggle_urls
from directory.search.forms import WorkerSearchForm


def worker_list(request: HttpRequest) -> HttpResponse:
    form = WorkerSearchForm(request.GET)
    query = form.to_query()
    result = workers.search_workers(query, today=timezone.localdate())
    with_toggle_urls(result.facets, request.GET)
    context = {
        "query": query,
        "result": result,
        "radius_options": geo.radius_options(query.radius),
        "invalid_fields": sorted(
            set(form.errors) | (set(ignored_parameters(request)) & set(form.fields))
        ),
    }
    return render(request, "directory/peerworker_list.html", context)


def worker_detail(request: HttpRequest, slug: str) -> HttpResponse:
    worker = workers.published_worker(slug, timezone.localdate())
    if worker is None:
        raise Http404("No published peer worker with that address.")
    context = {"worker": worker}
    return render(request, "directory/peerworker_detail.html", context)
