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
import collections
import gc
import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LUA_SCRIPT = ROOT / "scripts" / "bench_find.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/peersupport_bench"
TARGET_P95_MS = 100
TARGET_PAGE_KB = 60
TARGET_RATIO = 0.40  # issue 21: with keywords and places in the mix
TARGET_KEYWORD_P95_MS = 50
TARGET_MAP_EXTRA_MS = 20  # the map view over the same search's list, p95 (issue 24)
TARGET_MAP_SVG_KB = 60  # the map's SVG, gzipped
KEYWORD_VARIANTS = ("common keyword", "two common words", "common word, typo")
WARMUP = 2  # untimed requests per variant (template loading, the first index build)
WARMUP_SECONDS = 3  # of untimed load before each timed wrk run
INDEX_BUILT = "search index built"
INDEX_LOADED = "search index loaded"  # another process of this machine built it
APP_NAME = "peersupport-bench"  # PostgreSQL application_name of the benchmark's connections


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


def visitor_words(rows, limit: int = 200) -> list[str]:
    """The ``limit`` words (3+ letters, not stop words) in most listings' names and
    descriptions, commonest first, ties alphabetically: what visitors type into "What" is
    mostly these (and typos of them). On the demo data the first are the words of the demo
    notice every listing carries (in every listing: the worst case)."""
    from directory.search.analysis import STOP_WORDS

    counts: collections.Counter = collections.Counter()
    for name, description in rows:
        counts.update(set(re.findall(r"[a-z]{3,}", f"{name} {description}".lower())))
    ranked = sorted(
        (word for word in counts if word not in STOP_WORDS), key=lambda w: (-counts[w], w)
    )
    return ranked[:limit]


def typo(word: str, seed: int) -> str:
    """A typing slip: a letter dropped or two swapped (never the first)."""
    if len(word) < 4:
        return word
    i = 1 + seed % (len(word) - 2)
    if seed % 2:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def visitor_queries(rows, places) -> dict:
    """Keywords (frequent words, typos of them, two frequent words) and places (towns, ZIP
    codes) for the load test and the soak drill."""
    words = visitor_words(rows)
    typos = [typo(word, i) for i, word in enumerate(words[:60])]
    pairs = [f"{a} {b}" for a, b in zip(words[:40], words[1:41], strict=True)]
    return {"words": words, "typos": typos, "pairs": pairs, "places": places}


def load_test_facts() -> dict:
    """Slugs, keywords and places the wrk script draws its searches from."""
    from directory.models import Feature, Listing, Location, SupportType

    rows = Listing.objects.published().values_list("name", "description").iterator(5000)
    towns = (
        Location.objects.filter(country="US")
        .exclude(city="")
        .values_list("city", "region")
        .distinct()
        .order_by("city", "region")
    )
    places = [f"{city}, {region}" for city, region in towns[:300]]
    places += list(
        Location.objects.filter(country="US")
        .exclude(postal_code="")
        .order_by("postal_code")
        .values_list("postal_code", flat=True)
        .distinct()[:100]
    )
    return {
        **visitor_queries(rows, places),
        "types": list(SupportType.objects.order_by("slug").values_list("slug", flat=True)),
        "audiences": list(
            Feature.objects.filter(category__slug="audience")
            .order_by("slug")
            .values_list("slug", flat=True)
        ),
    }


def production_env(args, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SETTINGS_MODULE="peersupport.settings",
        # 60 characters from the URL-safe alphabet: passes the production key check.
        DJANGO_SECRET_KEY=secrets.token_urlsafe(45),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DIRECTORY_EMAIL_DISABLED="true",  # the benchmark's server sends no mail
        REDIS_URL="redis://127.0.0.1:6379/15",
        DATABASE_URL=args.database_url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(args.workers),
        # As the image sets it (Dockerfile); MALLOC_ARENA_MAX in the environment tries another
        # value (glibc's default is 8 arenas per core).
        MALLOC_ARENA_MAX=os.environ.get("MALLOC_ARENA_MAX", "2"),
        # HTTPS stays on (SECURE_SSL_REDIRECT, HSTS, secure cookies): wrk says the request came
        # through a TLS proxy with X-Forwarded-Proto, which the settings and gunicorn trust
        # from 127.0.0.1, exactly as behind the production load balancer.
    )
    return env


