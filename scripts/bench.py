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
   (scripts/bench_find.lua): /find/ (every request a new search) and /learn/ in alternating
   slices of at least 10 s (three each by default: the machine's speed drifts). Reports
   requests/s, latency p50/p99, non-2xx responses and socket errors, and the ratio of the two
   rates, overall and per pair of slices. gunicorn is always stopped at the end.
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
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from bench_inprocess import in_process, measure_index, time_feeds
from bench_load import load_misses, load_test, load_test_facts
from bench_machine import APP_NAME, OtherCpu, code_version, create_database, wait_until_quiet
from bench_seed import seed

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/peersupport_bench"


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


if __name__ == "__main__":
    sys.exit(main())
