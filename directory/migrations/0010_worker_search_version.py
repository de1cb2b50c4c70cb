"""A second search token (row 2) that every write to what the peer-worker search reads
changes, by triggers (directory/search/triggers.py), as row 1 does for listings."""

from django.db import migrations


def create_triggers(apps, schema_editor):
    from directory.search.triggers import ensure_search_version_triggers

    ensure_search_version_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    from directory.search.triggers import WORKER_TABLES

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in WORKER_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_worker_version ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_worker_version_truncate ON {table}")
            elif connection.vendor == "sqlite":
                for operation in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_worker_version_{operation}")
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS directory_bump_worker_version()")
        cursor.execute("DELETE FROM directory_searchversion WHERE id = 2")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0009_staff_curation"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
