"""Feed sources in admin: add an intergroup's feed by URL or upload, run it, preview a dry run,
and read each run's counts, warnings and skips."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from directory.admin.dashboard import DashboardItem, register
from directory.admin.scoping import ScopedModelAdmin
from directory.meeting_guide.jobs import TooManyJobs, request_job
from directory.meeting_guide.reading import MAX_BYTES, FeedReadError, parse_feed
from directory.meeting_guide.report import describe_entry, report_groups
from directory.models import FeedJob, FeedRun, FeedSource
from directory.services.fetching import FetchError, check_url

RECENT_RUNS = 10


class FeedSourceForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        label=_("or upload a feed file"),
        help_text=_(
            "A meetings.json file, used when there is no URL (replaces an earlier upload)."
        ),
    )

    class Meta:
        model = FeedSource
        fields = [
            "name",
            "url",
            "upload",
            "organization",
            "support_type",
            "fallback_timezone",
            "enabled",
            "archive_after_runs",
        ]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 50 MB."))
        raw = upload.read()
        try:
            parse_feed(raw, "The file")
        except FeedReadError as error:
            raise forms.ValidationError(str(error)) from None
        return raw.decode("utf-8-sig")

    def clean_url(self):
        url = (self.cleaned_data.get("url") or "").strip()
        if not url or url == self.instance.url:
            return url  # server paths come from the command line, which staff cannot reach
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(
                gettext("Give the feed's http(s) URL (or upload its file).")
            )
        # For curators too: the server fetching an internal address is a hole whoever asks.
        # Operators allow a private feed in settings (DIRECTORY_FETCH_ALLOWED_HOSTS/_NETWORKS).
        # Each fetch checks again: a name can point elsewhere tomorrow.
        try:
            check_url(url)
        except FetchError as error:
            raise forms.ValidationError(str(error)) from None
        return url

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("url") or ""
        if not url and not cleaned.get("upload") and not self.instance.uploaded_feed:
            raise forms.ValidationError(gettext("Give the feed's URL or upload its file."))
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("upload"):
            self.instance.uploaded_feed = self.cleaned_data["upload"]
        return super().save(commit)


def _report_html(run: FeedRun):
    groups = [
        format_html(
            "<details><summary>{}: {} ({})</summary><ul>{}</ul>{}</details>",
            title,
            reason,
            count,
            format_html_join("", "<li>{}</li>", ((describe_entry(i),) for i in items)),
            _more(count, items),
        )
        for title, reason, count, items in report_groups(run.report or {})
    ]
    return format_html_join("", "{}", ((group,) for group in groups))


def _more(count: int, items: list) -> str:
    if count <= len(items):
        return ""
    more = count - len(items)
    return ngettext("… and %(count)s more", "… and %(count)s more", more) % {"count": f"{more:,}"}


class LastRunFilter(admin.SimpleListFilter):
    title = _("last run")
    parameter_name = "last_run"

    def lookups(self, request, model_admin):
        return [("failed", gettext("Failed (enabled sources)"))]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.failing()
        return queryset


# The admin index's "Needs attention" panel counts what this filter lists.
register(
    DashboardItem(
        key="feeds_failed",
        label=_("feed sources whose last import failed"),
        model=FeedSource,
        query="last_run=failed",
        queryset=lambda qs, now: qs.failing(),
        tone="urgent",
    )
)


@admin.register(FeedSource)
class FeedSourceAdmin(ScopedModelAdmin):
    organization_path = "organization"
    form = FeedSourceForm
    change_form_template = "admin/directory/feedsource/change_form.html"
    list_display = ["name", "organization", "enabled", "last_status", "last_run_at", "listings"]
    list_filter = ["enabled", LastRunFilter, "support_type"]
    search_fields = ["name", "url", "organization__name"]
    autocomplete_fields = ["organization"]
    list_select_related = ["organization"]
    readonly_fields = ["recent_runs", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "url", "upload", "organization", "support_type"]}),
        (_("Import rules"), {"fields": ["fallback_timezone", "enabled", "archive_after_runs"]}),
        (_("Runs"), {"fields": ["recent_runs", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        latest = FeedRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-pk")
        return (
            super()
            .get_queryset(request)
            # An upload can be tens of MB: loaded only where it is used, never for a list.
            .defer("uploaded_feed")
            .with_last_status()
            .annotate(
                last_started_at=Subquery(latest.values("started_at")[:1]),
                listing_count=Count("listings", distinct=True),
            )
        )

    @admin.display(description=_("last run"))
    def last_status(self, obj):
        if obj.last_status == "ok":
            return gettext("OK")
        if obj.last_status == "failed":
            return gettext("Failed")
        return gettext("never run")

    @admin.display(description=_("last run at"), ordering="last_started_at")
    def last_run_at(self, obj):
        return obj.last_started_at

    @admin.display(description=_("listings"), ordering="listing_count")
    def listings(self, obj):
        return obj.listing_count

    @admin.display(description=_("recent runs"))
    def recent_runs(self, obj):
        runs = list(obj.runs.all()[:RECENT_RUNS]) if obj.pk else []
        if not runs:
            return gettext("No runs yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{run.started_at:%Y-%m-%d %H:%M}",
                    run.get_status_display(),
                    run.error or _run_counts(run),
                    run.triggered_by,
                    _report_html(run),
                )
                for run in runs
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            pgettext("feed run column", "started"),
            pgettext("feed run column", "status"),
            pgettext("feed run column", "result"),
            pgettext("feed run column", "by"),
            pgettext("feed run column", "warnings and skips"),
            rows,
        )

    # --- run and preview ------------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "<path:object_id>/run/",
                self.admin_site.admin_view(self.run_view),
                name=f"{name}_run",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{name}_preview",
            ),
            path(
                "<path:object_id>/jobs/<int:job_id>/",
                self.admin_site.admin_view(self.job_view),
                name=f"{name}_job",
            ),
            *super().get_urls(),
        ]

    def _source_for_action(self, request, object_id) -> FeedSource:
        if request.method != "POST":
            raise _NotPost
        source = self.get_object(request, object_id)  # 404 outside the user's organisations
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        return source

    def run_view(self, request, object_id):
        return self._request_job(request, object_id, FeedJob.Kind.RUN)

    def preview_view(self, request, object_id):
        return self._request_job(request, object_id, FeedJob.Kind.PREVIEW)

    def _request_job(self, request, object_id, kind: str):
        """Queue the fetch for the task worker and show its page (issue 22: never in the
        request, at most DIRECTORY_FEED_JOBS_AT_ONCE at a time)."""
        try:
            source = self._source_for_action(request, object_id)
        except _NotPost:
            return HttpResponseNotAllowed(["POST"])
        opts = self.model._meta
        try:
            job = request_job(source, kind, f"admin: {request.user.get_username()}")
        except TooManyJobs:
            at_once = settings.DIRECTORY_FEED_JOBS_AT_ONCE
            text = ngettext(
                "%(count)s feeds are being fetched already: try again in a minute.",
                "%(count)s feeds are being fetched already: try again in a minute.",
                at_once,
            )
            self.message_user(request, text % {"count": at_once}, messages.WARNING)
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[source.pk])
            )
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_job", args=[source.pk, job.pk])
        )

    def job_view(self, request, object_id, job_id):
        source = self.get_object(request, object_id)  # None outside the user's organisations
        if source is None or not self.has_view_permission(request, source):
            raise Http404("No such feed source.")
        job = get_object_or_404(FeedJob, pk=job_id, source=source)
        groups = [
            (title, reason, count, items, _more(count, items))
            for title, reason, count, items in (job.result or {}).get("groups", [])
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": source,
            "title": _job_title(job, source),
            "job": job,
            "groups": groups,
        }
        return TemplateResponse(request, "admin/directory/feedsource/job.html", context)


class _NotPost(Exception):
    pass


def _run_counts(run: FeedRun) -> str:
    return gettext(
        "%(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
        "%(archived)s archived, %(restored)s restored, %(skipped)s skipped"
    ) % {
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "archived": run.archived,
        "restored": run.restored,
        "skipped": run.skipped,
    }


def _job_title(job: FeedJob, source: FeedSource) -> str:
    """The job page's title, one whole phrase per kind of job."""
    if job.kind == FeedJob.Kind.PREVIEW:
        return gettext("Preview (dry run) of %(source)s") % {"source": source}
    return gettext("Run of %(source)s") % {"source": source}
