#!/usr/bin/env python3
"""Soak drill: a long busy hour with the database restarting (``make soak``, docs/operations.md).

1. A PostgreSQL cluster of the drill's own (``initdb`` in a temporary directory, on a free
   port; as the ``postgres`` user when run as root), loaded with the 100,000-listing benchmark
   database (``pg_dump`` of ``peersupport_bench`` on the shared server, which scripts/bench.py
   seeds once). The shared servers are never stopped or restarted.
2. gunicorn with the production settings on it (as scripts/bench.py starts it), and the task
   worker (``manage.py db_worker``, as compose's ``worker`` service: it rebuilds the feed after
   staff saves), started again whenever it exits (it does on a database error, as compose's
   restart policy would).
3. ``--connections`` clients (64) for ``--seconds`` (300) of a mix of what visitors and staff
   send (``MIX`` in scripts/soak_clients.py: searches with places and keywords, listing pages,
   the feeds — most polls conditional, as aggregators send them —, 1 in 50 a public
   suggestion, staff saves).
4. The cache flushed once (a fifth of the way in) and the drill's PostgreSQL restarted in the
   middle (``pg_ctl restart -m fast``).

It reports requests/s, p95 and p99 per kind, answers by status, 5xx outside the restart window
(from the restart until 5 s after the database accepts connections again), the seconds until
every kind answers 2xx/304 again after the database is back, the workers' memory every 30 s
and its growth from the first minute to the last, and whether every suggestion answered
2xx/302 is in the database (0 lost). It exits 1 when one of those fails. Traffic goes to
127.0.0.1 only; everything it starts is stopped at the end.

    DJANGO_DEBUG=true .venv/bin/python scripts/soak.py [--seconds 300] [--connections 64]
"""

# The drill runs our own fixed commands (manage.py; PostgreSQL's tools in soak_cluster.py).
# ruff: noqa: S603

from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import bench_load
import bench_server
from soak_clients import MIX, Client, Sample, Shared, worker_loop
from soak_cluster import DrillCluster, TaskWorker, dump_benchmark_database

ROOT = Path(__file__).resolve().parent.parent
MEMORY_EVERY = 30.0  # seconds between two samples of the workers' memory (the curve)
RESTART_GRACE = 5.0  # seconds after the database is back that 5xx still count as the restart's


# ----------------------------------------------------------------------------- the drill


