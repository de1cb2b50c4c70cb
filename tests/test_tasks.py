"""Work that leaves the request path: the request queues a task, the worker does it.

The production arrangement runs here in separate processes on a throwaway SQLite database:
one serves a request (with the database task backend), another is ``manage.py db_worker``.
Curator e-mail: development's mailer prints e-mails, so each process's output shows whether
it sent one. A changed /meetings.json: the web process serves the last file and queues the
rebuild, which the worker does (issue 22: builds kept memory in the web workers).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from directory.models import Submission
from directory.submissions.curator_mail import send_curator_notification
from tests.process_helpers import clean_environment

ROOT = Path(__file__).resolve().parent.parent

SUGGEST = textwrap.dedent(
    """
    import django
    django.setup()
    from django.tasks import task_backends
    from django.test import Client
    from django_tasks_db.models import DBTaskResult
    from directory.models import Submission
    from tests import factories as f

    print("backend:", type(task_backends["default"]).__name__)
    f.support_type(name="12-Step Programs", slug="12-step-programs")
    client = Client(HTTP_HOST="localhost")
    response = client.post("/suggest/", dict(
        name="Harbour Lights", support_type="12-step-programs", attendance="in_person",
        cost="free", address_line1="12 Elm Street", city="Springfield", region="IL",
        country="US", weekday="2", start_time="19:00", timezone="America/Chicago",
        homepage=""))
    print("status:", response.status_code, "submissions:", Submission.objects.count())
    print("queued:", [(t.task_path, t.status, t.args_kwargs) for t in DBTaskResult.objects.all()])
    """
)

# Argument: "first" (a listing, then the first poll), "change" (rename it, then poll) or "poll".
POLL_FEED = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.test import Client
    from django_tasks_db.models import DBTaskResult
    from directory.models import Listing
    from tests.feeds_helpers import weekly_meeting

    step = sys.argv[1]
    if step == "first":
        weekly_meeting(slug="weekly", name="Before")
    elif step == "change":
        listing = Listing.objects.get(slug="weekly")
        listing.name = "After"
        listing.save()
    response = Client(HTTP_HOST="localhost").get("/meetings.json")
    rows = json.loads(b"".join(response.streaming_content))
    print("status:", response.status_code, "etag:", response["ETag"])
    print("names:", [row["name"] for row in rows])
    print("queued:", [(t.task_path, t.status, t.args_kwargs) for t in DBTaskResult.objects.all()])
    """
)


def production_like_env(tmp_path) -> dict[str, str]:
    """Development settings, but tasks queued in the database for ``manage.py db_worker``
    and search indexes and feeds rebuilt in the background, as in production."""
    return clean_environment("DATABASE_") | {
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DIRECTORY_TASKS_BACKEND": "database",
        "DIRECTORY_CURATOR_EMAILS": "curators@directory.example",
        "DIRECTORY_SEARCH_INDEX_SHARE_DIR": "",
        "DIRECTORY_FEED_CACHE_DIR": str(tmp_path / "feeds"),
        "PYTHONPATH": str(ROOT),
    }


def runner(env: dict[str, str]):
    def run(*args):
        result = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout + result.stderr

    return run


def test_the_request_queues_the_e_mail_and_the_worker_sends_it(tmp_path):
    run = runner(production_like_env(tmp_path))
    run("manage.py", "migrate", "--noinput")
    served = run("-c", SUGGEST)
    assert "backend: DatabaseBackend" in served
    assert "status: 302 submissions: 1" in served
    assert (
        "directory.submissions.curator_mail.send_curator_notification" in served
        and "READY" in served
    )
    assert "Subject:" not in served, "no e-mail is sent while the visitor waits"

    worked = run("manage.py", "db_worker", "--batch", "--no-startup-delay")
    assert "Subject: [Peer Support Directory] New listing: Harbour Lights" in worked
    assert "To: curators@directory.example" in worked
    assert "http://localhost/admin/directory/submission/1/change/" in worked
    again = run("manage.py", "db_worker", "--batch", "--no-startup-delay")
    assert "Subject:" not in again, "sent once"


def test_a_changed_feed_is_served_from_the_last_file_and_rebuilt_by_the_worker(tmp_path):
    env = production_like_env(tmp_path)
    run = runner(env)
    run("manage.py", "migrate", "--noinput")

    first = run("-c", POLL_FEED, "first")  # no file yet: built for this first poller
    assert "status: 200" in first and "names: ['Before']" in first and "queued: []" in first
    etag = re.search(r"etag: (\S+)", first).group(1)

    changed = run("-c", POLL_FEED, "change")
    assert f"etag: {etag}" in changed and "names: ['Before']" in changed  # the last file
    assert changed.count("directory.feeds.published.build_feed") == 1
    assert "'READY'" in changed and "['meetings', 'http://localhost']" in changed
    assert "feed meetings built" not in changed, "no build in the web process"
    again = run("-c", POLL_FEED, "poll")
    assert f"etag: {etag}" in again
    assert again.count("directory.feeds.published.build_feed") == 1, "queued once"

    worked = run("manage.py", "db_worker", "--batch", "--no-startup-delay")
    assert "feed meetings built" in worked
    rebuilt = run("-c", POLL_FEED, "poll")
    assert f"etag: {etag}" not in rebuilt and "names: ['After']" in rebuilt
    assert "'SUCCESSFUL'" in rebuilt and "'READY'" not in rebuilt


@pytest.mark.django_db
def test_development_and_tests_run_the_task_at_once():
    assert settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")
    result = send_curator_notification.enqueue(12345, "")
    assert result.status == "SUCCESSFUL" and result.return_value is False  # no such submission
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_tasks_queued_under_their_first_names_still_run():
    """Rows queued before the tasks moved beside their work name ``directory.tasks.…``: the
    worker still finds a task there, and it does the moved task's work."""
    from directory import tasks as first_names

    assert first_names.send_curator_notification.module_path == (
        "directory.tasks.send_curator_notification"
    )
    result = first_names.send_curator_notification.enqueue(12345, "")
    assert result.status == "SUCCESSFUL" and result.return_value is False
    assert first_names.run_feed_job.enqueue(999_999).return_value == "not queued"
    with pytest.raises(ValueError, match="no published feed named 'nonsense'"):
        first_names.build_feed.call("nonsense", "")
