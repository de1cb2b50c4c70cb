"""Pages, JSON and calendars are gzipped for clients that accept it; static files keep
WhiteNoise's own precompressed, fingerprinted, far-future-cached copies."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from directory.models import SupportType
from tests import factories as f
from tests.process_helpers import clean_environment

ROOT = Path(__file__).resolve().parent.parent
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}


@pytest.fixture
def listings(db):
    SupportType.objects.get_or_create(slug="12-step-programs", defaults={"name": "12-Step"})
    made = []
    for i in range(30):
        listing = f.listing(
            name=f"Hope & Serenity Group {i}",
            description="A friendly open meeting — newcomers welcome. " * 3,
            attendance="online",
        )
        f.schedule(listing)
        made.append(listing)
    return made


def test_find_is_gzipped_when_the_client_accepts_it(client, listings):
    plain = client.get("/find/")
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]  # caches keep the two apart

    zipped = client.get("/find/", **GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert int(zipped.headers["Content-Length"]) == len(zipped.content)
    html = gzip.decompress(zipped.content).decode()
    assert html.count("Hope &amp; Serenity Group") >= 10 and html.rstrip().endswith("</html>")
    assert len(zipped.content) < len(plain.content) / 4


def test_a_client_without_gzip_gets_identity(client, listings):
    response = client.get("/find/", HTTP_ACCEPT_ENCODING="identity")
    assert "Content-Encoding" not in response.headers
    assert b"Hope &amp; Serenity Group" in response.content


def test_the_meeting_feed_is_sent_gzipped_from_its_built_file(client, listings):
    """Built once per data version, compressed (directory/feeds/published.py): sent as it is,
    with its length."""
    response = client.get("/meetings.json", **GZIP)
    assert response.streaming
    assert response.headers["Content-Encoding"] == "gzip"
    body = b"".join(response.streaming_content)
    assert int(response.headers["Content-Length"]) == len(body)
    feed = json.loads(gzip.decompress(body))
    assert len(feed) == 30


@pytest.mark.parametrize("url", ["/find/calendar.ics", "/hsds/services", "/learn/"])
def test_calendars_json_and_pages_are_gzipped(client, listings, url):
    response = client.get(url, **GZIP)
    assert response.status_code == 200, url
    assert response.headers["Content-Encoding"] == "gzip", url
    body = gzip.decompress(response.content)
    if url.endswith(".ics"):
        assert body.startswith(b"BEGIN:VCALENDAR")
    elif url.startswith("/hsds/"):
        assert json.loads(body)["total_items"] == 30


def test_production_static_files_are_fingerprinted_precompressed_and_cached_for_ever(tmp_path):
    """collectstatic as the image builds it, then WhiteNoise serving a stylesheet."""
    env = clean_environment() | {
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": "",
    }
    build = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    served = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django, json; django.setup()\n"
            "from django.templatetags.static import static\n"
            "from django.test import Client\n"
            "url = static('css/site.css')\n"
            "r = Client().get(url, HTTP_ACCEPT_ENCODING='gzip', secure=True,"
            " HTTP_HOST='directory.example')\n"
            "print(json.dumps({'url': url, 'status': r.status_code, **dict(r.headers)}))",
        ],
        cwd=ROOT,
        env=env
        | {
            "DJANGO_SECRET_KEY": "k3y-Zq8vP0aL7sX2mN5bR9tW1cY4dF6gH8jK0lQ3eU7iO2pA5sD",
            "DJANGO_ALLOWED_HOSTS": "directory.example",
            "DIRECTORY_RATELIMIT_LOCAL_CACHE": "true",
            "DIRECTORY_EMAIL_DISABLED": "true",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert served.returncode == 0, served.stderr
    headers = json.loads(served.stdout.strip().splitlines()[-1])
    assert headers["status"] == 200
    name = headers["url"].rsplit("/", 1)[-1]
    assert name.startswith("site.") and name.endswith(".css") and len(name) > len("site..css") + 8
    assert headers["Content-Encoding"] in {"gzip", "br"}
    assert "immutable" in headers["Cache-Control"]
    assert int(headers["Cache-Control"].split("max-age=")[1].split(",")[0]) >= 365 * 24 * 3600
    assert (tmp_path / "static" / "css" / f"{name}.gz").exists()