def drill_facts(database_url: str, staff: tuple[str, str]) -> dict:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        published = "FROM directory_resource WHERE status = 'published' ORDER BY random()"
        slugs = [r[0] for r in conn.execute(f"SELECT slug {published} LIMIT 3000")]  # noqa: S608
        ids = [r[0] for r in conn.execute(f"SELECT id {published} LIMIT 500")]  # noqa: S608
        types = [r[0] for r in conn.execute("SELECT slug FROM directory_supporttype ORDER BY slug")]
        towns = [r[0] for r in conn.execute(
            "SELECT DISTINCT city || ', ' || region FROM directory_location "
            "WHERE country = 'US' AND city <> '' LIMIT 300"
        )]  # fmt: skip
        zips = [r[0] for r in conn.execute(
            "SELECT postal_code FROM directory_location WHERE country = 'US' AND postal_code <> '' "
            "LIMIT 100"
        )]  # fmt: skip
        rows = conn.execute(
            "SELECT name, description FROM directory_resource WHERE status = 'published'"
        )
        queries = bench_load.visitor_queries(rows, towns + zips)
    return {
        "slugs": slugs,
        "ids": ids,
        "types": types,
        "places": queries["places"],
        "words": queries["words"] + queries["typos"] + queries["pairs"],
        "feeds": ["/meetings.json", "/hsds/services", f"/resources/{slugs[0]}.ics"],
        "etags": {},
        "staff": staff,
    }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--warmup", type=int, default=30, help="seconds of load before the measured ones"
    )
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: its default)")
    parser.add_argument(
        "--dump", default=str(Path(tempfile.gettempdir()) / "peersupport-soak.dump"),
        help="reuse this dump of the benchmark database when present",
    )  # fmt: skip
    args = parser.parse_args()
    dump = Path(args.dump)
    if not dump.exists():
        print("Dumping the benchmark database (one-off)...", flush=True)
        dump_benchmark_database(dump)

    cluster = DrillCluster()
    server = None
    log_path = cluster.directory / "gunicorn.log"
    task_worker = None
    shared = Shared()
    marks: dict[str, float] = {}
    try:
        started = time.monotonic()
        cluster.start()
        cluster.load(dump)
        print(f"Drill cluster on port {cluster.port} loaded in {time.monotonic() - started:.0f} s",
              flush=True)  # fmt: skip
        port = bench_server.free_port()
        env = bench_server.production_env(
            argparse.Namespace(database_url=cluster.url, workers=args.workers or 5), port
        )
        if not args.workers:
            env.pop("GUNICORN_WORKERS", None)
        password = uuid.uuid4().hex
        env.update(
            DIRECTORY_SUBMISSION_RATE="1000000/h",  # one address sends every suggestion here
            DIRECTORY_FEED_CACHE_DIR=str(cluster.directory / "feeds"),
            DIRECTORY_SEARCH_INDEX_SHARE_DIR=str(cluster.directory / "index"),
            DIRECTORY_LOGIN_FAILURE_LIMIT="1000",
        )
        (cluster.directory / "index").mkdir()
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        subprocess.run(
            [*manage, "shell", "-c",
             "from django.contrib.auth import get_user_model; get_user_model().objects."
             f"create_superuser('soak', 'soak@example.org', '{password}')"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        server = bench_server.start_gunicorn(env, log_path)
        task_worker = TaskWorker(env, cluster.directory / "worker.log")
        task_worker.start()
        bench_server.wait_until_ready(server, port, log_path, 1)
        facts = drill_facts(cluster.url, ("soak", password))
        # A site that has been up has its feed: the first build (a lone poller's), unloaded.
        built_in = time.monotonic()
        status, _, _ = Client(port).request(
            "GET", "/meetings.json", headers={"Accept-Encoding": "gzip"}
        )
        print(f"/meetings.json first built in {time.monotonic() - built_in:.1f} s ({status})",
              flush=True)  # fmt: skip
        ready = bench_server.worker_rss_mb(server.pid)
        print(f"gunicorn ready on {port}: {len(ready)} workers, RSS "
              f"{', '.join(f'{m:.0f}' for m in ready)} MB; {args.connections} clients for "
              f"{args.warmup} s of warm-up, then {args.seconds} s", flush=True)  # fmt: skip

        began = time.monotonic()
        threads = [
            threading.Thread(target=worker_loop, args=(n, port, facts, shared, began), daemon=True)
            for n in range(args.connections)
        ]
        for thread in threads:
            thread.start()
        # Warm workers first (templates, caches, the feed's first build): memory and every
        # figure below count from the end of the warm-up.
        time.sleep(args.warmup)
        memory_start = bench_server.worker_rss_mb(server.pid)
        with shared.lock:
            shared.samples.clear()
        start = args.warmup
        flush_at, restart_at = start + args.seconds * 0.2, start + args.seconds * 0.5
        flushed = restarted = False
        next_sample = start
        while time.monotonic() - began < start + args.seconds:
            now = time.monotonic() - began
            if now >= next_sample:
                shared.memory_curve.append((
                    now - start,
                    bench_server.worker_rss_mb(server.pid),
                    bench_server.worker_rss_mb(server.pid, "RssAnon"),
                ))  # fmt: skip
                next_sample += MEMORY_EVERY
            if not flushed and now >= flush_at:
                import redis

                redis.Redis.from_url(env["REDIS_URL"]).flushdb()
                marks["cache flushed"] = now - start
                flushed = True
            if not restarted and now >= restart_at:
                marks["restart"] = time.monotonic() - began
                cluster.restart()  # returns once it accepts again (-w)
                while not cluster.accepting():
                    time.sleep(0.05)
                marks["database back"] = time.monotonic() - began
                restarted = True
            task_worker.keep_alive()
            time.sleep(0.2)
        shared.stop.set()
        for thread in threads:
            thread.join(timeout=90)
        memory_end = bench_server.worker_rss_mb(server.pid)
        lost = lost_suggestions(cluster.url, shared.suggested)
    finally:
        if server is not None:
            bench_server.stop(server)
        if task_worker is not None:
            task_worker.stop()
        gunicorn_log = log_path.read_text(errors="replace") if log_path.exists() else ""
        kept = Path(tempfile.gettempdir()) / "peersupport-soak-gunicorn.log"
        kept.write_text(gunicorn_log)
        worker_log_path = cluster.directory / "worker.log"
        worker_log = worker_log_path.read_text(errors="replace") if worker_log_path.exists() else ""
        kept_worker = Path(tempfile.gettempdir()) / "peersupport-soak-worker.log"
        kept_worker.write_text(worker_log)
        print(f"gunicorn log kept in {kept}, the task worker's in {kept_worker}")
        cluster.remove()
    # For information (not a check): the task worker's own figures.
    worker_summary = (
        f"{worker_log.count('feed meetings built')} feed rebuilds, {task_worker.restarts} "
        f"restarts, peak RSS {task_worker.peak_mb:.0f} MB, "
        f"{sum(error_lines(worker_log).values())} error lines"
    )
    return report(args, shared, marks, memory_start, memory_end, lost, gunicorn_log, worker_summary)


def lost_suggestions(database_url: str, suggested: list[tuple[str, int]]) -> list[str]:
    import psycopg

    answered = [token for token, status in suggested if 200 <= status < 400]
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        stored = " ".join(
            json.dumps(row[0]) for row in conn.execute("SELECT proposed FROM directory_submission")
        )
    return [token for token in answered if token not in stored]


def error_lines(log: str) -> collections.Counter:
    """The JSON log's ERROR and CRITICAL lines, by message."""
    errors: collections.Counter = collections.Counter()
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in {"ERROR", "CRITICAL"}:
            errors[str(entry.get("message", ""))[:100]] += 1
    return errors


def report(
    args, shared, marks, memory_start, memory_end, lost, gunicorn_log, worker_summary
) -> int:
    samples = [Sample(s.kind, s.started - args.warmup, s.seconds, s.status) for s in shared.samples]
    restart = marks.get("restart", 0.0) - args.warmup
    back = marks.get("database back", 0.0) - args.warmup
    window = (restart, back + RESTART_GRACE)
    failures = []
    print(f"\nSoak: {len(samples):,} requests in {args.seconds} s "
          f"({len(samples) / args.seconds:.1f} req/s) from {args.connections} clients")  # fmt: skip
    print(f"  cache flushed at {marks.get('cache flushed', 0):.1f} s; database restarted at "
          f"{restart:.1f} s, accepting again at {back:.1f} s ({back - restart:.1f} s)")  # fmt: skip
    print(f"\n  {'kind':<12}{'req/s':>8}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    recovery = {}
    for kind, _ in MIX:
        mine = [s for s in samples if s.kind == kind]
        ok = [s.seconds * 1000 for s in mine if 200 <= s.status < 400]
        statuses = collections.Counter(s.status for s in mine)
        print(f"  {kind:<12}{len(mine) / args.seconds:>8.1f}{percentile(ok, 0.95):>9.0f}"
              f"{percentile(ok, 0.99):>9.0f}  "
              + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))  # fmt: skip
        # How long after the database accepted again this kind still failed: the end of its
        # last failed request sent after that (0 when none failed); never, if no request of
        # it succeeded after its last failure. (Not "the first success after": a kind sent
        # once a minute would count the wait for its next request.)
        sent_after = [s for s in mine if s.started >= back]
        failed = [s.started + s.seconds for s in sent_after if not 200 <= s.status < 400]
        last_failure = max(failed, default=back)
        succeeded = any(s.started >= last_failure and 200 <= s.status < 400 for s in sent_after)
        recovery[kind] = (last_failure - back) if succeeded or not failed else None
    # The restart's: requests still in flight when it began (they end after it) and those
    # sent until RESTART_GRACE after the database is back.
    outside = [
        s for s in samples
        if (s.status >= 500 or s.status == 0)
        and not (s.started + s.seconds >= window[0] and s.started <= window[1])
    ]  # fmt: skip
    inside = [s for s in samples if (s.status >= 500 or s.status == 0) and s not in outside]
    print(f"\n  5xx or no answer inside the restart window: {len(inside)}; outside it: "
          f"{len(outside)}")  # fmt: skip
    if outside:
        failures.append(f"{len(outside)} errors outside the restart window")
        for sample in outside[:10]:
            print(f"    {sample.kind} at {sample.started:.1f} s: {sample.status}")
    slowest = max((v for v in recovery.values() if v is not None), default=None)
    print(
        "  back to 2xx after the database accepted again: "
        + ", ".join(f"{k} {'never' if v is None else f'{v:.1f} s'}" for k, v in recovery.items())
    )
    if slowest is None or slowest > 5 or any(v is None for v in recovery.values()):
        failures.append("some kind was not back within 5 s")
    answered = sum(1 for _, status in shared.suggested if 200 <= status < 400)
    print(f"  suggestions answered 2xx/3xx: {answered}; lost (answered but not stored): "
          f"{len(lost)}")  # fmt: skip
    if lost:
        failures.append(f"{len(lost)} lost suggestions")
    start, end = statistics.mean(memory_start or [0]), statistics.mean(memory_end or [0])
    print(f"  worker RSS at the start {', '.join(f'{m:.0f}' for m in memory_start)} MB "
          f"(mean {start:.0f}), after the last request "
          f"{', '.join(f'{m:.0f}' for m in memory_end)} MB (mean {end:.0f}): "
          f"{(end - start) / start if start else 0:+.1%}")  # fmt: skip
    # The check compares the first minute with the last (every worker, every 30 s): one
    # instant is noise, since whichever worker is building a new search index at that moment
    # holds 50-100 MB more for a few seconds; a leak shows as a later minute above an earlier.
    # The samples of the first minute (0, 30 and 60 s) and of the last three; by position, as
    # a sample is taken a fraction of a second after its mark.
    samples = [rss for _, rss, _ in shared.memory_curve]
    first = [m for rss in samples[:3] for m in rss]
    last = [m for rss in samples[-3:] for m in rss]
    first_mean, last_mean = statistics.mean(first or [0]), statistics.mean(last or [0])
    growth = (last_mean - first_mean) / first_mean if first_mean else 0.0
    print(f"  worker memory, first minute {first_mean:.0f} MB, last minute {last_mean:.0f} MB "
          f"(mean of every worker every 30 s): {growth:+.1%}")  # fmt: skip
    if growth > 0.20:
        failures.append(f"worker memory grew {growth:.0%}")
    # The curve tells a leak (still climbing at the end) from a working set (levels off).
    print("  worker memory every 30 s (mean RSS / mean anonymous RSS, MB):")
    for seconds, rss, anonymous in shared.memory_curve:
        print(f"    {seconds:5.0f} s  {statistics.mean(rss or [0]):5.0f} / "
              f"{statistics.mean(anonymous or [0]):5.0f}   "
              f"({', '.join(f'{m:.0f}' for m in rss)})")  # fmt: skip
    errors = error_lines(gunicorn_log)
    print(f"  error lines in the application log: {sum(errors.values())}")
    for message, count in errors.most_common(8):
        print(f"    {count} × {message}")
    print(f"  task worker: {worker_summary}")
    print("\n" + ("Every check passed." if not failures else "FAILED: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