def load_test(args, facts: dict) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (Debian's package)")
    port = free_port()
    env = production_env(args, port)
    collect_static(env)
    threads = env.get("GUNICORN_THREADS") or gunicorn_setting("threads")
    print(
        f"Under load: gunicorn (production settings, {args.workers} workers x {threads} threads)"
        f" on 127.0.0.1:{port}; wrk {args.threads} threads, {args.connections} connections,"
        f" {args.load_seconds} s per URL after {WARMUP_SECONDS} untimed seconds",
        flush=True,
    )
    results: dict = {"workers": args.workers, "threads_per_worker": int(threads)}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        server = start_gunicorn(env, log_path)
        try:
            started = time.perf_counter()
            wait_until_ready(server, port, log_path, args.workers)
            results["ready_in"] = time.perf_counter() - started
            results["worker_rss_mb"] = worker_rss_mb(server.pid)
            results["worker_pss_mb"] = worker_rss_mb(server.pid, field="Pss")
            results["worker_builds_s"] = index_builds(log_path)
            print(
                f"  ready in {results['ready_in']:.1f} s; index "
                + (
                    f"built at start ({', '.join(f'{s:.1f}' for s in results['worker_builds_s'])}"
                    " s: once in the master, inherited by the workers)"
                    if results["worker_builds_s"]
                    else "loaded from the file of an earlier run's build (same data version)"
                )
                + "; worker RSS "
                + f"{', '.join(f'{m:.0f}' for m in results['worker_rss_mb'])} MB, PSS (shared "
                f"pages split between processes) "
                f"{', '.join(f'{m:.0f}' for m in results['worker_pss_mb'])} MB",
                flush=True,
            )
            for label, script_args in (
                ("find", find_mix(args.threads, facts)),
                ("learn", ["path", "/learn/"]),
            ):
                # A few untimed seconds first: each worker loads its templates on first use.
                run_wrk(args, port, script_args, seconds=WARMUP_SECONDS)
                builds_before = count_in_log(log_path, INDEX_BUILT)
                result = run_wrk(args, port, script_args, seconds=args.load_seconds)
                result["index_builds"] = count_in_log(log_path, INDEX_BUILT) - builds_before
                results[label] = result
        except Exception:
            print("gunicorn log (last lines):\n" + tail(log_path), file=sys.stderr)
            raise
        finally:
            stop(server)
    find, learn = results["find"], results["learn"]
    results["ratio"] = find["rps"] / learn["rps"] if learn["rps"] else 0.0
    print(
        f"\n{'URL':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'requests':>10}"
        f"{'non-2xx':>9}{'socket err':>11}{'distinct':>10}{'rebuilds':>9}"
    )
    for label in ("find", "learn"):
        r = results[label]
        print(
            f"/{label + '/':<7}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['max_ms']:>9.1f}{r['requests']:>10,}{r['non2xx']:>9}{r['socket_errors']:>11}"
            f"{r['distinct'] if label == 'find' else '-':>10}{r['index_builds']:>9}"
        )
    print(
        f"\n/find/ : /learn/ = {results['ratio']:.1%} of the requests per second "
        f"(target >= {TARGET_RATIO:.0%})\n(rebuilds: search indexes built by workers gunicorn "
        "started during the run: max_requests recycles workers)",
        flush=True,
    )
    return results


def gunicorn_setting(name: str) -> str:
    """A setting's default in peersupport/gunicorn.conf.py (what production runs with)."""
    import runpy

    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("GUNICORN_")}
    try:
        return str(runpy.run_path(str(ROOT / "peersupport" / "gunicorn.conf.py"))[name])
    finally:
        os.environ.update(saved)


def collect_static(env: dict) -> None:
    """Production serves collectstatic's fingerprinted files (the manifest must exist)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )


def setup_django(database_url: str) -> None:
    """Django for a drill script, on ``database_url`` (created when missing)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    create_database(database_url)
    import django

    django.setup()


def find_mix(threads: int, facts: dict) -> list[str]:
    """bench_find.lua's arguments for the visitors' mix of new searches (``load_test_facts``)."""
    return [
        "find",
        str(threads),
        ",".join(facts["types"]),
        ",".join(facts["audiences"]),
        "|".join(facts["words"]),
        "|".join(facts["typos"]),
        "|".join(facts["pairs"]),
        "|".join(facts["places"]),
    ]


