"""The database triggers that give every write to what the search index reads a new version.

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
VERSION_TABLE = "directory_searchversion"
SQLITE_OPERATIONS = ("insert", "update", "delete")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION directory_bump_search_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_searchversion (id, token)
    VALUES (1, floor(random() * 9e15)::bigint)
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$;
"""


def expected_triggers(vendor: str) -> dict[str, str]:
    """Trigger name -> table, for this database vendor."""
    if vendor == "postgresql":
        names = {}
        for table in TABLES:
            names[f"{table}_search_version"] = table
            names[f"{table}_search_version_truncate"] = table
        return names
    if vendor == "sqlite":
        return {
            f"{table}_search_version_{operation}": table
            for table in TABLES
            for operation in SQLITE_OPERATIONS
        }
    return {}


def existing_triggers(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                ["directory_%_search_version%"],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def ensure_search_version_triggers(connection) -> list[str]:
    """Create the triggers that are missing; returns their names. Idempotent."""
    tables = set(connection.introspection.table_names())
    if VERSION_TABLE not in tables or not set(TABLES) <= tables:
        return []  # not migrated this far (or migrated back): nothing to guard
    missing = sorted(set(expected_triggers(connection.vendor)) - existing_triggers(connection))
    if not missing:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
        for name in missing:
            cursor.execute(_create_sql(connection.vendor, name))
        # A rebuilt table may have lost writes' versions: start from a new token.
        if connection.vendor == "sqlite":
            cursor.execute(
                "INSERT OR REPLACE INTO directory_searchversion (id, token) VALUES (1, random())"
            )
    return missing


def _create_sql(vendor: str, name: str) -> str:
    table = expected_triggers(vendor)[name]
    if vendor == "postgresql":
        event = "TRUNCATE" if name.endswith("_truncate") else "INSERT OR UPDATE OR DELETE"
        return (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION directory_bump_search_version()"
        )
    operation = name.rsplit("_", 1)[1].upper()
    # Names from the fixed TABLES above, never input.
    bump = "INSERT OR REPLACE INTO directory_searchversion (id, token) VALUES (1, random())"
    return f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN {bump}; END"


def recreate_after_migrate(sender, using, **kwargs) -> None:
    from django.db import connections

    ensure_search_version_triggers(connections[using])
