#!/usr/bin/env python3
"""How long a staff edit takes to reach searches, under load (docs/performance.md).

Starts gunicorn with the production settings (as scripts/bench.py does) on the benchmark
database and loads it with wrk sending the visitors' mix of new searches (keywords, places,
facets: scripts/bench_find.lua) at 16 connections. Then, ``--changes`` times, from this
process (another process than the server's, as an editor's admin request would be):

1. one published listing is renamed to include a word no listing has, in turn alone, with its
   schedules rewritten, and with those and a feature link (one transaction, as an admin save
   with its inlines: ``EDITS``);
2. ``/find/?q=<that word>&attendance=in_person`` is asked until the listing's link is in the
   answer (the first answer with the change: the freshness check, one index build, the swap);
3. then 8 more answers must all have it (the other workers load the shared build).

Each name is put back at the end, and the database is as it was (the puts-back are edits too:
the server rebuilds once more). Reports the seconds from the commit to the first answer with
the change and to the 8th of the following, and the index builds the log reports with their
times. Traffic goes to 127.0.0.1 only; everything it starts is stopped at the end.

    DJANGO_DEBUG=true .venv/bin/python scripts/bench_freshness.py [--changes 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench
import bench_load
import bench_server

TARGET_SECONDS = 5.0
AGREEING_ANSWERS = 8
# What each change writes, in turn, in one transaction: the search word is in the new name.
EDITS = ("the name", "the name and the schedules", "the name, the schedules and a feature link")


def has_listing(port: int, word: str, slug: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        # In-person listings: without a place, /find/ shows online ones unless asked.
        path = f"/find/?q={word}&attendance=in_person"
        connection.request("GET", path, headers={"X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        return f"/resources/{slug}/" in body
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=bench.DEFAULT_DATABASE_URL)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds to wait per change")
    parser.add_argument("--check", action="store_true", help="exit 1 when over the target")
    args = parser.parse_args()

    bench_server.setup_django(args.database_url)
    from django.db import transaction
    from django.db.models import F

    from directory.models import Listing, Schedule

    Link = Listing.features.through

    report: dict = {"database": args.database_url.rsplit("/", 1)[-1]}
    bench.seed(args.listings, report)
    facts = bench_load.load_test_facts()
    chosen = list(
        Listing.objects.published()
        .filter(attendance=Listing.Attendance.IN_PERSON)
        .order_by("?")
        .values_list("pk", "slug", "name")[: args.changes]
    )

    port = bench_server.free_port()
    env = bench_server.production_env(args, port)
    bench_server.collect_static(env)
    script_args = bench_load.find_mix(args.threads, facts)
    first, agreed = [], []
    with tempfile.TemporaryDirectory(prefix="bench-freshness-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        server = bench_server.start_gunicorn(env, log_path)
        load = None
        try:
            bench_server.wait_until_ready(server, port, log_path, args.workers)
            load = subprocess.Popen(  # noqa: S603 - our own command line, no shell
                [
                    shutil.which("wrk") or "wrk",
                    f"--threads={args.threads}",
                    f"--connections={args.connections}",
                    f"--duration={int(args.changes * (args.limit + 10) + 30)}s",
                    "--timeout=10s",
                    "--header=X-Forwarded-Proto: https",
                    f"--script={bench_load.LUA_SCRIPT}",
                    f"http://127.0.0.1:{port}",
                    "--",
                    *script_args,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            time.sleep(8)  # the load settles (workers' templates loaded)
            print(
                f"gunicorn (production settings, {args.workers} workers) under wrk "
                f"({args.connections} connections, the visitors' mix of new searches); "
                f"{args.changes} listings renamed, one at a time:",
                flush=True,
            )
            for pk, slug, name in chosen:
                word = "zq" + secrets.token_hex(4)
                what = EDITS[len(first) % len(EDITS)]
                with transaction.atomic():  # as an admin save with its inlines
                    Listing.objects.filter(pk=pk).update(name=f"{name} {word}")
                    if what != EDITS[0]:  # the schedules rewritten, as they were
                        Schedule.objects.filter(listing_id=pk).update(notes=F("notes"))
                    link = Link.objects.filter(listing_id=pk).first()
                    if what == EDITS[2] and link is not None:  # a feature link taken off and on
                        link.delete()
                        Link.objects.create(listing_id=pk, feature_id=link.feature_id)
                committed = time.monotonic()
                at = dt.datetime.now(dt.UTC).isoformat()[11:23]
                while not has_listing(port, word, slug):
                    if time.monotonic() - committed > args.limit:
                        raise RuntimeError(f"the change to {slug} not seen in {args.limit} s")
                first.append(time.monotonic() - committed)
                seen = 0
                while seen < AGREEING_ANSWERS:
                    if time.monotonic() - committed > args.limit:
                        raise RuntimeError(f"the workers did not agree in {args.limit} s")
                    seen = seen + 1 if has_listing(port, word, slug) else 0
                agreed.append(time.monotonic() - committed)
                print(
                    f"  {slug} ({what}, committed at {at}): first answer with the change "
                    f"{first[-1]:.1f} s after the "
                    f"commit, {AGREEING_ANSWERS} following answers agree at {agreed[-1]:.1f} s",
                    flush=True,
                )
                time.sleep(5)
            builds = bench_server.index_builds(log_path)
            print(
                "  index builds under this load (the first at start, quiet): "
                + ", ".join(f"{s:.2f} s" for s in builds),
                flush=True,
            )
            for line in log_path.read_text(errors="replace").splitlines():
                if "search index" in line and line.startswith("{"):
                    entry = json.loads(line)
                    print(f"    {entry['timestamp'][11:23]} pid {entry['pid']} {entry['message']}")
        except Exception:
            print("gunicorn log (last lines):\n" + bench_server.tail(log_path), file=sys.stderr)
            raise
        finally:
            for pk, _, name in chosen:
                Listing.objects.filter(pk=pk).update(name=name)
            if load is not None:
                load.terminate()
                load.wait(timeout=30)
            bench_server.stop(server)
    worst = max(first, default=0.0)
    print(
        f"\nfirst answer with the change: worst {worst:.1f} s (target {TARGET_SECONDS:.0f} s); "
        f"all agreeing: worst {max(agreed, default=0.0):.1f} s",
        flush=True,
    )
    return 1 if args.check and worst > TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
