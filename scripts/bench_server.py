"""gunicorn with the production settings on a free port of 127.0.0.1, for the benchmarks and
drills: its environment, start, readiness, workers' memory, log and stop."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench_machine import ROOT, create_database, proc_status_kb


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


INDEX_BUILT = "search index built"
INDEX_LOADED = "search index loaded"  # another process of this machine built it


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
    """Memory of the parent's child processes, smallest first: a field of their status
    (VmRSS, VmHWM, RssAnon), or Pss from smaps_rollup."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent:
                source = entry / ("smaps_rollup" if field == "Pss" else "status")
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
