"""Full-text and trigram indexes for keyword search. PostgreSQL only; SQLite skips them."""

from django.db import migrations

# Migration 0005 replaces resource_fts with an index on the stored search document.
FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS resource_name_trgm ON directory_resource "
    "USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS resource_fts ON directory_resource USING gin "
    "(to_tsvector('english'::regconfig, coalesce(name, '') || ' ' || coalesce(description, '')))",
    "CREATE INDEX IF NOT EXISTS place_search_name_trgm ON directory_place "
    "USING gin (search_name gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS resource_name_trgm",
    "DROP INDEX IF EXISTS resource_fts",
    "DROP INDEX IF EXISTS place_search_name_trgm",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
