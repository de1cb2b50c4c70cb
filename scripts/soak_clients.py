"""The soak drill's clients (scripts/soak.py): what visitors and staff send (``MIX``), one
keep-alive connection each with its cookies, one request of each kind, and the loop every
client thread runs, recording each answer's kind, time and status."""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

# (kind, weight): what one request in a hundred is, roughly.
MIX = [
    ("search", 34),  # /find/ with facets, places, keywords (half of them with a place)
    ("listing", 22),
    ("home", 8),
    ("learn", 6),
    ("workers", 5),
    ("feed_poll", 10),  # /meetings.json, /hsds/services, a calendar: If-None-Match as pollers do
    ("feed_full", 1),  # /meetings.json downloaded whole
    ("hsds", 6),
    ("ics", 4),
    ("suggest", 2),  # 1 in 50: a public suggestion (GET the form, POST it)
    # A staff member marks a listing verified in admin: 1 in 500 requests, a save every few
    # seconds, each a new data version every worker's search index follows.
    ("staff_save", 0.2),
]


@dataclass
class Sample:
    kind: str
    started: float
    seconds: float
    status: int  # 0: no answer (connection error)


@dataclass
class Shared:
    samples: list[Sample] = field(default_factory=list)
    suggested: list[tuple[str, int]] = field(default_factory=list)  # (token, status)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    # (seconds since the warm-up ended, each worker's RSS and anonymous RSS in MB), every 30 s
    memory_curve: list[tuple[float, list[float], list[float]]] = field(default_factory=list)


class Client:
    """One keep-alive connection with its cookies, as one browser or poller."""

    def __init__(self, port: int):
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = "https://127.0.0.1"
            headers["Referer"] = f"https://127.0.0.1{path}"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                for header in response.headers.get_all("Set-Cookie") or []:
                    for name, morsel in SimpleCookie(header).items():
                        self.cookies[name] = morsel.value
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response, content
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def one_request(kind: str, client: Client, facts: dict, shared: Shared, rng: random.Random):
    """Send one request of ``kind``; return its status (the POST's, for forms)."""
    if kind == "search":
        params: list[tuple[str, str]] = []
        roll = rng.random()
        if roll < 0.5:
            params.append(("near", rng.choice(facts["places"])))
            params.append(("radius", rng.choice(["5", "10", "25", "50"])))
        if rng.random() < 0.35:
            params.append(("q", rng.choice(facts["words"])))
        if rng.random() < 0.4:
            params.append(("type", rng.choice(facts["types"])))
        if rng.random() < 0.2:
            params.append(("when", rng.choice(["now", "soon", "today"])))
        if rng.random() < 0.15:
            params.append(("page", str(rng.randint(2, 5))))
        return client.request("GET", "/find/?" + urllib.parse.urlencode(params))[0]
    if kind == "listing":
        return client.request("GET", f"/resources/{rng.choice(facts['slugs'])}/")[0]
    if kind == "home":
        return client.request("GET", "/")[0]
    if kind == "learn":
        return client.request("GET", rng.choice(["/learn/", "/learn/faq/", "/support-types/"]))[0]
    if kind == "workers":
        return client.request("GET", "/peer-workers/")[0]
    if kind in {"feed_poll", "feed_full"}:
        path = "/meetings.json" if kind == "feed_full" else rng.choice(facts["feeds"])
        headers = {"Accept-Encoding": "gzip"}
        etag = facts["etags"].get(path)
        if kind == "feed_poll" and etag:
            headers["If-None-Match"] = etag
        status, response, _ = client.request("GET", path, headers=headers)
        if response.getheader("ETag"):
            facts["etags"][path] = response.getheader("ETag")
        return status
    if kind == "hsds":
        return client.request("GET", f"/hsds/services?page={rng.randint(1, 20)}")[0]
    if kind == "ics":
        return client.request("GET", f"/resources/{rng.choice(facts['slugs'])}.ics")[0]
    if kind == "suggest":
        status, _, page = client.request("GET", "/suggest/")
        match = CSRF.search(page)
        if status != 200 or not match:
            return status
        token = uuid.uuid4().hex[:12]
        status = client.request(
            "POST",
            "/suggest/",
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "name": f"Soak drill meeting {token}",
                "support_type": facts["types"][0],
                "attendance": "in_person",
                "cost": "free",
                "address_line1": "12 Elm Street",
                "city": "Springfield",
                "region": "IL",
                "country": "US",
                "time1_days": ["2"],
                "time1_start": "19:00",
                "time1_end": "20:00",
                "timezone": "America/Chicago",
                "description": "Open discussion meeting (soak drill).",
                "homepage": "",
            },
        )[0]
        with shared.lock:
            shared.suggested.append((token, status))
        return status
    if kind == "staff_save":
        if "sessionid" not in client.cookies:
            status, _, page = client.request("GET", "/admin/login/")
            match = CSRF.search(page)
            if not match:
                return status
            status = client.request(
                "POST",
                "/admin/login/?next=/admin/",
                {
                    "csrfmiddlewaretoken": match.group(1).decode(),
                    "username": facts["staff"][0],
                    "password": facts["staff"][1],
                    "next": "/admin/",
                },
            )[0]
            if "sessionid" not in client.cookies:
                return status if status >= 400 else 401
        changelist = "/admin/directory/listing/?status__exact=published"
        status, _, page = client.request("GET", changelist)
        match = CSRF.search(page)
        if status != 200 or not match:
            return status
        return client.request(
            "POST",
            changelist,
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "action": "mark_verified_today",
                "_selected_action": [str(rng.choice(facts["ids"]))],
                "index": "0",
            },
        )[0]
    raise ValueError(kind)


def worker_loop(number: int, port: int, facts: dict, shared: Shared, started_at: float):
    rng = random.Random(number)
    kinds, weights = zip(*MIX, strict=True)
    clients: dict[str, Client] = {}
    while not shared.stop.is_set():
        kind = rng.choices(kinds, weights)[0]
        client = clients.setdefault(kind if kind in {"staff_save"} else "visitor", Client(port))
        begun = time.monotonic()
        try:
            status = one_request(kind, client, facts, shared, rng)
        except (OSError, http.client.HTTPException):
            status = 0
        sample = Sample(kind, begun - started_at, time.monotonic() - begun, status)
        with shared.lock:
            shared.samples.append(sample)
        if status == 0 or status >= 500:
            time.sleep(0.2)  # as a browser's user would, not a tight retry loop
    for client in clients.values():
        client.close()
