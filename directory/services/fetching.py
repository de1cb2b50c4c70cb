"""Fetch a URL that someone outside the server chose (a feed source's URL) without letting it
reach inside our own network (issue 22).

Why not urllib: it resolves the host itself when it connects, so a name checked a moment ago
can resolve elsewhere by then (DNS rebinding), and it follows redirects to wherever they
point. Here every hop is checked the same way:

1. The URL is parsed strictly: ``http`` or ``https``, a host name of letters, digits, dots and
   hyphens or an IP literal, a valid port, no user name or password.
2. The host is resolved once (within the deadline) and **every** address it resolves to must be
   public (:func:`is_public`), unless the operator allowed the host name or network
   (``DIRECTORY_FETCH_ALLOWED_HOSTS`` / ``DIRECTORY_FETCH_ALLOWED_NETWORKS``). Number forms
   such as ``127.1``, ``0x7f000001`` or ``2130706433`` resolve to the address they mean, so they
   are judged by it, never by their text.
3. The connection goes to that checked address (:class:`_PinnedHTTPConnection`); the Host
   header, TLS SNI and the certificate check still use the URL's host name.
4. Redirects (at most :data:`MAX_REDIRECTS`) go back to step 1.
5. The whole fetch, every hop and the body included, ends at one deadline
   (``DIRECTORY_FETCH_DEADLINE_SECONDS``), and the body is streamed and refused as soon as it
   passes ``DIRECTORY_FETCH_MAX_BYTES``.

Errors are :class:`FetchError` with a sentence an organisation editor can act on. They never
say whether an internal address answered: we never connect to one.
"""

from __future__ import annotations

import dataclasses
import functools
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from urllib.parse import urljoin, urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024
USER_AGENT = "PeerSupportDirectory/1.0 (Meeting Guide import)"

NOT_PUBLIC = "This address is not on the public internet."

_HOST_RE = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\.?")
# What http.client refuses in a request line; refused here first, with our own words.
_BAD_PATH_RE = re.compile(r"[\x00-\x20\x7f]")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """Why a URL was not fetched, in words fit for the person who gave it."""


@dataclasses.dataclass(frozen=True)
class Policy:
    """What the operator allows beyond the public internet, and the limits of one fetch."""

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    deadline: float = 20.0
    max_bytes: int = 20 * 1024 * 1024

    @classmethod
    def from_settings(cls, **overrides) -> Policy:
        policy = cls(
            allowed_hosts=frozenset(
                h.lower().rstrip(".") for h in settings.DIRECTORY_FETCH_ALLOWED_HOSTS
            ),
            allowed_networks=tuple(
                ipaddress.ip_network(n, strict=False)
                for n in settings.DIRECTORY_FETCH_ALLOWED_NETWORKS
            ),
            deadline=float(settings.DIRECTORY_FETCH_DEADLINE_SECONDS),
            max_bytes=int(settings.DIRECTORY_FETCH_MAX_BYTES),
        )
        return dataclasses.replace(policy, **{k: v for k, v in overrides.items() if v is not None})

    def allows(self, host: str, address: IPAddress) -> bool:
        if host in self.allowed_hosts:
            return True
        candidates = [address, *_embedded_ipv4(address)]
        if any(a in n for a in candidates for n in self.allowed_networks if a.version == n.version):
            return True
        return is_public(address)


# ----------------------------------------------------------------------------- addresses


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and leads to: IPv4-mapped, 6to4, NAT64
    (well-known prefix) and Teredo (its server and its client)."""
    if address.version != 6:
        return []
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet. ``is_global`` alone is not enough: it calls
    multicast and NAT64 addresses global and, before Python 3.13, judged IPv4-mapped ones by
    their IPv6 form; an IPv6 address carrying an IPv4 one is judged by what it carries."""
    embedded = _embedded_ipv4(address)
    if embedded:
        return all(is_public(v4) for v4 in embedded)
    if (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_private
    ):
        return False
    if address.version == 4:
        return address not in _CGNAT
    return not address.is_site_local


# ----------------------------------------------------------------------------- one hop


@dataclasses.dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # ASCII, lower case, no brackets, no trailing dot
    port: int
    path: str  # path and query, as sent


