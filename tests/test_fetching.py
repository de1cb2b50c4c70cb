"""Feeds that cannot reach inside (issue 22): every way of naming an internal address is
refused before a byte goes to it, redirects are checked like the first URL, a fetch ends at
its deadline and its byte cap, and one bad source never stops the others or answers a 500."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from directory.meeting_guide import importing as meeting_guide_import
from directory.meeting_guide import reading
from directory.models import FeedRun, FeedSource, Listing, Membership
from directory.services import fetching
from directory.services.fetching import FetchError, fetch, is_public
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories
from tests.fetch_helpers import (
    PUBLIC_ADDRESS,
    fake_dns,
    record_connections,
    redirect,
    respond,
    serving,
)

FEED = json.dumps(
    [
        {
            "name": "Came to Believe",
            "slug": "came-to-believe",
            "day": 1,
            "time": "19:30",
            "timezone": "America/Los_Angeles",
            "formatted_address": "100 Main St, San Jose, CA 95112, USA",
        }
    ]
).encode()
NESTED = b"[" * 100_000 + b"]" * 100_000  # json.loads: RecursionError


@pytest.fixture(autouse=True)
def _fetch_settings(settings):
    settings.DIRECTORY_FETCH_ALLOWED_HOSTS = []
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = []
    settings.DIRECTORY_FETCH_DEADLINE_SECONDS = 5
    settings.DIRECTORY_FETCH_MAX_BYTES = 20 * 1024 * 1024
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def inside():
    """What an internal service looks like: a listener on loopback that counts connections."""
    with serving("127.0.0.1", respond(b"[]")) as server:
        yield server


def _loopback_names() -> list[str]:
    """Every name /etc/hosts maps to a loopback address (localhost, and e.g. the container's
    own name)."""
    names = set()
    for line in Path("/etc/hosts").read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            if ipaddress.ip_address(fields[0]).is_loopback:
                names.update(name.lower() for name in fields[1:])
        except ValueError:
            continue
    return sorted(names)


INTERNAL_FORMS = [
    "http://127.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/",  # NAT64
    "http://[2002:7f00:1::1]:{port}/",  # 6to4
    "HTTP://LOCALHOST.:{port}/",
    *(f"http://{name}:{{port}}/" for name in _loopback_names()),
]


@pytest.mark.parametrize("form", INTERNAL_FORMS)
def test_every_form_of_an_internal_address_is_refused_before_connecting(form, inside, monkeypatch):
    connections = record_connections(monkeypatch)
    url = form.format(port=inside.port)
    for check in (fetch, fetching.check_url):
        with pytest.raises(FetchError) as error:
            check(url)
        assert str(error.value) == fetching.NOT_PUBLIC
        assert str(inside.port) not in str(error.value)
    inside.stop()
    assert inside.connections == [] and connections == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://%31%32%37.0.0.1:{port}/", "host name is not valid"),
        ("http://127.0.0.1%2f:{port}/", "host name is not valid"),
        ("http://[::1", "not a valid web address"),
        ("http://[fe80::1%25lo]:{port}/", "host name is not valid"),
        ("http://example.org:99999/", "port is not a number from 1 to 65535"),
        ("http://example.org:0/", "port is not a number from 1 to 65535"),
        ("ftp://127.0.0.1:{port}/", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://127.0.0.1:{port}/_INFO", "Only http:// and https://"),
        ("http://user:secret@127.0.0.1:{port}/", "user name or password"),
        ("http:///feed.json", "no host name"),
        ("http://feeds.example.org/a b", "spaces or control characters"),
    ],
)
def test_urls_that_are_not_plain_web_addresses_say_what_is_wrong(url, message, inside):
    with pytest.raises(FetchError, match=message):
        fetch(url.format(port=inside.port))
    inside.stop()
    assert inside.connections == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("100.127.255.254", False),
        ("0.0.0.0", False),  # noqa: S104 - an address under test, not a bind
        ("224.0.0.1", False),
        ("233.252.0.1", False),  # multicast that is_global calls global
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("198.18.0.1", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fec0::1", False),  # site-local
        ("ff02::1", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::ffff:10.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::a00:1", False),  # local-use NAT64
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
        ("2001:db8::1", False),
    ],
)
def test_what_counts_as_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_a_public_looking_name_that_resolves_inside_is_refused(inside, monkeypatch):
    names = {
        "feeds.example.org": "127.0.0.1",
        "mixed.example.org": [PUBLIC_ADDRESS, "127.0.0.1"],
        # compose's service names, as Docker's DNS answers them
        "db": "172.18.0.2",
        "redis": "172.18.0.3",
        "app": ["172.18.0.4", "fd00:dead:beef::4"],
    }
    fake_dns(monkeypatch, names)
    connections = record_connections(monkeypatch)
    for name in names:
        with pytest.raises(FetchError, match="not on the public internet"):
            fetch(f"http://{name}:{inside.port}/meetings.json")
    inside.stop()
    assert inside.connections == [] and connections == []


def test_a_name_that_does_not_resolve_says_so(monkeypatch):
    with pytest.raises(FetchError, match="host name was not found"):
        fetch("http://no-such-host.invalid/meetings.json")


# ----------------------------------------------------------------------------- redirects


@pytest.fixture
def public_server(settings):
    """A server that counts as public: 127.0.0.2 is on the allow-list, by address. The
    loopback it redirects to (127.0.0.1, localhost, ::1) is not, so a fetch that follows its
    redirect without checking again would reach ``inside``."""
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.2/32"]

    def start(answer):
        return serving("127.0.0.2", answer)

    return start


def test_the_public_server_is_fetched_and_its_redirects_followed(public_server):
    with public_server(respond(FEED)) as target:

        def answer(request):
            path = request.split(b" ", 2)[1]
            if path == b"/start":
                return redirect("/next")(request)
            return redirect(f"{target.url}/meetings.json", "301 Moved Permanently")(request)

        with public_server(answer) as first:
            assert fetch(f"{first.url}/start") == FEED
    assert target.connections[0].startswith(b"GET /meetings.json HTTP/1.1\r\n")
    assert f"Host: 127.0.0.2:{target.port}".encode() in target.connections[0]


@pytest.mark.parametrize(
    ("location", "names"),
    [
        ("http://127.0.0.1:{port}/meetings.json", {}),
        ("http://localhost:{port}/meetings.json", {}),
        ("http://2130706433:{port}/meetings.json", {}),
        ("http://[::1]:{port}/meetings.json", {}),
        ("http://rebound.example.org:{port}/meetings.json", {"rebound.example.org": "127.0.0.1"}),
        ("http://10.20.30.40:{port}/meetings.json", {}),
        ("http://192.168.0.10:{port}/meetings.json", {}),
        ("http://[fd00::1]:{port}/meetings.json", {}),
    ],
)
def test_a_redirect_inside_is_refused_before_connecting(
    location, names, public_server, inside, monkeypatch
):
    fake_dns(monkeypatch, names)
    connections = record_connections(monkeypatch)
    with public_server(redirect(location.format(port=inside.port))) as first:
        with pytest.raises(FetchError) as error:
            fetch(f"{first.url}/meetings.json")
    text = str(error.value)
    assert text == (
        "The feed redirected to an address that was refused: "
        "this address is not on the public internet."
    )
    assert str(inside.port) not in text
    inside.stop()
    assert len(first.connections) == 1
    assert inside.connections == []
    assert connections == [("127.0.0.2", first.port)]  # the first hop only


@pytest.mark.parametrize(
    "location", ["ftp://127.0.0.1:{port}/meetings.json", "file:///etc/passwd", "gopher://x/"]
)
def test_a_redirect_to_another_scheme_is_refused(location, public_server, inside, monkeypatch):
    connections = record_connections(monkeypatch)
    with public_server(redirect(location.format(port=inside.port))) as first:
        with pytest.raises(FetchError, match="refused: only http:// and https://"):
            fetch(first.url)
    inside.stop()
    assert inside.connections == [] and connections == [("127.0.0.2", first.port)]


def test_more_than_five_redirects_are_refused(public_server):
    with public_server(redirect("/again")) as server:
        with pytest.raises(FetchError, match="redirected more than 5 times"):
            fetch(server.url)
    assert len(server.connections) == 6


# ----------------------------------------------------------------------------- allow-list


def test_the_allow_list_lets_a_chosen_private_host_through(settings, inside, monkeypatch):
    fake_dns(monkeypatch, {"feeds.intranet": "127.0.0.1"})
    url = f"http://feeds.intranet:{inside.port}/meetings.json"
    with pytest.raises(FetchError, match="not on the public internet"):
        fetch(url)
    assert inside.connections == []

    settings.DIRECTORY_FETCH_ALLOWED_HOSTS = ["feeds.intranet"]
    fetching.check_url(url)
    assert fetch(url) == b"[]"
    assert f"Host: feeds.intranet:{inside.port}".encode() in inside.connections[0]
    # Only that name: another name for the same address is still refused.
    with pytest.raises(FetchError, match="not on the public internet"):
        fetch(f"http://localhost:{inside.port}/")

    settings.DIRECTORY_FETCH_ALLOWED_HOSTS = []
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert fetch(f"http://127.0.0.1:{inside.port}/") == b"[]"


# ----------------------------------------------------------------------------- limits


def _drip(headers_too: bool):
    def answer(_request):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
        if headers_too:
            for byte in head:
                yield bytes([byte])
                time.sleep(0.2)
        else:
            yield head
        for _ in range(120):
            yield b" "
            time.sleep(1)

    return answer


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_feed_that_drips_ends_at_the_deadline(settings, headers_too):
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DIRECTORY_FETCH_DEADLINE_SECONDS = 1.5
    with serving("127.0.0.1", _drip(headers_too)) as server:
        started = time.monotonic()
        with pytest.raises(FetchError) as error:
            fetch(server.url)
        elapsed = time.monotonic() - started
    assert str(error.value) == "The feed did not answer within 1.5 seconds."
    assert 1.4 < elapsed < 3.5  # the deadline, plus a loaded CI machine's slack


def test_the_deadline_covers_the_name_lookup(settings, monkeypatch):
    settings.DIRECTORY_FETCH_DEADLINE_SECONDS = 0.5
    release = threading.Event()

    def slow_getaddrinfo(*args, **kwargs):
        release.wait(5)
        return []

    monkeypatch.setattr("socket.getaddrinfo", slow_getaddrinfo)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="did not answer within 0.5 seconds"):
            fetch("http://slow-dns.example.org/")
    finally:
        release.set()
    assert time.monotonic() - started < 1.5


def _endless(total: int, length: bool):
    def answer(_request):
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head += f"Content-Length: {total}\r\n" if length else "Connection: close\r\n"
        yield (head + "\r\n").encode()
        chunk = b" " * 65536
        for _ in range(total // len(chunk)):
            yield chunk

    return answer


def test_a_50_mb_feed_stops_at_the_cap_without_holding_the_body(settings):
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DIRECTORY_FETCH_MAX_BYTES = 1024 * 1024
    total = 50 * 1024 * 1024
    with serving("127.0.0.1", _endless(total, length=False)) as server:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as error:
                fetch(server.url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert str(error.value) == "The feed is larger than 1 MB."
    assert peak < 4 * 1024 * 1024  # the cap and a chunk, not 50 MB
    assert server.sent < total / 2  # we hung up; the server did not get to send it all


def test_an_announced_length_over_the_cap_is_refused_before_reading(settings):
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with serving("127.0.0.1", _endless(50 * 1024 * 1024, length=True)) as server:
        with pytest.raises(FetchError, match="^The feed is larger than 20 MB.$"):
            fetch(server.url)


def test_the_defaults_are_20_seconds_and_20_mb():
    from peersupport import settings as project_settings

    assert project_settings.DIRECTORY_FETCH_DEADLINE_SECONDS == 20
    assert project_settings.DIRECTORY_FETCH_MAX_BYTES == 20 * 1024 * 1024
    assert project_settings.DIRECTORY_FETCH_ALLOWED_HOSTS == []


def test_errors_of_a_public_server_are_plain(settings):
    settings.DIRECTORY_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with serving("127.0.0.1", respond(b"gone", "404 Not Found")) as server:
        with pytest.raises(FetchError, match="^The feed's server answered 404 Not Found.$"):
            fetch(server.url)
    with serving("127.0.0.1", lambda _request: [b"SSH-2.0-OpenSSH\r\n"]) as server:
        with pytest.raises(FetchError, match="did not answer with valid HTTP"):
            fetch(server.url)
    server.stop()
    with pytest.raises(FetchError, match="^The feed's server could not be reached.$"):
        fetch(server.url)  # nothing listens there now


# ----------------------------------------------------------------------------- TLS


@pytest.fixture
def certificate(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")

    def make(name: str) -> tuple[Path, Path]:
        key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                f"/CN={name}",
                "-addext",
                f"subjectAltName=DNS:{name}",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key

    return make


def test_https_goes_to_the_checked_address_with_the_host_names_sni_and_certificate(
    settings, monkeypatch, certificate
):
    settings.DIRECTORY_FETCH_ALLOWED_HOSTS = ["feed.test", "other.test"]
    fake_dns(monkeypatch, {"feed.test": "127.0.0.1", "other.test": "127.0.0.1"})
    cert, key = certificate("feed.test")
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(fetching, "_ssl_context", lambda: trusting)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: names.append(name)

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_tls():
        for _ in range(2):
            conn, _ = listener.accept()
            try:
                with server_context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    for chunk in respond(FEED)(b""):
                        tls.sendall(chunk)
            except OSError:  # the second client refuses our certificate
                conn.close()

    thread = threading.Thread(target=serve_tls, daemon=True)
    thread.start()
    try:
        assert fetch(f"https://feed.test:{port}/meetings.json") == FEED
        with pytest.raises(FetchError, match="certificate is not valid for its address"):
            fetch(f"https://other.test:{port}/meetings.json")
    finally:
        thread.join(5)
        listener.close()
    assert names == ["feed.test", "other.test"]


# ----------------------------------------------------------------------------- isolation


@pytest.mark.django_db
def test_a_sync_of_three_where_the_second_breaks_syncs_the_first_and_third(tmp_path, monkeypatch):
    sources = []
    for i in range(3):
        path = tmp_path / f"feed{i}.json"
        rows = json.loads(FEED)
        rows[0]["slug"] = f"meeting-{i}"
        path.write_text(json.dumps(rows))
        sources.append(factories.feed_source(url=str(path), name=f"Feed {i}"))
    real = meeting_guide_import.read_feed

    def read_feed(source, **kw):
        if source.pk == sources[1].pk:
            raise KeyError("an unexpected bug")
        return real(source, **kw)

    monkeypatch.setattr(meeting_guide_import, "read_feed", read_feed)
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 source\(s\) failed: Feed 1"):
        call_command("sync_feeds", stdout=out)
    for source in (sources[0], sources[2]):
        assert Listing.objects.filter(feed_origin__source=source).count() == 1
        assert source.last_run.status == "ok"
    run = sources[1].last_run
    assert run.status == "failed"
    assert run.error == "the feed could not be read (KeyError)."
    assert "Traceback" not in out.getvalue()


@pytest.mark.django_db
def test_sync_feeds_goes_on_when_a_run_itself_raises(tmp_path, monkeypatch):
    from directory.management.commands import sync_feeds

    path = tmp_path / "feed.json"
    path.write_bytes(FEED)
    first, second = factories.feed_source(url=str(path)), factories.feed_source(url=str(path))

    def run_source(source, **kw):
        if source.pk == first.pk:
            raise RuntimeError("database went away")
        return meeting_guide_import.run_source(source, **kw)

    monkeypatch.setattr(sync_feeds, "run_source", run_source)
    with pytest.raises(CommandError, match=r"1 source\(s\) failed"):
        call_command("sync_feeds", stdout=StringIO())
    assert first.last_run.error == "the run stopped with an error (RuntimeError)."
    assert second.last_run.status == "ok"


BAD_SOURCES = [
    ("http://[::1", "This is not a valid web address."),
    ("http://feeds.example.org:99999/meetings.json", "port is not a number from 1 to 65535"),
    ("http://127.1:6379/", "not on the public internet"),
    ("ftp://feeds.example.org/meetings.json", "Only http:// and https://"),
]


@pytest.mark.django_db
def test_bad_urls_and_bad_content_fail_their_own_run_and_the_sync_goes_on(tmp_path):
    nested = tmp_path / "nested.json"
    nested.write_bytes(NESTED)
    bad = [factories.feed_source(url=url) for url, _ in BAD_SOURCES]
    bad.append(factories.feed_source(url=str(nested)))
    bad.append(factories.feed_source(uploaded_feed=NESTED.decode(), url=""))
    good_path = tmp_path / "good.json"
    good_path.write_bytes(FEED)
    good = factories.feed_source(url=str(good_path))
    with pytest.raises(CommandError, match=rf"{len(bad)} source\(s\) failed"):
        call_command("sync_feeds", stdout=StringIO())
    assert good.last_run.status == "ok"
    reasons = [source.last_run.error for source in bad]
    for (_, expected), reason in zip(BAD_SOURCES, reasons, strict=False):
        assert expected in reason
    assert reasons[-2:] == [
        f"{nested} is nested too deeply to be a Meeting Guide feed.",
        "the uploaded feed is nested too deeply to be a Meeting Guide feed.",
    ]


# ----------------------------------------------------------------------------- admin


def _staff(client, role: str):
    sync_roles()
    org = factories.organization()
    user = factories.user(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    Membership.objects.create(user=user, organization=org)
    client.force_login(user)
    return org


ADMIN_BAD_URLS = [
    "http://127.1:6379/",
    "http://0x7f000001:5432/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0:8000/",
    "http://%6c%6f%63%61%6c%68%6f%73%74/",
    "http://localhost:8000/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::1",
    "http://feeds.example.org:99999/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "ftp://feeds.example.org/meetings.json",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [EDITOR, CURATOR])
@pytest.mark.parametrize("url", ADMIN_BAD_URLS)
def test_saving_a_bad_feed_url_in_admin_answers_the_form_with_why(client, role, url):
    org = _staff(client, role)
    data = {
        "name": "Feed",
        "url": url,
        "organization": org.pk,
        "support_type": factories.support_type().pk,
        "archive_after_runs": 2,
    }
    response = client.post(reverse("admin:directory_feedsource_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["url"]
    assert errors and all("Traceback" not in e for e in errors)
    assert not FeedSource.objects.exists()


@pytest.mark.django_db
def test_a_public_feed_url_saves(client, monkeypatch):
    fake_dns(monkeypatch, {"aa.example.org": PUBLIC_ADDRESS})
    org = _staff(client, EDITOR)
    data = {
        "name": "Feed",
        "url": "https://aa.example.org/wp-admin/admin-ajax.php?action=meetings",
        "organization": org.pk,
        "support_type": factories.support_type().pk,
        "archive_after_runs": 2,
    }
    assert client.post(reverse("admin:directory_feedsource_add"), data).status_code == 302
    assert FeedSource.objects.get().url == data["url"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kw",
    [
        {"url": "http://[::1"},
        {"url": "http://feeds.example.org:99999/"},
        {"url": "http://127.1:6379/"},
        {"url": "", "uploaded_feed": NESTED.decode()},
    ],
    ids=["broken-ipv6", "bad-port", "loopback", "nested-json"],
)
def test_preview_and_run_of_a_bad_source_answer_with_the_reason(client, kw):
    org = _staff(client, EDITOR)
    source = factories.feed_source(organization=org, **kw)
    preview = client.post(
        reverse("admin:directory_feedsource_preview", args=[source.pk]), follow=True
    )
    assert preview.status_code == 200
    assert "Failed: " in preview.content.decode()
    run = client.post(reverse("admin:directory_feedsource_run", args=[source.pk]), follow=True)
    assert run.status_code == 200
    assert "Failed: " in run.content.decode()
    saved = FeedRun.objects.get(source=source)
    assert saved.status == "failed" and "Traceback" not in saved.error


@pytest.mark.django_db
def test_uploading_a_deeply_nested_file_answers_the_form(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org = _staff(client, EDITOR)
    data = {
        "name": "Feed",
        "url": "",
        "upload": SimpleUploadedFile("meetings.json", NESTED),
        "organization": org.pk,
        "support_type": factories.support_type().pk,
        "archive_after_runs": 2,
    }
    response = client.post(reverse("admin:directory_feedsource_add"), data)
    assert response.status_code == 200
    assert "nested too deeply" in response.content.decode()


def test_run_source_uses_the_fetcher(monkeypatch):
    """read_source goes through fetching.fetch (no other way to the network)."""
    calls = []
    monkeypatch.setattr(fetching, "fetch", lambda url, **kw: calls.append((url, kw)) or b"[]")
    assert reading.read_source("https://feeds.example.org/m.json", timeout=3) == []
    assert calls == [("https://feeds.example.org/m.json", {"deadline": 3})]


def test_the_connection_goes_to_the_address_that_was_checked(public_server, inside, monkeypatch):
    """DNS rebinding: a name that answers a public address to the check and loopback a moment
    later still gets the connection at the address that was checked."""
    with public_server(respond(FEED)) as server:
        answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1"])
        real = socket.getaddrinfo

        def rebinding(host, port, *args, **kwargs):
            if host == "rebind.example.org":
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        connections = record_connections(monkeypatch)
        assert fetch(f"http://rebind.example.org:{server.port}/meetings.json") == FEED
    inside.stop()
    assert connections == [("127.0.0.2", server.port)] and inside.connections == []
    assert f"Host: rebind.example.org:{server.port}".encode() in server.connections[0]
