"""Feed sources and the admin's feed jobs: a preview or a run that staff ask for is queued for
the task worker (``request_job``), at most ``DIRECTORY_FEED_JOBS_AT_ONCE`` at a time, and
done there (``run_feed_job``); sources are found or created by their location."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone

from directory.meeting_guide.importing import run_source
from directory.meeting_guide.report import RunResult
from directory.models import (
    FeedJob,
    FeedSource,
)

logger = logging.getLogger(__name__)
FEED_JOBS_LOCK = 7_402_011  # PostgreSQL advisory lock: counting the admin's feed jobs


# ----------------------------------------------------------------------------- admin jobs


class TooManyJobs(Exception):
    """As many fetches as ``DIRECTORY_FEED_JOBS_AT_ONCE`` are under way already."""


def request_job(source: FeedSource, kind: str, requested_by: str) -> FeedJob:
    """Queue a preview or run of ``source`` for the task worker; TooManyJobs when as many as
    ``DIRECTORY_FEED_JOBS_AT_ONCE`` are queued or running (so staff can never fill the worker,
    or — where tasks run in process — the site's own workers)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":  # one request at a time counts (SQLite: always)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_JOBS_LOCK])
        if FeedJob.objects.active().count() >= settings.DIRECTORY_FEED_JOBS_AT_ONCE:
            raise TooManyJobs
        job = FeedJob.objects.create(source=source, kind=kind, requested_by=requested_by[:100])
    run_feed_job.enqueue(job.pk)
    return job


@task
def run_feed_job(job_id: int) -> str:
    """The task: do a preview or run a staff member asked for (``FeedJob``), fetching and
    reading the feed in the worker, never in a web request. Whatever happens, the job ends done
    or failed."""
    claimed = FeedJob.objects.filter(pk=job_id, state=FeedJob.State.QUEUED).update(
        state=FeedJob.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    job = FeedJob.objects.select_related("source").get(pk=job_id)
    try:
        result = run_source(
            job.source,
            dry_run=job.kind == FeedJob.Kind.PREVIEW,
            triggered_by=job.requested_by,
        )
    except Exception as error:  # run_source records its own failures; this is the last net
        logger.exception("feed job %s stopped with an error", job_id)
        result = RunResult(source_name=job.source.name, dry_run=job.kind == FeedJob.Kind.PREVIEW)
        result.failed = f"the job stopped with an error ({type(error).__name__})."
    job.state = FeedJob.State.DONE if result.ok else FeedJob.State.FAILED
    job.finished_at = timezone.now()
    job.summary = result.summary()
    job.result = {"failed": result.failed, "groups": result.groups()}
    job.save(update_fields=["state", "finished_at", "summary", "result"])
    return job.state


# ----------------------------------------------------------------------------- sources


def _normalised(location: str) -> str:
    if location.startswith(("http://", "https://")) or "://" in location:
        return location
    return str(Path(location).resolve())


def find_source(location: str) -> FeedSource | None:
    """The source already reading this URL or server path, if any."""
    return FeedSource.objects.filter(url=_normalised(location)).order_by("pk").first()


def create_source(
    location: str, *, organization, support_type, fallback_timezone: str = "", name: str = ""
) -> FeedSource:
    """A new source for a URL or server path (what the one-off command creates)."""
    location = _normalised(location)
    return FeedSource.objects.create(
        name=(name or location)[:200],
        url=location,
        organization=organization,
        support_type=support_type,
        fallback_timezone=fallback_timezone,
    )
