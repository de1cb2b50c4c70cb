"""Gunicorn settings; each can be overridden with GUNICORN_* environment variables."""

import multiprocessing
import os
import time

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
# Worker class (issue 12): threaded workers ("gthread"), two threads each by default. A request
# waiting on an unreachable database must not make the process deaf: with a second thread,
# /healthz (which needs no database) is still answered, and the PostgreSQL backend fails fast
# while the database is down (peersupport/postgresql), so at most about one thread per
# process waits for the connect timeout (3 s). Statements of web requests end after 5 s
# (statement_timeout). Search is CPU work under the GIL, so more threads do not add
# throughput: GUNICORN_THREADS=1 gives back one request per process at a time (see
# docs/performance.md) at the price of that head-room.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# gthread accepts connections for busy threads too, and a kept-alive connection stays with the
# process that accepted it: keep that queue short, so a process whose threads are all busy does
# not take requests away from its siblings. At 8 per thread, the 16 kept-alive connections of a
# load test (or of the proxy's pool) often all landed on one or two of four processes, and the
# machine idled while they queued (docs/performance.md, "Fifth session"). At 4 per thread a
# process holds at most 8, and keeps at most 6 idle ones (gthread closes the next beyond that).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", str(threads * 4)))
keepalive = 2
# The master restarts a worker whose main loop stops answering for this long (a stuck native
# call); a slow request thread is bounded by the database timeouts above instead.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Workers are recycled now and then (a guard against slow leaks); not often, since each new
# worker must check its search index.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# After a request, at most once every this many seconds, a worker gives its free heap pages
# back to the system (``post_request`` below); 0 turns it off.
trim_seconds = float(os.environ.get("GUNICORN_TRIM_SECONDS", "5"))
# Blocks of this many KB or more are mapped on their own and unmapped when freed
# (``on_starting``; peersupport/memory.py says why 1 MB).
mmap_threshold_kb = int(os.environ.get("GUNICORN_MMAP_THRESHOLD_KB", "1024"))


def on_starting(server):
    """In the master, first: glibc maps big blocks (an index's arrays) on their own and gives
    them back when freed, in the master and every worker it forks (``fix_mmap_threshold``)."""
    from peersupport.memory import fix_mmap_threshold

    fix_mmap_threshold(mmap_threshold_kb * 1024)


# The application is loaded once in the master, which builds the search index before forking:
# workers inherit it copy-on-write instead of each building its own at start (and a recycled
# worker starts at once). GUNICORN_PRELOAD=false turns this off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in {"0", "false", "no"}
# Access logs would record search terms (query strings); they stay off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# --- Logs: gunicorn's own lines (boot, worker timeouts, errors) as the app's JSON lines on
# stdout, in production; development keeps gunicorn's plain format (peersupport/logs.py).
_debug = os.environ.get("DJANGO_DEBUG", "").lower() in {"1", "true", "yes", "on"}
if (os.environ.get("DJANGO_LOG_FORMAT") or ("plain" if _debug else "json")) == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "peersupport.logs.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            # A dict config turns gunicorn's access log on; its lines carry query strings
            # (search terms), so they are dropped here: the app logs each request itself.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


_master_warmed = False


def pre_fork(server, worker):
    """In the master, before the first workers: build the search index once to share.

    Only at start: a worker forked later (a recycled one) checks the version itself, so a slow
    database can never hold up the master's forking after start.
    """
    global _master_warmed
    if preload_app and not _master_warmed:
        import gc

        from directory.maps.atlas import atlas
        from directory.search.freshness import warm

        _master_warmed = True
        warm()  # builds it, then closes the master's connections
        atlas()  # the maps' boundaries (~0.3 s to read), shared with the workers too
        gc.freeze()  # the index and the app: never scanned again, and pages stay shared


def post_worker_init(worker):
    """In a worker: check the index it inherited is current (or build one) before serving,
    and have the maps' boundaries read (inherited from the master when it preloaded)."""
    from directory.maps.atlas import atlas
    from directory.search.freshness import warm

    warm()
    atlas()


_trimmed_at = float("-inf")


def post_request(worker, req, environ, resp):
    """Give free heap memory back to the system now and then (glibc's ``malloc_trim``).

    A search's numpy temporaries (hundreds of KB each, two threads at a time) are freed into
    the heap, and glibc keeps those pages: without this the soak drill's workers drifted up
    and down by 50-100 MB each, and ended a quarter above where they started. A trim costs
    under a millisecond; once every few seconds is enough to keep the working set honest.
    """
    global _trimmed_at
    now = time.monotonic()
    if trim_seconds and now - _trimmed_at >= trim_seconds:
        _trimmed_at = now
        from peersupport.memory import release_free_memory

        release_free_memory()
