"""The benchmark's database (scripts/bench.py, and the drills that run on it): migrated and,
unless it already holds them, seeded with N demo listings by manage.py commands in their own
processes, then vacuumed and counted."""

from __future__ import annotations

import subprocess
import sys
import time

from bench_machine import ROOT


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
