"""The load half of the benchmark: what visitors send (frequent words, typos, towns), wrk
driving /find/ and /learn/ on gunicorn, and the ratio of the two."""

from __future__ import annotations

import collections
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_machine import ROOT
from bench_server import (
    INDEX_BUILT,
    collect_static,
    count_in_log,
    free_port,
    gunicorn_setting,
    index_builds,
    production_env,
    start_gunicorn,
    stop,
    tail,
    wait_until_ready,
    worker_rss_mb,
)

LUA_SCRIPT = ROOT / "scripts" / "bench_find.lua"
TARGET_RATIO = 0.40  # issue 21: with keywords and places in the mix
WARMUP_SECONDS = 3  # of untimed load for each URL before the timed slices
LOAD_SLICES = 3  # alternating slices of each URL's timed seconds (``load_slices``)


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
        f" {args.load_seconds} s per URL in {len(load_slices(args.load_seconds))} slices"
        f" alternating with the other URL's, after {WARMUP_SECONDS} untimed seconds each",
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
            mixes = {"find": find_mix(args.threads, facts), "learn": ["path", "/learn/"]}
            for script_args in mixes.values():
                # A few untimed seconds first: each worker loads its templates on first use.
                run_wrk(args, port, script_args, seconds=WARMUP_SECONDS)
            slices = load_slices(args.load_seconds)
            timed: dict[str, list[dict]] = {label: [] for label in mixes}
            for seconds in slices:
                for label, script_args in mixes.items():
                    builds_before = count_in_log(log_path, INDEX_BUILT)
                    result = run_wrk(args, port, script_args, seconds=seconds)
                    result["index_builds"] = count_in_log(log_path, INDEX_BUILT) - builds_before
                    timed[label].append(result)
            for label, runs in timed.items():
                results[label] = merge_slices(runs)
            results["slice_ratios"] = [
                f["rps"] / lr["rps"] if lr["rps"] else 0.0
                for f, lr in zip(timed["find"], timed["learn"], strict=True)
            ]
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
    if len(results["slice_ratios"]) > 1:
        print(
            f"\n(in {len(results['slice_ratios'])} alternating slices of each URL: /find/ : "
            f"/learn/ = {', '.join(f'{r:.1%}' for r in results['slice_ratios'])}; "
            "p50 is the slices' median, p99 and max their highest)"
        )
    print(
        f"\n/find/ : /learn/ = {results['ratio']:.1%} of the requests per second "
        f"(target >= {TARGET_RATIO:.0%})\n(rebuilds: search indexes built by workers gunicorn "
        "started during the run: max_requests recycles workers)",
        flush=True,
    )
    return results


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


def load_slices(seconds: int) -> list[int]:
    """The timed seconds of each URL cut in slices that alternate with the other URL's
    (/find/, /learn/, /find/, ...): this machine's speed drifts by a third over a minute, and
    two back-to-back 30-second runs compared the search with a page measured on a faster or a
    slower machine. Slices of at least 10 s, at most ``LOAD_SLICES``."""
    count = max(1, min(LOAD_SLICES, seconds // 10))
    return [seconds // count + (1 if i < seconds % count else 0) for i in range(count)]


def merge_slices(runs: list[dict]) -> dict:
    """One URL's slices as one run: requests over their summed duration; p50 the slices'
    median, p99 and max the highest (a slow slice is not averaged away)."""
    merged = {
        key: sum(r[key] for r in runs)
        for key in ("requests", "duration_s", "bytes", "responses", "non2xx", "socket_errors")
    }
    merged.update(
        rps=merged["requests"] / merged["duration_s"],
        distinct=sum(r["distinct"] for r in runs),
        index_builds=sum(r["index_builds"] for r in runs),
        p50_ms=statistics.median(r["p50_ms"] for r in runs),
        p90_ms=max(r["p90_ms"] for r in runs),
        p99_ms=max(r["p99_ms"] for r in runs),
        max_ms=max(r["max_ms"] for r in runs),
        slices=[{k: r[k] for k in ("rps", "p50_ms", "p99_ms", "requests")} for r in runs],
    )
    return merged


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
