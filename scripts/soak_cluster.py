"""The soak drill's servers (scripts/soak.py): a PostgreSQL cluster of its own, loaded from a
dump of the benchmark database, and the task worker kept running as compose's restart policy
would."""

# The drill runs our own fixed commands (PostgreSQL's tools, manage.py).
# ruff: noqa: S603, S607

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_machine
import bench_seed
import bench_server
from bench_machine import ROOT

SHARED_URL = "postgres://postgres@127.0.0.1:5432/peersupport_bench"


class DrillCluster:
    """A PostgreSQL cluster of the drill's own, removed at the end."""

    def __init__(self):
        self.bindir = Path(
            subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
        if not (self.bindir / "initdb").exists():
            self.bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.directory = Path(tempfile.mkdtemp(prefix="soak-pg-"))
        self.data = self.directory / "data"
        self.port = bench_server.free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/drill"

    def _run(self, *command: str, timeout: float = 300) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *command], check=True, timeout=timeout, capture_output=True)

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        self._ctl("start")

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c max_connections=200 "
            "-c shared_buffers=256MB"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                  "-l", str(self.directory / "log"), action, *extra)  # fmt: skip

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def accepting(self) -> bool:
        return (
            subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            ).returncode
            == 0
        )

    def load(self, dump: Path) -> None:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
             "CREATE DATABASE drill"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["pg_restore", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", "drill", "--no-owner", "-j", "2", str(dump)],
            check=True,
            timeout=1200,
        )  # fmt: skip

    def remove(self) -> None:
        try:
            self._ctl("stop", "-m", "immediate")
        except subprocess.SubprocessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


def dump_benchmark_database(path: Path) -> None:
    """The benchmark database (seeded once by scripts/bench.py) as a custom-format dump."""
    os.environ["DATABASE_URL"] = SHARED_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    bench_machine.create_database(SHARED_URL)
    import django

    django.setup()
    bench_seed.seed(100_000, {"database": "peersupport_bench"})
    from django.db import connections

    connections.close_all()
    subprocess.run(
        ["pg_dump", "-Fc", "-Z", "1", "-h", "127.0.0.1", "-U", "postgres", "-d",
         "peersupport_bench", "-f", str(path)],
        check=True,
        timeout=1200,
    )  # fmt: skip


class TaskWorker:
    """``manage.py db_worker`` with gunicorn's environment, kept running: the worker exits on
    a database error (the drill's restart) and compose's restart policy starts it again."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.peak_mb = 0.0  # the highest VmHWM of its processes

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--interval", "0.5"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def keep_alive(self) -> None:
        if self.process is None:
            return
        try:
            peak = bench_machine.proc_status_kb("VmHWM", f"/proc/{self.process.pid}/status") / 1024
            self.peak_mb = max(self.peak_mb, peak)
        except OSError:
            pass
        if self.process.poll() is not None:
            self.restarts += 1
            self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.keep_alive()
            bench_server.stop(self.process)
