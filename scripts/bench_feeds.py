#!/usr/bin/env python3
"""Time /meetings.json as pollers get it, under production gunicorn (docs/performance.md).

Starts gunicorn with the production settings (as scripts/bench.py does) and the task worker
(``manage.py db_worker``, as scripts/soak.py does) on the benchmark database, then measures,
each ``--runs`` times:

1. a **cold build**: the shared feed file removed, one request (gzip) that builds it;
2. a **repeat download** of the built file (gzip, and unpacked for a client without gzip);
3. a **304**: the same request with the ``ETag`` it was given;
4. after a listing changes: the first request (the last file, served while the task worker
   builds the new one) and how long until the new ``ETag`` is served.

It reports each gunicorn worker's memory before and its peak (``VmHWM``) after the builds, and
the task worker's peak. Traffic goes to 127.0.0.1 only; everything it starts is stopped at the
end.

    DJANGO_DEBUG=true .venv/bin/python scripts/bench_feeds.py [--listings 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench
import bench_server
from soak import TaskWorker

ROOT = Path(__file__).resolve().parent.parent


def get(port: int, headers: dict | None = None) -> tuple[int, dict, int, float]:
    """Status, headers, body bytes and seconds to the last byte."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request(
            "GET", "/meetings.json", headers={"X-Forwarded-Proto": "https", **(headers or {})}
        )
        response = connection.getresponse()
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
        return response.status, dict(response.getheaders()), size, time.perf_counter() - started
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/peersupport_bench"
    )
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    bench_server.setup_django(args.database_url)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from directory.models import Listing

    report: dict = {"database": args.database_url.rsplit("/", 1)[-1]}
    bench.seed(args.listings, report)

    port = bench_server.free_port()
    env = bench_server.production_env(argparse.Namespace(**vars(args)), port)
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    env["DIRECTORY_FEED_CACHE_DIR"] = str(cache_dir)
    bench_server.collect_static(env)
    log_path = cache_dir.parent / f"{cache_dir.name}.log"
    server = bench_server.start_gunicorn(env, log_path)
    task_worker = TaskWorker(env, cache_dir.parent / f"{cache_dir.name}-worker.log")
    task_worker.start()
    results: dict[str, list[float]] = {}

    def note(label: str, value: float) -> None:
        results.setdefault(label, []).append(value)

    try:
        bench_server.wait_until_ready(server, port, log_path, args.workers)
        rss_before = bench_server.worker_rss_mb(server.pid, "VmRSS")
        gz = {"Accept-Encoding": "gzip"}
        for _ in range(args.runs):
            for old in cache_dir.glob("peersupport-feeds-*"):
                shutil.rmtree(old)
            status, headers, size, seconds = get(port, gz)
            assert status == 200, status
            note("cold build (gzip), s", seconds)
            note("compressed MB", size / 1_048_576)
            status, headers, size, seconds = get(port, gz)
            note("repeat download (gzip), s", seconds)
            status, _, plain, seconds = get(port)
            note("repeat download (no gzip), s", seconds)
            note("uncompressed MB", plain / 1_048_576)
            status, _, _, seconds = get(port, {**gz, "If-None-Match": headers["ETag"]})
            assert status == 304, status
            note("304, ms", seconds * 1000)
            # A change: the last file at once, the new one when the task worker has built it.
            Listing.objects.filter(pk=Listing.objects.order_by("pk").values("pk")[:1]).update(
                updated_at=timezone.now()
            )
            status, stale, _, seconds = get(port, gz)
            assert stale["ETag"] == headers["ETag"], "not served from the last file"
            note("first poll after a change (last file), s", seconds)
            started = time.perf_counter()
            while get(port, {**gz, "If-None-Match": headers["ETag"]})[0] == 304:
                task_worker.keep_alive()
                time.sleep(0.25)
            note("rebuild in the task worker until the new ETag, s", time.perf_counter() - started)
        peak = bench_server.worker_rss_mb(server.pid, "VmHWM")
    finally:
        bench_server.stop(server)
        task_worker.stop()
        shutil.rmtree(cache_dir, ignore_errors=True)
        connection.close()

    print(
        f"\n/meetings.json under production gunicorn ({args.workers} workers), "
        f"{report.get('listings', 0):,} listings, {args.runs} runs; "
        f"refresh {settings.DIRECTORY_SEARCH_INDEX_REFRESH!r}"
    )
    for label, values in results.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {label:<45} median {statistics.median(values):8.2f}   ({shown})")
    print(
        "  worker RSS before (MB): "
        + ", ".join(f"{m:.0f}" for m in rss_before)
        + "; peak VmHWM after the builds (MB): "
        + ", ".join(f"{m:.0f}" for m in peak)
        + f"; task worker peak {task_worker.peak_mb:.0f} MB ({task_worker.restarts} restarts)"
    )
    print(f"  gunicorn log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
