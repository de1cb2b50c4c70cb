"""make backup / make restore: a demo database dumped, restored into a fresh one, compared.

PostgreSQL only (pg_dump and pg_restore); the test makes and drops databases of its own on the
suite's PostgreSQL server, beside the test database.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.process_helpers import clean_environment

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = settings.DATABASES["default"]

pytestmark = [
    pytest.mark.skipif(
        DEFAULT["ENGINE"] != "django.db.backends.postgresql",
        reason="backups are pg_dump/pg_restore archives: PostgreSQL only (this run is SQLite)",
    ),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]


def server_url(name: str) -> str:
    user = DEFAULT.get("USER") or "postgres"
    password = f":{DEFAULT['PASSWORD']}" if DEFAULT.get("PASSWORD") else ""
    host = DEFAULT.get("HOST") or "127.0.0.1"
    port = DEFAULT.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def run(args: list[str], env_extra: dict[str, str] | None = None, check: bool = True):
    env = (
        clean_environment("DATABASE_", "BACKUP")
        | {"DJANGO_DEBUG": "true", "DIRECTORY_SEARCH_INDEX_SHARE_DIR": ""}
        | (env_extra or {})
    )
    result = subprocess.run(  # noqa: S603 - our own commands
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if check:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def psql(url: str, sql: str) -> list[str]:
    out = run(["psql", url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]).stdout
    return out.splitlines()


def row_counts(url: str) -> dict[str, int]:
    tables = psql(url, "select tablename from pg_tables where schemaname = 'public' order by 1")
    counts = {}
    for table in tables:
        (count,) = psql(url, f'select count(*) from "{table}"')  # noqa: S608 - catalog names
        counts[table] = int(count)
    return counts


LISTINGS_SQL = (
    "select r.slug, r.name, r.description, r.status, coalesce(l.city, ''),"
    " (select string_agg(s.weekday || ' ' || s.start_time, ',' order by s.weekday, s.start_time)"
    "  from directory_schedule s where s.listing_id = r.id)"
    " from directory_resource r left join directory_location l on l.id = r.location_id"
    " order by r.slug limit 5"
)


@pytest.fixture
def databases():
    names = ["ps_deploy_backup_src", "ps_deploy_backup_dst"]
    server = server_url("postgres")
    for name in names:
        psql(server, f'drop database if exists "{name}"')
        psql(server, f'create database "{name}"')
    yield [server_url(name) for name in names]
    for name in names:
        psql(server, f'drop database if exists "{name}" with (force)')


def test_a_dumped_demo_database_restores_into_a_fresh_one_identically(databases, tmp_path):
    source, target = databases
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--noinput"],
        ["load_reference"],
        ["load_article"],
        ["load_gazetteer", "--countries", "US"],
        ["generate_demo", "--listings", "40", "--seed", "7"],
    ):
        run(manage + command, {"DATABASE_URL": source})
    archive = tmp_path / "backups" / "demo.dump"

    backup = run(
        ["make", "--no-print-directory", "backup"], {"DATABASE_URL": source, "BACKUP": str(archive)}
    )
    assert f"backup: wrote {archive}" in backup.stdout
    assert archive.stat().st_mode & 0o077 == 0, "readable by its owner only"
    restore = run(
        ["make", "--no-print-directory", "restore"],
        {"DATABASE_URL": target, "BACKUP": str(archive)},
    )
    assert "restored" in restore.stdout

    before, after = row_counts(source), row_counts(target)
    assert before == after
    assert before["directory_resource"] == 40 and before["directory_schedule"] >= 40
    assert before["django_migrations"] > 0 and before["directory_place"] > 0
    assert psql(source, LISTINGS_SQL) == psql(target, LISTINGS_SQL)
    assert len(psql(target, LISTINGS_SQL)) == 5
    # The restored database serves: Django sees no missing migration there.
    check = run(manage + ["migrate", "--check"], {"DATABASE_URL": target}, check=False)
    assert check.returncode == 0, check.stdout + check.stderr

    # Restoring over a database with tables is refused, and nothing changes.
    again = run(["scripts/restore"], {"DATABASE_URL": target, "BACKUP": str(archive)}, check=False)
    assert again.returncode != 0
    assert "already has" in again.stderr and "RESTORE_REPLACE=yes" in again.stderr
    assert row_counts(target) == after


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "not PostgreSQL"),
    ],
)
def test_backup_refuses_without_a_postgresql_url(env, message):
    result = run(["scripts/backup"], env, check=False)
    assert result.returncode != 0 and message in result.stderr


def test_restore_refuses_a_file_that_is_not_an_archive(databases, tmp_path):
    _, target = databases
    junk = tmp_path / "junk.dump"
    junk.write_text("not an archive")
    result = run(["scripts/restore"], {"DATABASE_URL": target, "BACKUP": str(junk)}, check=False)
    assert result.returncode != 0 and "not a pg_dump archive" in result.stderr
    missing = run(["scripts/restore"], {"DATABASE_URL": target}, check=False)
    assert missing.returncode != 0 and "name the archive" in missing.stderr
    assert row_counts(target) == {}
