"""Meeting Guide feeds the directory imports from, each run's result, and where each listing came
from. The import itself is ``directory.services.meeting_guide_import``."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields
from directory.models.listings import Resource
from directory.models.organizations import Organization
from directory.models.taxonomy import SupportType
from directory.validators import validate_time_zone


class FeedSourceQuerySet(models.QuerySet):
    def with_last_status(self):
        """Each source annotated with ``last_status``: its latest saved run's (ok / failed)."""
        latest = FeedRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-pk")
        return self.annotate(last_status=Subquery(latest.values("status")[:1]))

    def failing(self):
        """Enabled sources whose latest run failed (the admin dashboard counts these)."""
        return (
            self.filter(enabled=True).with_last_status().filter(last_status=FeedRun.Status.FAILED)
        )


class FeedSource(ConstraintErrorsOnFields, models.Model):
    """An intergroup's Meeting Guide feed (``meetings.json``): a URL, a server path or an upload."""

    name = models.CharField(max_length=200)
    url = models.CharField(
        "feed URL or file",
        max_length=500,
        blank=True,
        help_text="An http(s) URL of the meetings.json feed, or a path on the server.",
    )
    uploaded_feed = models.TextField(
        blank=True,
        editable=False,
        help_text="The JSON of an uploaded feed file, used when there is no URL.",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="feed_sources"
    )
    support_type = models.ForeignKey(
        SupportType,
        on_delete=models.PROTECT,
        related_name="feed_sources",
        help_text="Support type of the listings this feed creates.",
    )
    fallback_timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA zone for meetings whose zone is not given and cannot be inferred from "
        "their coordinates or town, e.g. America/Chicago.",
    )
    enabled = models.BooleanField(default=True, help_text="sync_feeds runs enabled sources.")
    archive_after_runs = models.PositiveSmallIntegerField(
        default=2,
        help_text="Archive a meeting after it has been missing from this many successful runs.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedSourceQuerySet.as_manager()

    constraint_error_fields = {
        "feedsource_has_feed": "url",
        "feedsource_archive_after_positive": "archive_after_runs",
    }

    class Meta:
        verbose_name = _("feed source")
        verbose_name_plural = _("feed sources")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(uploaded_feed=""),
                name="feedsource_has_feed",
                violation_error_code="feed_missing",
                violation_error_message="Give the feed's address or upload its file.",
            ),
            models.CheckConstraint(
                condition=Q(archive_after_runs__gte=1),
                name="feedsource_archive_after_positive",
                violation_error_code="archive_after_too_small",
                violation_error_message="Archive a meeting after at least one run without it.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def last_run(self) -> FeedRun | None:
        return self.runs.order_by("-started_at", "-pk").first()

    def last_successful_run(self) -> FeedRun | None:
        return self.runs.filter(status=FeedRun.Status.OK).order_by("-started_at", "-pk").first()


class FeedRun(ConstraintErrorsOnFields, models.Model):
    """One (non-dry) run of a source: what it changed, what it skipped and why it failed."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(FeedSource, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True, help_text="Why the run failed (nothing was changed).")
    rows = models.PositiveIntegerField(default=0, help_text="Rows in the feed.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)
    restored = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # {"skipped": {message: [{"row": 3, "name": ..., "slug": ...}, ...]}, "warnings": {...}}
    report = models.JSONField(default=dict, blank=True)
    triggered_by = models.CharField(max_length=100, blank=True)

    constraint_error_fields = {"feedrun_status_known": "status"}

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "-started_at"], name="feedrun_source_started")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["ok", "failed"]),
                name="feedrun_status_known",
                violation_error_code="status_unknown",
                violation_error_message="A run either worked or failed.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} at {self.started_at:%Y-%m-%d %H:%M}: {self.get_status_display()}"


class FeedJobQuerySet(models.QuerySet):
    def active(self):
        """Queued or running, and recent enough to be alive (a worker that died leaves its
        job running for ever: after STALE_AFTER it no longer counts)."""
        since = timezone.now() - FeedJob.STALE_AFTER
        return self.filter(
            state__in=[FeedJob.State.QUEUED, FeedJob.State.RUNNING], created_at__gte=since
        )


class FeedJob(models.Model):
    """A preview or a run a staff member asked for in admin, done by the task worker, off the
    request path (directory/tasks.py): the page polls it until it is done."""

    STALE_AFTER = dt.timedelta(minutes=10)

    class Kind(models.TextChoices):
        PREVIEW = "preview", "Preview (dry run)"
        RUN = "run", "Run"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Fetching and reading"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(FeedSource, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    # RunResult.report() with its "groups" as the page shows them.
    result = models.JSONField(default=dict, blank=True)

    objects = FeedJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="feedjob_state_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.source}: {self.get_state_display()}"

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}


class FeedListing(ConstraintErrorsOnFields, models.Model):
    """Where an imported listing came from: one row of one source, keyed by the feed's slug.

    A listing belongs to at most one source row, and a source only ever updates its own rows,
    so two feeds that both use ``speaker-meeting`` get two listings.
    """

    source = models.ForeignKey(FeedSource, on_delete=models.CASCADE, related_name="listings")
    feed_slug = models.CharField(max_length=255)
    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="feed_origin")
    feed_url = models.URLField("meeting's page at the source", max_length=2048, blank=True)
    feedback_url = models.URLField("source's report link", max_length=2048, blank=True)
    missing_runs = models.PositiveSmallIntegerField(
        default=0, help_text="Successful runs in a row this meeting was missing from."
    )
    archived_by_feed = models.BooleanField(
        default=False, help_text="Archived because it left the feed; restored if it comes back."
    )

    constraint_error_fields = {"feedlisting_source_slug": "feed_slug"}

    class Meta:
        ordering = ["source", "feed_slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "feed_slug"],
                name="feedlisting_source_slug",
                violation_error_code="feed_slug_taken",
                violation_error_message="This source already has a meeting with that feed slug.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.feed_slug}"
