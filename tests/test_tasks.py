"""Curator e-mail leaves the request path: the request queues a task, the worker sends it.

The production arrangement runs here in separate processes on a throwaway SQLite database:
one serves a suggestion (with the database task backend), another is ``manage.py db_worker``.
Development's mailer prints e-mails, so each process's output shows whether it sent one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from directory.models import Submission
from directory.tasks import send_curator_notification

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


def test_the_request_queues_the_e_mail_and_the_worker_sends_it(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DIRECTORY_", "REDIS_", "PYTEST", "DATABASE_"))
    } | {
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DIRECTORY_TASKS_BACKEND": "database",
        "DIRECTORY_CURATOR_EMAILS": "curators@directory.example",
        "DIRECTORY_SEARCH_INDEX_SHARE_DIR": "",
        "PYTHONPATH": str(ROOT),
    }

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

    run("manage.py", "migrate", "--noinput")
    served = run("-c", SUGGEST)
    assert "backend: DatabaseBackend" in served
    assert "status: 302 submissions: 1" in served
    assert "directory.tasks.send_curator_notification" in served and "READY" in served
    assert "Subject:" not in served, "no e-mail is sent while the visitor waits"

    worked = run("manage.py", "db_worker", "--batch", "--no-startup-delay")
    assert "Subject: [Peer Support Directory] New listing: Harbour Lights" in worked
    assert "To: curators@directory.example" in worked
    assert "http://localhost/admin/directory/submission/1/change/" in worked
    again = run("manage.py", "db_worker", "--batch", "--no-startup-delay")
    assert "Subject:" not in again, "sent once"


@pytest.mark.django_db
def test_development_and_tests_run_the_task_at_once():
    assert settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")
    result = send_curator_notification.enqueue(12345, "")
    assert result.status == "SUCCESSFUL" and result.return_value is False  # no such submission
    assert not Submission.objects.exists()
