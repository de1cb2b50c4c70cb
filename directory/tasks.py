"""Tasks queued under their first names, before each moved beside its work (2026-12, issue 25).

Work that leaves the request is a task of Django's tasks framework (settings.TASKS,
docs/deploy.md), declared where its work is:

- ``directory.submissions.curator_mail.send_curator_notification``: the curators' e-mail;
- ``directory.meeting_guide.jobs.run_feed_job``: a feed preview or run staff asked for;
- ``directory.feeds.published.build_feed``: a published feed's next file.

Production queues them in the database (django-tasks-db) and ``manage.py db_worker`` runs
them; development and tests run them at once, in process. A task row names its function by
path, so rows queued by the release before the move still name ``directory.tasks.…``: the
three below run them. Delete this module one release after 2026-12.
"""

from __future__ import annotations

from django.tasks import task


@task
def send_curator_notification(submission_id: int, site_root: str = "") -> bool:
    from directory.submissions.curator_mail import send_curator_notification as moved

    return moved.call(submission_id, site_root)


@task
def run_feed_job(job_id: int) -> str:
    from directory.meeting_guide.jobs import run_feed_job as moved

    return moved.call(job_id)


@task
def build_feed(name: str, family: str) -> str:
    from directory.feeds.published import build_feed as moved

    return moved.call(name, family)
