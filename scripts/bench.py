#!/usr/bin/env python
"""Benchmark /find/ at national scale on PostgreSQL, in-process and under load.

Seeds a dedicated database with reference data and N demo listings (skipped when it already
holds them), then:

1. In-process (Django's test client, DEBUG on): builds the search index once to report its
   build time, array size and the memory it adds; then requests each /find/ variant and
   /peer-workers/ --runs times and reports server time (p50/p95), SQL queries per page and
   the compressed size of the page with its CSS and JS. Nothing caches search results; to
   make sure nothing could, every timed request is a search not made before (each /find/
   request gets another visitor time zone, /peer-workers/ another page).
2. Under load (--load-seconds, 0 to skip): starts gunicorn with the production settings
   (DEBUG off, a random secret key, Redis, peersupport/gunicorn.conf.py) on a free port of
   127.0.0.1, waits until every worker has built its search index, then drives it with wrk
   (scripts/bench_find.lua): first /find/, every request a new search, then /learn/. Reports
   requests/s, latency p50/p99, non-2xx responses and socket errors, and the ratio of the two
   rates. gunicorn is always stopped at the end.
3. With --scales 10000,100000,300000: runs 1 (and 2 when --load-seconds > 0) in a separate
   process per scale, on its own database peersupport_bench_<n>, and compares them.

    make bench                                   # 100,000 listings, 30 runs, 30 s of load
    make bench BENCH_ARGS="--runs 10 --load-seconds 10 --check"
    make bench BENCH_ARGS="--scales 10000,100000,300000 --runs 20 --load-seconds 0"

Targets (PRODUCT.md): p95 <= 100 ms, bounded queries, <= 60 KB compressed; under load, /find/
serves at least a quarter of the requests per second of a static-ish page (/learn/), without
errors. --check exits 1 when one is missed. Also times the whole /meetings.json feed and the
first /hsds/services page (--no-feeds to skip). Results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

from bench_load import load_misses, load_test, load_test_facts, typo, visitor_words
from bench_machine import (
    APP_NAME,
    ROOT,
    OtherCpu,
    code_version,
    create_database,
    p95,
    proc_status_kb,
    reset_peak_rss,
    wait_until_quiet,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/peersupport_bench"
TARGET_P95_MS = 100
TARGET_PAGE_KB = 60
TARGET_KEYWORD_P95_MS = 50
TARGET_MAP_EXTRA_MS = 20  # the map view over the same search's list, p95 (issue 24)
TARGET_MAP_SVG_KB = 60  # the map's SVG, gzipped
KEYWORD_VARIANTS = ("common keyword", "two common words", "common word, typo")
WARMUP = 2  # untimed requests per variant (template loading, the first index build)


def forget_shown_cards() -> None:
    """Empty the card rows that /find/ keeps per index (directory.search.cards), and the
    keywords it has read (directory.search.text): each timed request is cold."""
    from directory.search import cards, text

    cards._card_rows = cards._CardRows()
    text._parsed_keywords = text._ParsedKeywords()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per variant")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument(
        "--load-seconds", type=int, default=30, help="seconds of wrk per URL (0: no load test)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--scales",
        help="comma-separated listing counts, each on its own database peersupport_bench_<n>",
    )
    parser.add_argument(
        "--feeds",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time /meetings.json and /hsds/services too",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each variant that misses its target"
    )
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="wait up to this long for other processes to leave the CPUs idle (< 10%% busy)",
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    print(f"Code: {code_version()}; {os.cpu_count()} CPUs", flush=True)
    if args.scales:
        missed = run_scales(args)
    else:
        report = run(args)
        missed = report["missed"]
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1))
    if missed:
        print("\nTargets missed: " + "; ".join(missed))
    else:
        print("\nEvery target met.")
    return 1 if (missed and args.check) else 0


# --- one scale -----------------------------------------------------------------------------


def run(args) -> dict:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["PGAPPNAME"] = APP_NAME  # libpq: tells our connections from anyone else's
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    create_database(args.database_url)

    import django

    django.setup()
    # One log line per request would drown the report (and costs time of its own).
    import logging

    for name in ("peersupport.request", "directory.search.freshness"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.conf import settings
    from django.db import connections

    settings.ALLOWED_HOSTS = ["*"]
    report: dict = {
        "database": urlparse(args.database_url).path.lstrip("/"),
        "code": code_version(),
        "missed": [],
    }
    seed(args.listings, report)
    report["busy_before"] = wait_until_quiet(args.wait_quiet)
    with OtherCpu(args.database_url) as other:
        report["index"] = ix = measure_index()
        print(
            f"Search index: {ix['listings']:,} listings, {ix['schedules']:,} schedules; built "
            f"in {ix['built_in']:.2f} s; arrays {ix['nbytes'] / 1_048_576:.1f} MB; process RSS"
            f" +{ix['rss_added_mb']:.0f} MB with it held (peak +{ix['peak_added_mb']:.0f} MB "
            f"while building); after one listing's edit, rebuilt in "
            f"{ix.get('rebuilt_in', 0):.2f} s keeping {ix.get('rebuild_kept', 0):,} listings\n",
            flush=True,
        )
        in_process(args, report)
    report["other_cpu_in_process"] = other.report("in-process phase")
    if args.feeds:
        time_feeds()
    facts = load_test_facts()
    connections.close_all()
    if args.load_seconds > 0:
        report["busy_before_load"] = wait_until_quiet(args.wait_quiet)
        with OtherCpu(args.database_url) as other:
            report["load"] = load_test(args, facts)
        report["other_cpu_load"] = other.report("load test")
        report["missed"] += load_misses(report["load"])
    return report


def seed(listings: int, report: dict) -> None:
    """Migrate and, unless it holds ``listings`` demo listings, seed the database.

    The commands run in their own processes, so this one's memory (measured below) is not
    that of seeding. VACUUM ANALYZE afterwards, so autovacuum does not start in the middle of
    the measurements after a fresh seed.
    """
    from django.db import connection

    from directory.models import Listing, Schedule

    manage("migrate", "--noinput")
    if Listing.objects.filter(is_demo=True).count() != listings:
        print(f"Seeding {listings:,} demo listings (one-off)...", flush=True)
        started = time.perf_counter()
        for command in ("setup_roles", "load_reference", "load_article", "load_gazetteer"):
            manage(command)
        summary = manage(
            "generate_demo", f"--listings={listings}", "--seed=1", "--replace"
        ).splitlines()
        report["seeded_in"] = time.perf_counter() - started
        print(f"  {summary[-1] if summary else ''}", flush=True)
        print(f"  seeded in {report['seeded_in']:.1f} s", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")
    report["listings"] = Listing.objects.count()
    report["schedules"] = Schedule.objects.count()
    print(
        f"{report['database']}: {report['listings']:,} listings, "
        f"{report['schedules']:,} schedules on {connection.vendor} "
        f"(VACUUM ANALYZE {time.perf_counter() - started:.1f} s)\n",
        flush=True,
    )


def manage(*arguments: str) -> str:
    """Run a manage.py command in its own process (same environment); its output."""
    completed = subprocess.run(  # noqa: S603 - manage.py with our own arguments, no shell
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{completed.stderr}")
    return completed.stdout


def measure_index() -> dict:
    """Build the search index once: time, array bytes and the memory it adds to the process.
    Then the rebuild after one staff edit (a listing renamed, then named back): what the
    previous index holds of the other listings is kept."""
    from directory.models import Listing
    from directory.search.builder import build_index

    gc.collect()
    reset_peak_rss()
    before = proc_status_kb("VmRSS")
    ix = build_index()
    gc.collect()
    held = proc_status_kb("VmRSS")
    peak = proc_status_kb("VmHWM")
    facts = {
        "listings": ix.size,
        "schedules": len(ix.schedule_listing),
        "built_in": ix.built_in,
        "nbytes": ix.nbytes,
        "rss_added_mb": (held - before) / 1024,
        "peak_added_mb": (peak - before) / 1024,
    }
    edited = Listing.objects.published().order_by("pk").values_list("pk", "name").first()
    if edited is not None:
        pk, name = edited
        Listing.objects.filter(pk=pk).update(name=f"{name} (bench)")
        try:
            kept = build_index(previous=ix)
        finally:
            Listing.objects.filter(pk=pk).update(name=name)
        facts["rebuilt_in"], facts["rebuild_kept"] = kept.built_in, kept.kept
        del kept
    del ix
    gc.collect()
    return facts


def in_process(args, report: dict) -> None:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from directory.models import Listing, Place
    from directory.validators import known_time_zones

    busiest = (
        Listing.objects.published()
        .exclude(location__isnull=True)
        .values("location__city", "location__region")
        .annotate(n=Count("pk"))
        .order_by("-n", "location__city")
        .first()
    )
    near = f"{busiest['location__city']}, {busiest['location__region']}" if busiest else "Boston"
    report["near"] = near
    words = visitor_words(Listing.objects.published().values_list("name", "description"))
    slip_of = next(word for word in words if len(word) >= 5)  # shorter: no typo to guess
    report["common_words"] = [*words[:2], typo(slip_of, 1)]
    variants = {
        "no filter": "/find/",  # no place given: online listings (the place-first rule)
        "every kind, no place": (
            "/find/?attendance=in_person&attendance=online&attendance=hybrid"
        ),  # what "no filter" searched before that rule: every listing
        "three facets": (
            "/find/?type=12-step-programs&attendance=in_person&attendance=hybrid&audience=women"
        ),
        "keyword": "/find/?q=serenity",
        # What visitors type most: the commonest word, two common words, a typo of the first.
        "common keyword": "/find/?" + urlencode({"q": words[0]}),
        "two common words": "/find/?" + urlencode({"q": f"{words[0]} {words[1]}"}),
        "common word, typo": "/find/?" + urlencode({"q": typo(slip_of, 1)}),
        "keyword and place": "/find/?" + urlencode({"q": words[1], "near": near, "radius": 25}),
        "distance": "/find/?" + urlencode({"near": near, "radius": 25}),
        "happening now": "/find/?when=now",
        "page 5, sorted by name": "/find/?sort=name&page=5",
    }
    # The map view of three of them (issue 24): its cost over the list's, and its SVG's size.
    for listed in ("distance", "keyword and place", "every kind, no place"):
        url = variants[listed]
        variants[f"{listed}, map"] = f"{url}{'&' if '?' in url else '?'}view=map"
    # A different visitor time zone for every request: every search is one not made before,
    # and no request reuses the schedule conditions (TimeMasks) of another.
    zones = sorted(
        zone
        for zone in known_time_zones()
        if zone.split("/")[0] in {"America", "Europe", "Asia", "Australia", "Pacific", "Africa"}
    )
    needed = WARMUP + args.runs
    step = max(1, len(zones) // needed)
    zones = [zones[(i * step) % len(zones)] for i in range(needed)]

    def distinct_find(url: str):
        joiner = "&" if "?" in url else "?"
        return [f"{url}{joiner}tz={zone}" for zone in zones]

    requests = {label: distinct_find(url) for label, url in variants.items()}
    # The same with another town each request (the busiest towns): each map's basemap is
    # drawn cold, not taken from the per-view cache a popular town's map hits.
    # The biggest US towns: the demo places its listings around the gazetteer's towns.
    towns = [
        f"{name}, {region}"
        for name, region in Place.objects.filter(kind=Place.Kind.CITY, country="US")
        .exclude(region_code="")
        .order_by("-population")
        .values_list("name", "region_code")[:needed]
    ]
    for label, extra in (
        ("distance, many towns", {}),
        ("distance, many towns, map", {"view": "map"}),
    ):
        requests[label] = [
            "/find/?"
            + urlencode({"near": towns[i % len(towns)], "radius": 25, **extra})
            + f"&tz={zone}"
            for i, zone in enumerate(zones)
        ]
    requests["/peer-workers/"] = [f"/peer-workers/?page={i + 1}" for i in range(needed)]

    client = Client()
    # As gunicorn's master does once the app and the index are loaded (gunicorn.conf.py):
    # what exists before the first request is frozen, and no collection rescans it.
    client.get("/find/")
    gc.collect()
    gc.freeze()
    assets = b"".join(
        (ROOT / path).read_bytes() for path in ("static/css/site.css", "static/js/find.js")
    )
    assets_gz = len(gzip.compress(assets))
    print(
        f"In-process, {args.runs} timed requests per variant after {WARMUP} untimed ones, each\n"
        "a search not made before (/find/: another tz each time; /peer-workers/: another\n"
        "page). Server time in ms; SQL queries per page as min-max over the timed requests.\n"
    )
    print(f"{'variant':<24}{'p50':>8}{'p95':>8}{'max':>8}{'queries':>9}{'KB gz':>7}")
    report["variants"] = {}
    for label, urls in requests.items():
        timings, queries = [], []
        for i, url in enumerate(urls):
            forget_shown_cards()  # cold: no card or keyword of earlier pages in memory
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if i >= WARMUP:
                timings.append(elapsed)
                queries.append(len(ctx.captured_queries))
        page_gz = len(gzip.compress(response.content))
        svg = re.search(rb'<svg class="map-svg".*?</svg>', response.content, re.S)
        size_kb = (page_gz + (assets_gz if label != "/peer-workers/" else 0)) / 1024
        result = {
            "p50": statistics.median(timings),
            "p95": p95(timings),
            "max": max(timings),
            "queries_min": min(queries),
            "queries_max": max(queries),
            "kb_gz": size_kb,
        }
        if svg:
            result["svg_kb_gz"] = len(gzip.compress(svg.group(0))) / 1024
        report["variants"][label] = result
        spread = (
            f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}-{max(queries)}"
        )
        print(
            f"{label:<24}{result['p50']:>8.1f}{result['p95']:>8.1f}{result['max']:>8.1f}"
            f"{spread:>9}{size_kb:>7.1f}",
            flush=True,
        )
        target = TARGET_KEYWORD_P95_MS if label in KEYWORD_VARIANTS else TARGET_P95_MS
        if result["p95"] > target:
            report["missed"].append(f"{label}: p95 {result['p95']:.0f} ms > {target} ms")
            if args.profile:
                profile(client, urls[-5:], label)
        if label != "/peer-workers/" and size_kb > TARGET_PAGE_KB:
            report["missed"].append(f"{label}: {size_kb:.0f} KB gzipped > {TARGET_PAGE_KB} KB")
    gc.unfreeze()
    print("\nThe map view's cost over the list's (p95, ms) and its SVG (KB gzipped):")
    for label, result in report["variants"].items():
        if not label.endswith(", map"):
            continue
        listed = report["variants"][label.removesuffix(", map")]
        result["cost_over_list_p95"] = extra = result["p95"] - listed["p95"]
        print(f"  {label:<30}{extra:>+8.1f} ms{result.get('svg_kb_gz', 0):>8.1f} KB")
        if extra > TARGET_MAP_EXTRA_MS:
            report["missed"].append(
                f"{label}: +{extra:.0f} ms over the list > {TARGET_MAP_EXTRA_MS}"
            )
        if result.get("svg_kb_gz", 0) > TARGET_MAP_SVG_KB:
            report["missed"].append(
                f"{label}: SVG {result['svg_kb_gz']:.0f} KB gz > {TARGET_MAP_SVG_KB}"
            )
    print(
        f"\n(distance: near={near!r}, the place with the most listings; /find/ page size"
        "\n includes site.css and find.js; a query count one higher includes the index's"
        "\n freshness check, every half second)\n"
    )


def profile(client, urls: list[str], label: str) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for url in urls:
        client.get(url)
    profiler.disable()
    print(f"\n--- cProfile of {len(urls)} requests, {label}: top functions by own time")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    print(f"--- {label}: by cumulative time")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def time_feeds() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
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
    print()


# --- under load ----------------------------------------------------------------------------


# --- several scales ------------------------------------------------------------------------


def run_scales(args) -> list[str]:
    """Each scale in its own process and database; then one table to compare them."""
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    base = args.database_url.rsplit("/", 1)[0]
    reports = {}
    with tempfile.TemporaryDirectory(prefix="bench-scales-") as tmp:
        for n in scales:
            out = Path(tmp) / f"{n}.json"
            print(f"\n===== {n:,} listings =====", flush=True)
            command = [
                sys.executable,
                __file__,
                f"--listings={n}",
                f"--runs={args.runs}",
                f"--database-url={base}/peersupport_bench_{n}",
                f"--load-seconds={args.load_seconds}",
                f"--connections={args.connections}",
                f"--threads={args.threads}",
                f"--workers={args.workers}",
                f"--wait-quiet={args.wait_quiet}",
                "--no-feeds",
                f"--json={out}",
                *(["--profile"] if args.profile else []),
            ]
            subprocess.run(command, check=False)  # noqa: S603 - this script, no shell
            if not out.exists():
                raise SystemExit(f"the run at {n:,} listings failed")
            reports[n] = json.loads(out.read_text())
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))
    print_scale_series(reports)
    return [f"{n:,} listings: {m}" for n, report in reports.items() for m in report["missed"]]


def print_scale_series(reports: dict[int, dict]) -> None:
    labels = list(next(iter(reports.values()))["variants"])
    short = {
        label: label.split(",")[0].replace("/peer-workers/", "workers")[:9] for label in labels
    }
    print("\n===== Scale series: the search index =====\n")
    print(
        f"{'scale':>8}{'listings':>10}{'schedules':>10}{'build s':>8}{'rebuild':>8}"
        f"{'arrays MB':>10}{'RSS MB':>8}{'peak MB':>8}{'other CPU':>10}"
    )
    for n, report in reports.items():
        ix = report["index"]
        print(
            f"{n:>8,}{ix['listings']:>10,}{ix['schedules']:>10,}{ix['built_in']:>8.2f}"
            f"{ix.get('rebuilt_in', 0):>8.2f}{ix['nbytes'] / 1_048_576:>10.1f}"
            f"{ix['rss_added_mb']:>8.0f}"
            f"{ix['peak_added_mb']:>8.0f}{report.get('other_cpu_in_process', 0):>10.0%}"
        )
    for stat in ("p50", "p95"):
        print(f"\n===== Scale series: server {stat} in ms, in-process =====\n")
        print(f"{'scale':>8}" + "".join(f"{short[label]:>10}" for label in labels))
        for n, report in reports.items():
            print(
                f"{n:>8,}"
                + "".join(f"{report['variants'][label][stat]:>10.1f}" for label in labels)
            )
    if any("load" in report for report in reports.values()):
        print(f"\n{'listings':>9}{'find req/s':>11}{'learn req/s':>12}{'ratio':>7}")
        for report in reports.values():
            if "load" in report:
                load = report["load"]
                print(
                    f"{report['index']['listings']:>9,}{load['find']['rps']:>11.1f}"
                    f"{load['learn']['rps']:>12.1f}{load['ratio']:>7.1%}"
                )


# --- helpers -------------------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
