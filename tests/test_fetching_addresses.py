"""Feeds that cannot reach inside (issue 22): every way of naming an internal address is
refused before a byte goes to it, redirects are checked like the first URL, only the
allow-list lets a private host through, and the connection goes to the address that was
checked (DNS rebinding), through the one fetcher. Deadlines, caps and TLS are in
tests/test_fetching_limits.py; bad sources in a sync and in admin in
tests/test_fetching_bad_sources.py."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from directory.meeting_guide import reading
from directory.services import fetching
from directory.services.fetching import FetchError, fetch, is_public
from tests.fetch_helpers import (
    PUBLIC_ADDRESS,
    fake_dns,
    record_connections,
    redirect,
    respond,
    serving,
)
from tests.fetch_settings_helpers import (
    FEED,
    fetch_settings,  # noqa: F401 - the autouse fixture "_fetch_settings"
)


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
