#!/usr/bin/env python
"""Benchmark /find/ at national scale on PostgreSQL.

Seeds a dedicated database with reference data and N demo listings (skipped when it already
holds them), then requests each /find/ variant in-process and reports server time (p50/p95),
SQL queries per page and the compressed size of the page with its CSS and JS.

    make bench                                   # 100,000 listings, 30 runs per variant
    make bench BENCH_ARGS="--listings 20000 --runs 10"

Targets (PRODUCT.md): p95 <= 100 ms, bounded queries, <= 60 KB compressed. Also times the
whole /meetings.json feed and the first /hsds/services page.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/peersupport_bench"
        ),
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    create_database(args.database_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from directory.models import Resource, Schedule

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if Resource.objects.filter(is_demo=True).count() != args.listings:
        print(f"Seeding {args.listings:,} demo listings (one-off)...", flush=True)
        started = time.perf_counter()
        call_command("load_reference", verbosity=0)
        call_command("load_article", verbosity=0)
        call_command("load_gazetteer", verbosity=0)
        call_command("generate_demo", listings=args.listings, seed=1, replace=True, verbosity=0)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{Resource.objects.count():,} listings, {Schedule.objects.count():,} schedules "
        f"on {connection.vendor}\n",
        flush=True,
    )

    busiest = (
        Resource.objects.published()
        .exclude(location__isnull=True)
        .values_list("location__city", "location__region")
        .order_by()
        .first()
    )
    near = f"{busiest[0]}, {busiest[1]}" if busiest else "New York"
    variants = {
        "no filter": "/find/",
        "three facets": (
            "/find/?type=12-step-programs&attendance=in_person&attendance=hybrid&audience=women"
        ),
        "keyword": "/find/?q=serenity",
        "distance": "/find/?" + urlencode({"near": near, "radius": 25}),
        "happening now": "/find/?when=now",
        "page 5, sorted by name": "/find/?sort=name&page=5",
    }
    client = Client()
    assets = b"".join(
        (ROOT / path).read_bytes() for path in ("static/css/site.css", "static/js/find.js")
    )
    assets_gz = len(gzip.compress(assets))
    missed = []
    print(
        "Cold: the per-minute result cache is cleared before every request (a search nobody\n"
        "made in the last minute). Warm: the same search again within the minute.\n"
    )
    print(
        f"{'variant':<24}{'cold p50':>9}{'cold p95':>9}{'warm p50':>9}{'warm p95':>9}"
        f"{'queries':>9}{'KB gz':>7}"
    )
    for label, url in variants.items():
        for _ in range(2):
            cache.clear()
            client.get(url)
        cold = measure(client, url, args.runs, before=cache.clear)
        warm = measure(client, url, args.runs)
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        size_kb = (len(gzip.compress(response.content)) + assets_gz) / 1024
        print(
            f"{label:<24}{statistics.median(cold):>9.1f}{p95(cold):>9.1f}"
            f"{statistics.median(warm):>9.1f}{p95(warm):>9.1f}"
            f"{len(ctx.captured_queries):>9}{size_kb:>7.1f}",
            flush=True,
        )
        if p95(cold) > 100 or size_kb > 60:
            missed.append(label)
    print(f"\n(distance variant: near={near!r}; page size includes site.css and find.js;")
    print(" queries are counted on a cold request)\n")

    for label, url in {
        "/meetings.json": "/meetings.json",
        "/hsds/services": "/hsds/services",
    }.items():
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        print(
            f"{label:<16} {elapsed:6.2f} s  {len(ctx.captured_queries):>3} queries  "
            f"{len(body) / 1_048_576:6.1f} MB ({len(gzip.compress(body)) / 1_048_576:.1f} MB gz)",
            flush=True,
        )
    if missed:
        print("Targets missed: " + ", ".join(missed))
    return 1 if (missed and args.check) else 0


def measure(client, url: str, runs: int, before=None) -> list[float]:
    """Server time in milliseconds of `runs` requests for `url`."""
    timings = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[18] if len(timings) >= 20 else max(timings)


def create_database(url: str) -> None:
    """Create the benchmark database on first use (PostgreSQL only)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - name from our own argument


if __name__ == "__main__":
    sys.exit(main())
