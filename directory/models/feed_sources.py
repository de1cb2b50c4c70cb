"""Meeting Guide feeds the directory imports from, each run's result, and where each listing came
from. The import itself is ``directory.meeting_guide.importing``."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models.base import ConstraintErrorsOnFields
from directory.models.listings import Listing
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

    name = models.CharField(max_length=200, verbose_name=_("name"))
    url = models.CharField(
        _("feed URL or file"),
        max_length=500,
        blank=True,
        help_text=_("An http(s) URL of the meetings.json feed, or a path on the server."),
    )
    uploaded_feed = models.TextField(
        blank=True,
        editable=False,
        help_text=_("The JSON of an uploaded feed file, used when there is no URL."),
        verbose_name=_("uploaded feed"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="feed_sources",
        verbose_name=_("organization"),
    )
    support_type = models.ForeignKey(
        SupportType,
        on_delete=models.PROTECT,
        related_name="feed_sources",
        help_text=_("Support type of the listings this feed creates."),
        verbose_name=_("support type"),
    )
    fallback_timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "IANA zone for meetings whose zone is not given and cannot be inferred from "
            "their coordinates or town, e.g. America/Chicago."
        ),
        verbose_name=_("fallback time zone"),
    )
    enabled = models.BooleanField(
        default=True, help_text=_("sync_feeds runs enabled sources."), verbose_name=_("enabled")
    )
    archive_after_runs = models.PositiveSmallIntegerField(
        default=2,
        help_text=_("Archive a meeting after it has been missing from this many successful runs."),
        verbose_name=_("archive after runs"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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
                violation_error_message=_("Give the feed's address or upload its file."),
            ),
            models.CheckConstraint(
                condition=Q(archive_after_runs__gte=1),
                name="feedsource_archive_after_positive",
                violation_error_code="archive_after_too_small",
                violation_error_message=_("Archive a meeting after at least one run without it."),
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
        OK = "ok", _("OK")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(
        FeedSource, on_delete=models.CASCADE, related_name="runs", verbose_name=_("source")
    )
    started_at = models.DateTimeField(verbose_name=_("started at"))
    finished_at = models.DateTimeField(verbose_name=_("finished at"))
    status = models.CharField(max_length=10, choices=Status.choices, verbose_name=_("status"))
    error = models.TextField(
        blank=True,
        help_text=_("Why the run failed (nothing was changed)."),
        verbose_name=_("error"),
    )
    rows = models.PositiveIntegerField(
        default=0, help_text=_("Rows in the feed."), verbose_name=_("rows")
    )
    created = models.PositiveIntegerField(default=0, verbose_name=_("created"))
    updated = models.PositiveIntegerField(default=0, verbose_name=_("updated"))
    unchanged = models.PositiveIntegerField(default=0, verbose_name=_("unchanged"))
    archived = models.PositiveIntegerField(default=0, verbose_name=_("archived"))
    restored = models.PositiveIntegerField(default=0, verbose_name=_("restored"))
    skipped = models.PositiveIntegerField(default=0, verbose_name=_("skipped"))
    # {"skipped": {message: [{"row": 3, "name": ..., "slug": ...}, ...]}, "warnings": {...}}
    report = models.JSONField(default=dict, blank=True, verbose_name=_("report"))
    triggered_by = models.CharField(max_length=100, blank=True, verbose_name=_("triggered by"))

    constraint_error_fields = {"feedrun_status_known": "status"}

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "-started_at"], name="feedrun_source_started")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["ok", "failed"]),
                name="feedrun_status_known",
                violation_error_code="status_unknown",
                violation_error_message=_("A run either worked or failed."),
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
        PREVIEW = "preview", _("Preview (dry run)")
        RUN = "run", pgettext_lazy("feed job kind", "Run")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Fetching and reading")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(
        FeedSource, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("source")
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.QUEUED, verbose_name=_("state")
    )
    requested_by = models.CharField(max_length=100, blank=True, verbose_name=_("requested by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    summary = models.TextField(blank=True, verbose_name=_("summary"))
    # RunResult.report() with its "groups" as the page shows them.
    result = models.JSONField(default=dict, blank=True, verbose_name=_("result"))

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

    source = models.ForeignKey(
        FeedSource, on_delete=models.CASCADE, related_name="listings", verbose_name=_("source")
    )
    feed_slug = models.CharField(max_length=255, verbose_name=_("feed slug"))
    listing = models.OneToOneField(
        Listing, on_delete=models.CASCADE, related_name="feed_origin", verbose_name=_("listing")
    )
    feed_url = models.URLField(_("meeting's page at the source"), max_length=2048, blank=True)
    feedback_url = models.URLField(_("source's report link"), max_length=2048, blank=True)
    missing_runs = models.PositiveSmallIntegerField(
        default=0,
        help_text=_("Successful runs in a row this meeting was missing from."),
        verbose_name=_("missing runs"),
    )
    archived_by_feed = models.BooleanField(
        default=False,
        help_text=_("Archived because it left the feed; restored if it comes back."),
        verbose_name=_("archived by feed"),
    )

    constraint_error_fields = {"feedlisting_source_slug": "feed_slug"}

    class Meta:
        ordering = ["source", "feed_slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "feed_slug"],
                name="feedlisting_source_slug",
                violation_error_code="feed_slug_taken",
                violation_error_message=_("This source already has a meeting with that feed slug."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.feed_slug}"
