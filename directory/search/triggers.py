"""The database triggers that give every write to what a search reads a new version.

Two tokens in ``directory_searchversion``: row 1 changes with every write to what the
listing index reads (``directory.search.freshness``), row 2 with every write to what the
peer-worker search reads (``directory.peer_workers.search``).

Migration 0006 created them. SQLite drops a table's triggers whenever Django's schema editor
rebuilds that table (an ``AlterField`` or a constraint change does), so after every
``migrate`` (``post_migrate``) ``ensure_search_version_triggers`` recreates any that are
missing. Without it, an edit to a listing would never reach search on SQLite.
"""

from __future__ import annotations

# Everything the search index reads (directory.search.builder.build_index).
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
# Everything the peer-worker search reads (directory.peer_workers.search).
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
    {bump};
    RETURN NULL;
END
$$;
"""


def _pg_function(row: int, function: str, *, stamped: bool = True) -> str:
    # Names and rows from the fixed sets above, never input.
    return PG_FUNCTION.format(function=function, bump=_bump_sql("postgresql", row, stamped=stamped))


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
    stamped = _stamped(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for row, _tables, _suffix, function in SETS:
                cursor.execute(_pg_function(row, function, stamped=stamped))
        for name in missing:
            cursor.execute(_create_sql(connection.vendor, name, stamped=stamped))
        # A rebuilt table may have lost writes' versions: start from new tokens.
        for row, *_ in SETS:
            cursor.execute(_bump_sql(connection.vendor, row, stamped=stamped))
    return missing


def refresh_search_version_triggers(connection) -> None:
    """Drop and recreate every trigger (and PostgreSQL function): a migration that changes
    what they write calls this."""
    with connection.cursor() as cursor:
        for name, (table, _row, _function) in expected_triggers(connection.vendor).items():
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            elif connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    ensure_search_version_triggers(connection)


def _stamped(connection) -> bool:
    """Whether the version table has ``changed_at`` yet (migration 0011): migrations before it
    create the triggers through this module too."""
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, VERSION_TABLE)
    return any(column.name == "changed_at" for column in columns)


def _bump_sql(vendor: str, row: int, *, stamped: bool = True) -> str:
    """A new token for ``row``, stamped with the time (rows from the fixed sets, never input)."""
    row = int(row)
    if vendor == "sqlite":
        if not stamped:
            return f"INSERT OR REPLACE INTO directory_searchversion (id, token) VALUES ({row}, random())"  # noqa: S608, E501
        return (
            "INSERT OR REPLACE INTO directory_searchversion (id, token, changed_at) "  # noqa: S608
            f"VALUES ({row}, random(), strftime('%Y-%m-%d %H:%M:%f', 'now'))"
        )
    if not stamped:
        return (
            "INSERT INTO directory_searchversion (id, token) "  # noqa: S608
            f"VALUES ({row}, floor(random() * 9e15)::bigint) "
            "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token"
        )
    return (
        "INSERT INTO directory_searchversion (id, token, changed_at) "  # noqa: S608
        f"VALUES ({row}, floor(random() * 9e15)::bigint, clock_timestamp()) "
        "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, changed_at = EXCLUDED.changed_at"
    )


def _create_sql(vendor: str, name: str, *, stamped: bool = True) -> str:
    # Names and rows from the fixed sets above, never input.
    table, row, function = expected_triggers(vendor)[name]
    if vendor == "postgresql":
        event = "TRUNCATE" if name.endswith("_truncate") else "INSERT OR UPDATE OR DELETE"
        return (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {function}()"
        )
    operation = name.rsplit("_", 1)[1].upper()
    bump = _bump_sql(vendor, row, stamped=stamped)
    return f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN {bump}; END"


def recreate_after_migrate(sender, using, **kwargs) -> None:
    from django.db import connections

    ensure_search_version_triggers(connections[using])
