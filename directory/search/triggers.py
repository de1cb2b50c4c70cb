"""The database triggers that give every write to what a search reads a new version.

Two tokens in ``directory_searchversion``: row 1 changes with every write to what the
listing index reads (``directory.search.freshness``), row 2 with every write to what the
peer-worker search reads (``directory.search.workers``).

Migration 0006 created them. SQLite drops a table's triggers whenever Django's schema editor
rebuilds that table (an ``AlterField`` or a constraint change does), so after every
``migrate`` (``post_migrate``) ``ensure_search_version_triggers`` recreates any that are
missing. Without it, an edit to a listing would never reach search on SQLite.
"""

from __future__ import annotations

# Everything the search index reads (directory.search.index.build_index).
TABLES = (
    "directory_resource",
    "directory_resource_features",
    "directory_schedule",
    "directory_location",
    "directory_organization",
    "directory_supporttype",
    "directory_feature",
    "directory_featurecategory",
)
# Everything the peer-worker search reads (directory.search.workers).
WORKER_TABLES = (
    "directory_peerworker",
    "directory_peerworker_support_types",
    "directory_peerworker_languages",
    "directory_credential",
    "directory_credentialtype",
    "directory_supporttype",
    "directory_feature",
    "directory_featurecategory",
)
LISTINGS, WORKERS = 1, 2  # the token rows
VERSION_TABLE = "directory_searchversion"
SQLITE_OPERATIONS = ("insert", "update", "delete")
# (token row, tables, trigger name suffix, PostgreSQL function)
SETS = (
    (LISTINGS, TABLES, "search_version", "directory_bump_search_version"),
    (WORKERS, WORKER_TABLES, "worker_version", "directory_bump_worker_version"),
)


PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_searchversion (id, token)
    VALUES ({row}, floor(random() * 9e15)::bigint)
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$;
"""


def _pg_function(row: int, function: str) -> str:
    # Names and rows from the fixed sets above, never input.
    return PG_FUNCTION.format(function=function, row=int(row))


def expected_triggers(vendor: str) -> dict[str, tuple[str, int, str]]:
    """Trigger name -> (table, token row, PostgreSQL function), for this database vendor."""
    names = {}
    for row, tables, suffix, function in SETS:
        for table in tables:
            if vendor == "postgresql":
                names[f"{table}_{suffix}"] = (table, row, function)
                names[f"{table}_{suffix}_truncate"] = (table, row, function)
            elif vendor == "sqlite":
                for operation in SQLITE_OPERATIONS:
                    names[f"{table}_{suffix}_{operation}"] = (table, row, function)
    return names


def existing_triggers(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                ["directory_%_version%"],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def ensure_search_version_triggers(connection) -> list[str]:
    """Create the triggers that are missing; returns their names. Idempotent."""
    tables = set(connection.introspection.table_names())
    if VERSION_TABLE not in tables or not set(TABLES + WORKER_TABLES) <= tables:
        return []  # not migrated this far (or migrated back): nothing to guard
    missing = sorted(set(expected_triggers(connection.vendor)) - existing_triggers(connection))
    if not missing:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for row, _tables, _suffix, function in SETS:
                cursor.execute(_pg_function(row, function))
        for name in missing:
            cursor.execute(_create_sql(connection.vendor, name))
        # A rebuilt table may have lost writes' versions: start from new tokens.
        for row, *_ in SETS:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "INSERT OR REPLACE INTO directory_searchversion (id, token) "
                    "VALUES (%s, random())",
                    [row],
                )
            else:
                cursor.execute(
                    "INSERT INTO directory_searchversion (id, token) "
                    "VALUES (%s, floor(random() * 9e15)::bigint) "
                    "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token",
                    [row],
                )
    return missing


def _create_sql(vendor: str, name: str) -> str:
    # Names and rows from the fixed sets above, never input.
    table, row, function = expected_triggers(vendor)[name]
    if vendor == "postgresql":
        event = "TRUNCATE" if name.endswith("_truncate") else "INSERT OR UPDATE OR DELETE"
        return (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {function}()"
        )
    operation = name.rsplit("_", 1)[1].upper()
    bump = "INSERT OR REPLACE INTO directory_searchversion (id, token) VALUES ({}, random())"
    bump = bump.format(int(row))
    return f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN {bump}; END"


def recreate_after_migrate(sender, using, **kwargs) -> None:
    from django.db import connections

    ensure_search_version_triggers(connections[using])
