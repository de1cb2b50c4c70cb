"""What the benchmarks read of this machine: how busy its CPUs are (and with what), the code's
version, memory figures, percentiles; and a database made for them."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse


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


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project, for the scripts that import it
APP_NAME = "peersupport-bench"  # PostgreSQL application_name of the benchmark's connections


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
