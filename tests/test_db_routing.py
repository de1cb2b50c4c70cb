"""The replica router: public read-only pages read from the replica, everything else from the
primary; writes always go to the primary."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import RequestFactory

from directory.models import Listing, SearchVersion, Submission
from peersupport.db_routing import PrimaryReplicaRouter, ReplicaReadsMiddleware
from tests.process_helpers import clean_environment

ROOT = Path(__file__).resolve().parent.parent


def aliases_during(request) -> dict[str, str]:
    """Where the router sends reads and writes while the middleware handles ``request``."""
    router = PrimaryReplicaRouter()
    seen = {}

    def view(request):
        seen["listing read"] = router.db_for_read(Listing)
        seen["listing write"] = router.db_for_write(Listing)
        seen["submission write"] = router.db_for_write(Submission)
        seen["search version read"] = router.db_for_read(SearchVersion)
        seen["session read"] = router.db_for_read(Session)
        seen["user read"] = router.db_for_read(get_user_model())
        return None

    ReplicaReadsMiddleware(view)(request)
    return seen


@pytest.mark.parametrize(
    "path", ["/", "/find/?q=hope", "/resources/tuesday/", "/meetings.json", "/hsds/services"]
)
def test_anonymous_public_reads_go_to_the_replica_and_writes_to_the_primary(path):
    seen = aliases_during(RequestFactory().get(path))
    assert seen == {
        "listing read": "replica",
        "listing write": "default",
        "submission write": "default",
        # The index's freshness check and build read the primary (db_routing's docstring).
        "search version read": "default",
        "session read": "default",
        "user read": "default",
    }


@pytest.mark.parametrize(
    "request_",
    [
        RequestFactory().get("/admin/directory/listing/"),
        RequestFactory().get("/suggest/"),
        RequestFactory().post("/suggest/"),
        RequestFactory().get("/resources/tuesday/report/"),
        RequestFactory().post("/find/"),
        RequestFactory().get("/readyz"),
        RequestFactory().post("/csp-report"),
    ],
    ids=lambda r: f"{r.method} {r.path}",
)
def test_admin_forms_and_writes_use_the_primary(request_):
    assert set(aliases_during(request_).values()) == {"default"}


def test_a_signed_in_curator_reads_their_own_writes_from_the_primary():
    request = RequestFactory().get("/resources/tuesday/")
    request.COOKIES["sessionid"] = "x"
    assert aliases_during(request)["listing read"] == "default"


def test_outside_a_request_everything_uses_the_primary():
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Listing) == "default"
    assert router.allow_migrate("replica", "directory") is False
    assert router.allow_migrate("default", "directory") is True


SCRIPT = textwrap.dedent(
    """
    import django, sys
    django.setup()
    from django.conf import settings
    from django.db import connections
    from django.test import Client
    from directory.models import Listing, Submission, SupportType
    from tests import factories as f

    assert settings.DATABASE_ROUTERS == ["peersupport.db_routing.PrimaryReplicaRouter"]
    client = Client(HTTP_HOST="localhost")
    stage = sys.argv[1]
    if stage == "seed":
        SupportType.objects.create(slug="12-step-programs", name="12-Step", position=0)
        f.schedule(f.listing(name="Harbour Lights", slug="harbour-lights"))
    else:
        page = client.get("/resources/harbour-lights/").content.decode()
        print("page:", "Replica Copy" in page, "Harbour Lights" in page)
        data = dict(name="New Group", support_type="12-step-programs", attendance="in_person",
                    cost="free", address_line1="12 Elm Street", city="Springfield",
                    region="IL", country="US", weekday="2", start_time="19:00",
                    timezone="America/Chicago", homepage="")
        client.get("/suggest/")
        response = client.post("/suggest/", data)
        print("post:", response.status_code)
        for alias in ("default", "replica"):
            count = Submission.objects.using(alias).count()
            print(alias, count)
    """
)


def test_a_real_request_reads_the_replica_and_writes_the_primary(tmp_path):
    """Two SQLite files stand in for a primary and its replica (the replica a copy of it)."""
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = clean_environment("DATABASE_") | {
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{primary}",
        "DATABASE_REPLICA_URL": f"sqlite:///{replica}",
        "DIRECTORY_SEARCH_INDEX_SHARE_DIR": "",
        "DIRECTORY_RATELIMIT_ENABLE": "false",
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
        return result.stdout

    run("manage.py", "migrate", "--noinput")
    run("-c", SCRIPT, "seed")
    shutil.copy(primary, replica)  # replication, done by hand
    import sqlite3

    with sqlite3.connect(replica) as db:
        db.execute("UPDATE directory_resource SET name = 'Replica Copy'")
    out = run("-c", SCRIPT, "check").splitlines()
    assert "page: True False" in out, "the public page read the replica"
    assert "post: 302" in out
    assert "default 1" in out and "replica 0" in out, "the suggestion went to the primary"


# --- Stateless web processes ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_csv_import_waits_for_confirmation_in_the_shared_cache_not_on_local_disk(
    admin_client, tmp_path, monkeypatch
):
    """Preview on one replica, confirm on another: the upload must not live on one's disk."""
    import re as re_

    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from directory.admin.importexport import ListingResource
    from tests import factories as f

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # where a local file would go
    f.schedule(f.listing(slug="weekly", name="Weekly Hope"))
    csv = ListingResource().export().csv.replace("weekly", "weekly-copy", 1)
    preview = admin_client.post(
        reverse("admin:directory_listing_import"),
        {
            "format": 0,
            "listing": 0,
            "import_file": SimpleUploadedFile("listings.csv", csv.encode(), "text/csv"),
        },
    )
    html = preview.content.decode()
    name = re_.search(r'name="import_file_name"[^>]*value="([^"]+)"', html)
    name = name or re_.search(r'value="([^"]+)"[^>]*name="import_file_name"', html)
    assert name, html[:3000]
    assert cache.get("django-import-export-" + name.group(1))
    assert not list(tmp_path.iterdir()), "nothing written to the local temp folder"
    fields = dict(re_.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    confirmed = admin_client.post(
        reverse("admin:directory_listing_process_import"),
        {key: fields[key] for key in ("import_file_name", "original_file_name", "format")}
        | {"listing": fields.get("listing", "0")},
    )
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    assert Listing.objects.filter(slug="weekly-copy").exists()