def run_wrk(args, port: int, script_args: list[str], seconds: int) -> dict:
    command = [
        "wrk",
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--header=X-Forwarded-Proto: https",
        f"--script={LUA_SCRIPT}",
        f"http://127.0.0.1:{port}",
        "--",
        *script_args,
    ]
    completed = subprocess.run(  # noqa: S603 - our own command line, no shell
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    match = re.search(r"^BENCH_RESULT (\{.*\})$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / result["duration_s"]
    result["socket_errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    return result


def load_misses(load: dict) -> list[str]:
    missed = []
    if load["ratio"] < TARGET_RATIO:
        missed.append(f"/find/ served {load['ratio']:.0%} of /learn/'s requests/s")
    for label in ("find", "learn"):
        r = load[label]
        if r["non2xx"] or r["socket_errors"]:
            missed.append(
                f"/{label}/ under load: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors"
            )
    return missed


def start_gunicorn(env: dict, log_path: Path) -> subprocess.Popen:
    """gunicorn as production runs it, logging to ``log_path``, in its own process group (so
    ``stop`` ends it and its workers as a whole). Also used by bench_feeds.py and soak.py."""
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - our own command line, no shell
            [sys.executable, "-m", "gunicorn", "-c", "peersupport/gunicorn.conf.py",
             "peersupport.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def wait_until_ready(server, port: int, log_path: Path, workers: int, limit: float = 600):
    """Until /healthz answers, the search index is built (once in the gunicorn master, which
    the workers inherit) and /find/ is 200."""
    deadline = time.monotonic() + limit
    for path in ("/healthz", None, "/find/"):
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not ready after {limit:.0f} s")
            if path is None:
                if count_in_log(log_path, INDEX_BUILT) + count_in_log(log_path, INDEX_LOADED):
                    break
            elif get_status(port, path) == 200:
                break
            time.sleep(0.5)


def get_status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def stop(server) -> None:
    """Stop gunicorn and its workers (its own process group): TERM, then KILL."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=40)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def worker_rss_mb(parent: int, field: str = "VmRSS") -> list[float]:
    """Memory of the parent's child processes: VmRSS or RssAnon (status), or Pss from
    smaps_rollup."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent:
                source = entry / ("status" if field in {"VmRSS", "RssAnon"} else "smaps_rollup")
                sizes.append(proc_status_kb(field, source) / 1024)
        except (OSError, ValueError, IndexError):
            continue
    return sorted(sizes)


def index_builds(log_path: Path) -> list[float]:
    """The seconds of each search index build the server logged (JSON lines in production)."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [float(s) for s in re.findall(INDEX_BUILT + r": [^\n\"]*?, ([0-9.]+) s\b", text)]


def count_in_log(path: Path, text: str) -> int:
    return path.read_text(errors="replace").count(text) if path.exists() else 0


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def cpu_busy(seconds: float = 2.0) -> float:
    """The share of all CPUs busy over ``seconds`` (from /proc/stat; 0 where unavailable)."""

    def sample() -> tuple[int, int]:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return 0, 0
        return sum(fields[:8]), fields[3] + fields[4]  # total, idle + iowait

    total, idle = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    return 1 - (idle2 - idle) / (total2 - total) if total2 > total else 0.0


def cpu_snapshot() -> dict[tuple[int, int], tuple[int, int, str]]:
    """(pid, start time): (parent pid, CPU ticks used so far, command line) of every process."""
    snapshot = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            snapshot[int(entry.name), int(fields[19])] = (
                int(fields[1]),
                int(fields[11]) + int(fields[12]),
                command,
            )
        except (OSError, ValueError, IndexError):
            continue
    return snapshot


class OtherCpu:
    """The share of the CPUs that processes other than this benchmark's used during a phase.

    Ours: this process and its descendants (gunicorn, wrk), the PostgreSQL backends they
    opened (application name APP_NAME, set with PGAPPNAME) and their parallel workers,
    PostgreSQL's own background processes, Redis, kernel threads. Anything else (another test
    suite or benchmark on a shared machine, even on the same database) slows the figures
    down. A forked watcher (no lock shared with the timed requests) samples every process
    once a second, so short-lived ones count too, up to their last second: a close lower
    bound.
    """

    INTERVAL = 1.0

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.share = 0.0
        self.first: dict[tuple[int, int], int] = {}  # CPU ticks when first seen
        self.last: dict[tuple[int, int], int] = {}
        self.ours: set[tuple[int, int]] = set()
        self.backends: set[int] = set()
        self.connection = None

    def _our_backends(self) -> set[int]:
        if not urlparse(self.database_url).scheme.startswith("postgres"):
            return set()
        import psycopg

        try:
            if self.connection is None:
                self.connection = psycopg.connect(
                    self.database_url, connect_timeout=5, autocommit=True
                )
            rows = self.connection.execute(
                "SELECT pid, leader_pid, application_name FROM pg_stat_activity"
            ).fetchall()
        except psycopg.Error:
            self.connection = None
            return set()
        apps = {pid: app for pid, _, app in rows}
        return {
            pid
            for pid, leader, app in rows
            if app == APP_NAME or (leader is not None and apps.get(leader) == APP_NAME)
        }

    def _sample(self, initial: bool = False) -> None:
        self.backends |= self._our_backends()
        snapshot = cpu_snapshot()
        parents = {pid: ppid for (pid, _), (ppid, _, _) in snapshot.items()}
        me = self.me
        for key, (_, used, command) in snapshot.items():
            if key not in self.first:
                self.first[key] = used if initial else 0  # started during the phase
                if self._is_ours(key[0], command, parents, me):
                    self.ours.add(key)
            elif command.startswith("postgres:") and key[0] in self.backends:
                self.ours.add(key)
            self.last[key] = used

    def _is_ours(self, pid: int, command: str, parents: dict, me: int) -> bool:
        if not command or command.startswith(("redis-server", "/usr/lib/postgresql")):
            return True
        if command.startswith("postgres:"):
            client = "(" in command or "[local]" in command or "parallel worker" in command
            return not client or pid in self.backends
        seen = 0
        while pid and seen < 64:
            if pid == me:
                return True
            pid, seen = parents.get(pid, 0), seen + 1
        return False

    def _watch(self, sender, me: int) -> None:
        """In the forked watcher: sample until told to stop, then send the share."""
        self.me = me
        self._sample(initial=True)
        started = time.monotonic()
        sender.send("ready")
        while not self.stopping.wait(self.INTERVAL):
            self._sample()
        self._sample()
        elapsed = time.monotonic() - started
        ticks = sum(self.last[key] - self.first[key] for key in self.last if key not in self.ours)
        if self.connection is not None:
            self.connection.close()
        hertz = os.sysconf("SC_CLK_TCK")
        sender.send(ticks / hertz / (elapsed * (os.cpu_count() or 1)) if elapsed else 0.0)

    def __enter__(self):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.stopping = context.Event()
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=self._watch, args=(sender, os.getpid()), name="other-cpu", daemon=True
        )
        self.process.start()
        if self.receiver.poll(30):
            self.receiver.recv()  # the first sample is taken: the phase may start
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.share = self.receiver.recv() if self.receiver.poll(60) else 0.0
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
        return False

    def report(self, phase: str) -> float:
        if self.share > 0.05:
            print(
                f"WARNING: other processes used {self.share:.0%} of the CPUs during the {phase}: "
                "its figures are pessimistic",
                flush=True,
            )
        else:
            print(f"(other processes used {self.share:.0%} of the CPUs during the {phase})")
        return self.share


def wait_until_quiet(limit: int) -> float:
    """Wait up to ``limit`` s for the CPUs to be idle; warn when other work keeps them busy."""
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy > 0.10 and time.monotonic() < deadline:
        time.sleep(5)
        busy = cpu_busy()
    if busy > 0.10:
        print(
            f"WARNING: other processes keep the CPUs {busy:.0%} busy: the figures below are "
            "pessimistic (--wait-quiet SECONDS waits for a quiet machine)",
            flush=True,
        )
    return busy


def code_version() -> str:
    """The commit measured, and whether the work tree had changes (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown commit"
    changed = [line[3:] for line in changed if line.strip()]
    return f"commit {head}" + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[18] if len(timings) >= 20 else max(timings)


def proc_status_kb(field: str, path: Path | str = "/proc/self/status") -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs), so a peak is this one's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def create_database(url: str) -> None:
    """Create the benchmark database on first use (PostgreSQL only)."""
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
