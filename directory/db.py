"""Database helpers shared by the models and selectors."""

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def enable_sqlite_pragmas(sender, connection, **kwargs) -> None:
    # SQLite is the zero-setup default: WAL lets the dev server read while a loader writes.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL;")
            cursor.execute("PRAGMA foreign_keys=ON;")
