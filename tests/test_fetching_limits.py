"""A feed fetch ends at its deadline and at its byte cap, says plainly what a public server
did wrong, and over HTTPS goes to the checked address with the host name's SNI and
certificate (issue 22). Which addresses a fetch may reach is in
tests/test_fetching_addresses.py."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from directory.services import fetching
from directory.services.fetching import FetchError, fetch
from tests.fetch_helpers import fake_dns, respond, serving
from tests.fetch_settings_helpers import (
    FEED,
    fetch_settings,  # noqa: F401 - the autouse fixture "_fetch_settings"
)

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
