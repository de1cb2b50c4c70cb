"""A stored full-text document per listing, and its GIN index in place of the expression index.

Keyword search used to recompute to_tsvector(name || description) for every candidate row
(about 250 ms per query at 100,000 listings); reading the stored vector takes a few ms.
PostgreSQL only for the indexes; on SQLite the column is always NULL.
"""

import django.contrib.postgres.search
from django.db import migrations, models

import directory.models.listings

FORWARD = [
    "CREATE INDEX IF NOT EXISTS resource_search_document ON directory_resource "
    "USING gin (search_document)",
    "DROP INDEX IF EXISTS resource_fts",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS resource_fts ON directory_resource USING gin "
    "(to_tsvector('english'::regconfig, coalesce(name, '') || ' ' || coalesce(description, '')))",
    "DROP INDEX IF EXISTS resource_search_document",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_schedule_minutes"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=directory.models.listings.SearchDocument("name", "description"),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False),
    ]
