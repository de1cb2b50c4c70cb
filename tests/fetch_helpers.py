"""Local servers and a fake DNS for the fetching tests (tests/test_fetching_*.py and the feed
tests that fetch a URL)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

# The documentation address example.com once had: "public" for names the tests make up.
PUBLIC_ADDRESS = "93.184.215.14"


class Server:
    """A listening socket served by a thread: it records every connection it accepts (and the
    bytes of each request) and hands each one to ``answer`` (none: close at once).

    ``stop`` accepts whatever is still waiting in the backlog before it returns, so a connection
    the fetcher made is always counted: a handshake completes in the kernel, not in accept()."""

    def __init__(self, host: str = "127.0.0.1", answer: Callable | None = None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.answer = answer
        self.connections: list[bytes] = []  # each connection's request bytes
        self.sent = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                if self._stopping.is_set():
                    break
                continue
            except OSError:
                break
            self._handle(conn)
        self.sock.setblocking(False)
        while True:  # the backlog: connections completed while we were stopping
            try:
                conn, _ = self.sock.accept()
            except OSError:
                break
            self.connections.append(b"")
            conn.close()
        self.sock.close()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        request = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in request and len(request) < 65536:
                data = conn.recv(4096)
                if not data:
                    break
                request += data
        self.connections.append(request)
        if self.answer is None:
            conn.close()
            return
        threading.Thread(target=self._answer, args=(conn, request), daemon=True).start()

    def _answer(self, conn: socket.socket, request: bytes) -> None:
        try:
            for chunk in self.answer(request):
                conn.sendall(chunk)
                self.sent += len(chunk)
        except OSError:
            pass  # the fetcher hung up (a cap or a deadline): that is the point
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)


@contextlib.contextmanager
def serving(host: str = "127.0.0.1", answer: Callable | None = None) -> Iterator[Server]:
    server = Server(host, answer)
    try:
        yield server
    finally:
        server.stop()


def respond(body: bytes = b"[]", status: str = "200 OK", headers: dict | None = None):
    """An ``answer`` that sends one whole response."""
    head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    head.update(headers or {})

    def answer(_request: bytes):
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in head.items()), "", ""]
        yield "\r\n".join(lines).encode() + body

    return answer


def redirect(location: str, status: str = "302 Found"):
    return respond(b"", status, {"Location": location})


def fake_dns(monkeypatch, names: dict[str, str | list[str]]) -> None:
    """``socket.getaddrinfo`` answers these names with these addresses; other names as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        key = host.decode() if isinstance(host, bytes) else str(host)
        if key.lower().rstrip(".") in names:
            found = names[key.lower().rstrip(".")]
            result = []
            for address in [found] if isinstance(found, str) else found:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr = (address, int(port or 0), 0, 0) if ":" in address else (address, port)
                result.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return result
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def record_connections(monkeypatch) -> list[tuple]:
    """Every address ``socket.create_connection`` is asked for, in order."""
    calls: list[tuple] = []
    real = socket.create_connection

    def create_connection(address, *args, **kwargs):
        calls.append(tuple(address))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return calls