def parse_url(url: str) -> Target:
    """The URL's parts, or FetchError saying what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        raw_host = parts.hostname  # ValueError for "http://[::1"
    except ValueError:
        raise FetchError("This is not a valid web address.") from None
    if scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// addresses can be fetched.")
    bad_port = FetchError("The address's port is not a number from 1 to 65535.")
    try:
        port = parts.port  # ValueError for "http://host:99999/" or "http://host:x/"
    except ValueError:
        raise bad_port from None
    if port == 0:
        raise bad_port
    if parts.username is not None or parts.password is not None:
        raise FetchError("The address must not contain a user name or password.")
    if not raw_host:
        raise FetchError("The address has no host name.")
    host = _ascii_host(raw_host)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if _BAD_PATH_RE.search(path):
        raise FetchError("The address contains spaces or control characters.")
    return Target(
        url=url.strip(),
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        path=path,
    )


def _ascii_host(raw_host: str) -> str:
    if ":" in raw_host:  # an IPv6 literal (urlsplit removed the brackets)
        try:
            address = ipaddress.IPv6Address(raw_host)
        except ValueError:
            raise FetchError("The address's host name is not valid.") from None
        if address.scope_id:
            raise FetchError("The address's host name is not valid.")
        return str(address)
    try:
        host = raw_host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise FetchError("The address's host name is not valid.") from None
    # Percent-escapes, spaces and the like: no resolver should be asked to guess.
    if not _HOST_RE.fullmatch(host):
        raise FetchError("The address's host name is not valid.")
    return host.rstrip(".")


def resolve(target: Target, policy: Policy, ends_at: float) -> list[IPAddress]:
    """Every address of the host, each one allowed, or FetchError. A name with one private
    address among public ones is refused: which one a connection gets is not ours to pick."""
    try:
        addresses = [ipaddress.ip_address(target.host)]
    except ValueError:
        addresses = _lookup(target.host, target.port, ends_at)
    if not addresses:
        raise FetchError("The address's host name was not found.")
    if not all(policy.allows(target.host, address) for address in addresses):
        raise FetchError(NOT_PUBLIC)
    return addresses


def _lookup(host: str, port: int, ends_at: float) -> list[IPAddress]:
    """getaddrinfo within the deadline. It cannot be interrupted, so it runs in a daemon thread
    that is abandoned when the deadline passes (the system resolver gives up on its own)."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            box["error"] = error

    thread = threading.Thread(target=work, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(max(ends_at - time.monotonic(), 0))
    if thread.is_alive():
        raise _Expired
    if "error" in box:
        raise FetchError("The address's host name was not found.")
    seen: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in box["infos"]:  # type: ignore[union-attr]
        seen[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
    return list(seen)


class _Expired(Exception):
    """The deadline passed (turned into a FetchError naming it by :func:`fetch`)."""


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, not to whatever the host name resolves to by then.
    ``live`` keeps the socket after http.client hands it to the response (and forgets it)."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float, **kw):
        super().__init__(host, port, timeout=timeout, **kw)
        self.address = address
        self.live: socket.socket | None = None

    def _open(self) -> socket.socket:
        sock = socket.create_connection((str(self.address), self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def connect(self) -> None:
        self.sock = self.live = self._open()


class _PinnedHTTPSConnection(_PinnedHTTPConnection, http.client.HTTPSConnection):
    """TLS to the checked address, with SNI and the certificate checked for the URL's host
    name. The handshake runs after ``live`` is set, so the deadline can cut it short too."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float):
        super().__init__(host, port, address=address, timeout=timeout, context=_ssl_context())

    def connect(self) -> None:
        sock = self._context.wrap_socket(
            self._open(), server_hostname=self.host, do_handshake_on_connect=False
        )
        self.sock = self.live = sock
        sock.do_handshake()


def _shut(sock: socket.socket | None) -> None:
    """The deadline's watchdog: ends a read that a slow server keeps alive byte by byte."""
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@dataclasses.dataclass
class _Answer:
    status: int
    reason: str = ""
    location: str = ""
    body: bytes = b""


def _hop(target: Target, addresses: list[IPAddress], policy: Policy, ends_at: float) -> _Answer:
    """One GET to the first of the host's addresses that accepts a connection. The body is
    read only for a 2xx answer."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    for address in addresses:
        remaining = ends_at - time.monotonic()
        if remaining <= 0:
            raise _Expired
        conn = kind(target.host, target.port, address=address, timeout=remaining)
        response = None
        watchdog = threading.Timer(remaining, lambda c=conn: _shut(c.live))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                conn.connect()
            except ssl.SSLError:
                raise
            except OSError:  # refused or unreachable: the host's next address, if any
                continue
            conn.putrequest("GET", target.path, skip_accept_encoding=True)
            conn.putheader("User-Agent", USER_AGENT)
            conn.putheader("Accept", "application/json, */*;q=0.5")
            conn.putheader("Accept-Encoding", "identity")
            conn.putheader("Connection", "close")
            conn.endheaders()
            response = conn.getresponse()
            answer = _Answer(response.status, response.reason or "")
            if 200 <= response.status < 300:
                answer.body = _read_body(response, conn, policy, ends_at)
            else:
                answer.location = (response.getheader("Location") or "").strip()
            return answer
        finally:
            watchdog.cancel()
            if response is not None:
                response.close()
            if conn.live is not None:
                conn.live.close()
            conn.close()
    if time.monotonic() >= ends_at:
        raise _Expired
    raise FetchError("The feed's server could not be reached.")


def _read_body(response, conn, policy: Policy, ends_at: float) -> bytes:
    """The body, read chunk by chunk so that no more than the cap is ever held."""
    too_large = FetchError(f"The feed is larger than {_size(policy.max_bytes)}.")
    if response.length is not None and response.length > policy.max_bytes:
        raise too_large
    body = bytearray()
    while True:
        remaining = ends_at - time.monotonic()
        if remaining <= 0:
            raise _Expired
        if conn.live is not None:
            try:
                conn.live.settimeout(remaining)
            except OSError:
                # http.client let go of the socket (a "Connection: close" answer): each read
                # keeps the timeout it had, and this loop checks the deadline between reads.
                pass
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        if len(body) + len(chunk) > policy.max_bytes:
            raise too_large
        body += chunk
    if time.monotonic() >= ends_at:
        raise _Expired  # the watchdog cut the connection: what we have is not the whole feed
    if response.length:  # the server closed before sending what it announced
        raise FetchError("The feed's server stopped before sending the whole feed.")
    return bytes(body)


def _size(n: int) -> str:
    mb = 1024 * 1024
    if n >= mb:
        return f"{n / mb:g} MB"
    return f"{n / 1024:g} KB" if n >= 1024 else f"{n} bytes"


# ----------------------------------------------------------------------------- the fetch


def check_url(url: str, *, policy: Policy | None = None) -> Target:
    """What a form checks before saving a URL: well formed, http(s), and every address its
    host resolves to allowed. The fetch checks again (names can change what they resolve to)."""
    policy = policy or Policy.from_settings()
    target = parse_url(url)
    try:
        resolve(target, policy, time.monotonic() + policy.deadline)
    except _Expired:
        raise FetchError(
            f"The address's host name could not be looked up within {policy.deadline:g} seconds."
        ) from None
    return target


def fetch(url: str, *, deadline: float | None = None, max_bytes: int | None = None) -> bytes:
    """The body of ``url`` (see the module), or FetchError."""
    policy = Policy.from_settings(deadline=deadline, max_bytes=max_bytes)
    ends_at = time.monotonic() + policy.deadline
    try:
        for hop in range(MAX_REDIRECTS + 1):
            try:
                target = parse_url(url)
                addresses = resolve(target, policy, ends_at)
            except FetchError as error:
                if hop == 0:
                    raise
                text = str(error)
                raise FetchError(
                    f"The feed redirected to an address that was refused: {text[0].lower()}"
                    f"{text[1:]}"
                ) from None
            answer = _hop(target, addresses, policy, ends_at)
            if 200 <= answer.status < 300:
                return answer.body
            if answer.status in REDIRECT_STATUSES and answer.location:
                url = urljoin(target.url, answer.location)
                continue
            reason = f"{answer.status} {answer.reason}".strip()
            raise FetchError(f"The feed's server answered {reason}.")
        raise FetchError(f"The feed redirected more than {MAX_REDIRECTS} times.")
    except _Expired:
        raise FetchError(_late(policy)) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        # After the deadline, whatever broke (the watchdog closes the socket) broke because
        # the time was up: say that.
        if isinstance(error, TimeoutError) or time.monotonic() >= ends_at:
            raise FetchError(_late(policy)) from None
        if isinstance(error, ssl.SSLCertVerificationError):
            raise FetchError("The feed's certificate is not valid for its address.") from None
        if isinstance(error, ssl.SSLError):
            raise FetchError("A secure connection to the feed's server failed.") from None
        raise FetchError("The feed's server did not answer with valid HTTP.") from None


def _late(policy: Policy) -> str:
    return f"The feed did not answer within {policy.deadline:g} seconds."
