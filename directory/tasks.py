"""Work that leaves the request: Django's tasks framework (settings.TASKS, docs/deploy.md).

Production queues tasks in the database (django-tasks-db) and ``manage.py db_worker`` runs
them (the compose ``worker`` service, which shares the built feeds' directory with the app);
development and tests run them at once, in process.
Arguments are plain ids and strings: a task may run in another process, later.
"""

from __future__ import annotations

from django.tasks import task


@task
def send_curator_notification(submission_id: int, site_root: str = "") -> bool:
    """E-mail the curators about a new submission (a link into admin on ``site_root``)."""
    from directory.models import Submission
    from directory.services.curator_mail import notify_curators

    submission = Submission.objects.select_related("listing").filter(pk=submission_id).first()
    if submission is None:  # deleted before the worker got to it: nothing to say
        return False
    builder = (lambda path: site_root + path) if site_root else None
    return notify_curators(submission, admin_url_builder=builder)


@task
def run_feed_job(job_id: int) -> str:
    """Do a preview or run a staff member asked for (``FeedJob``): fetch and read the feed in
    the worker, never in a web request. Whatever happens, the job ends done or failed."""
    from directory.meeting_guide.jobs import run_feed_job as run

    return run(job_id)


@task
def build_feed(name: str, family: str) -> str:
    """Build the current file of a published feed (``/meetings.json``) for one site root, in
    the worker: web requests serve the last file meanwhile (directory/feeds/published.py)."""
    from directory.feeds import published
    from directory.meeting_guide import export  # noqa: F401 - registers "meetings"

    return published.build_queued(name, family)
