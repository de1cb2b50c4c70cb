"""Fuzz a running server: 10,000+ hostile query strings over every public endpoint.

    python scripts/fuzz.py --url http://127.0.0.1:8000 --host directory.example
    python scripts/fuzz.py --serve      # starts gunicorn itself (production settings, the
                                        # database in DATABASE_URL), then stops it

The cases come from the same hypothesis strategies as tests/test_hostile_parameters.py
(tests/hostile.py), spread over every public page and API; listing, worker and service ids
are discovered from the server's own feeds. It reports the status codes, every answer >= 500
with its request, and exits 1 if there was any. Traffic goes only to the given URL, a few
requests at a time.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import re
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_server  # noqa: E402 - scripts/ is on the path: this script's own folder
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.hostile import (  # noqa: E402
    HSDS_LIST_PARAMS,
    LISTING_PARAMS,
    WORKER_PARAMS,
    query_strings,
)

FEW = ["country", "tz"]


class Target:
    def __init__(self, url: str, host: str | None):
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.host = host or parts.netloc

    def get(self, path: str, timeout: float = 30) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(*self.address, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Host": self.host, "X-Forwarded-Proto": "https"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def discover(target: Target) -> dict[str, str]:
    """Real ids to fuzz around: a listing, a worker, a support type, an HSDS service."""
    found = {"listing": "no-such-listing", "worker": "no-such-worker", "type": "no-such-type"}
    status, body = target.get("/hsds/services?per_page=1")
    if status == 200 and json.loads(body)["contents"]:
        found["service"] = json.loads(body)["contents"][0]["id"]
    for section, key, pattern in [
        ("listings", "listing", r"/resources/([\w-]+)/"),
        ("peer-workers", "worker", r"/peer-workers/([\w-]+)/"),
        ("support-types", "type", r"/support-types/([\w-]+)/"),
    ]:
        status, body = target.get(f"/sitemap-{section}.xml")
        match = re.search(pattern, body.decode(errors="replace")) if status == 200 else None
        if match:
            found[key] = match.group(1)
    return found


def endpoints(ids: dict[str, str]) -> list[tuple[str, list[str]]]:
    service = ids.get("service", "00000000-0000-0000-0000-000000000000")
    return [
        ("/", FEW),
        ("/find/", LISTING_PARAMS),
        ("/find/print/", LISTING_PARAMS),
        ("/find/calendar.ics", LISTING_PARAMS),
        (f"/resources/{ids['listing']}/", FEW),
        (f"/resources/{ids['listing']}.ics", FEW),
        (f"/resources/{ids['listing']}/report/", FEW),
        ("/peer-workers/", WORKER_PARAMS),
        (f"/peer-workers/{ids['worker']}/", FEW),
        ("/support-types/", FEW),
        (f"/support-types/{ids['type']}/", FEW),
        ("/learn/", FEW),
        ("/learn/faq/", FEW),
        ("/suggest/", FEW),
        ("/sitemap.xml", ["p"]),
        ("/robots.txt", ["x"]),
        ("/healthz", ["x"]),
        ("/readyz", ["x"]),
        ("/meetings.json", ["format"]),
        ("/hsds/", ["format"]),
        ("/hsds/services", HSDS_LIST_PARAMS),
        (f"/hsds/services/{service}", ["format", "full"]),
        ("/hsds/organizations", HSDS_LIST_PARAMS),
        ("/hsds/taxonomies", HSDS_LIST_PARAMS),
        ("/hsds/taxonomy_terms", HSDS_LIST_PARAMS),
        ("/hsds/service_at_locations", HSDS_LIST_PARAMS),
        ("/no-such-page/", ["q"]),
    ]


def generate(targets: list[tuple[str, list[str]]], count: int, seed: int) -> list[str]:
    """``count`` request paths with generated query strings (searches weighted up)."""
    weighted = [t for t in targets for _ in range(4 if len(t[1]) > 4 else 1)]
    cases: list[str] = []
    case = st.sampled_from(weighted).flatmap(
        lambda t: query_strings(t[1]).map(lambda q, path=t[0]: f"{path}?{q}")
    )

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(case)
    def collect(path):
        cases.append(path)

    while len(cases) < count:
        collect()
    return cases[:count]


@contextlib.contextmanager
def serve():
    """gunicorn with the production configuration on a free port of 127.0.0.1."""
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        sys.exit("--serve needs DATABASE_URL=postgres://... (a database with content loaded)")
    port = bench_server.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env |= {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "directory.example",
        "DIRECTORY_EMAIL_DISABLED": "true",  # the fuzzed server sends no mail
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "2"),
    }
    bench_server.collect_static(env)
    target = Target(f"http://127.0.0.1:{port}", "directory.example")
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        server = bench_server.start_gunicorn(env, log_path)
        try:
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(OSError):
                    if target.get("/healthz", timeout=2)[0] == 200:
                        break
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("gunicorn did not start:\n" + bench_server.tail(log_path))
                time.sleep(0.3)
            yield target
        finally:
            bench_server.stop(server)


def run(target: Target, cases: int, concurrency: int, seed: int) -> int:
    ids = discover(target)
    print(f"ids found on the server: {ids}")
    started = time.monotonic()
    paths = generate(endpoints(ids), cases, seed)
    print(f"{len(paths)} cases generated in {time.monotonic() - started:.1f} s; sending...")

    def send(path: str) -> tuple[str, int]:
        try:
            return path, target.get(path)[0]
        except OSError as error:
            print(f"  no answer ({type(error).__name__}): {path[:200]!r}")
            return path, 0

    started = time.monotonic()
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[tuple[int, str]] = []
    by_endpoint: collections.Counter[str] = collections.Counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for path, status in pool.map(send, paths):
            statuses[status] += 1
            by_endpoint[path.split("?", 1)[0]] += 1
            if status >= 500 or status == 0:
                failures.append((status, path))
    seconds = time.monotonic() - started
    print(f"\n{len(paths)} requests in {seconds:.0f} s ({len(paths) / seconds:.0f}/s)")
    print("status codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    print(f"endpoints: {len(by_endpoint)}; requests per endpoint {min(by_endpoint.values())}"
          f"-{max(by_endpoint.values())}")  # fmt: skip
    for status, path in failures[:50]:
        print(f"  {status or 'no answer'}: {path[:300]!r}")
    bad = sum(1 for status, _ in failures)
    print(f"responses >= 500 or none: {bad}")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("FUZZ_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--host", default=os.environ.get("FUZZ_HOST"), help="Host header")
    parser.add_argument("--serve", action="store_true", help="start gunicorn for the run")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    if args.serve:
        with serve() as target:
            return run(target, args.cases, args.concurrency, args.seed)
    return run(Target(args.url, args.host), args.cases, args.concurrency, args.seed)


if __name__ == "__main__":
    sys.exit(main())
