"""Issue 20: listings by appointment, feed links kept whole (2,048 characters), and the time
of each search-version change (the feeds' Last-Modified), written by the same triggers."""

from django.db import migrations, models


def refresh_triggers(apps, schema_editor):
    from directory.search.triggers import refresh_search_version_triggers

    refresh_search_version_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0010_worker_search_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="by_appointment",
            field=models.BooleanField(
                default=False,
                help_text="It has no regular time: people arrange one with the group or worker (the Meeting Guide format's meetings without a day).",
                verbose_name="by appointment",
            ),
        ),
        migrations.AddField(
            model_name="searchversion",
            name="changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="feedlisting",
            name="feed_url",
            field=models.URLField(
                blank=True, max_length=2048, verbose_name="meeting's page at the source"
            ),
        ),
        migrations.AlterField(
            model_name="feedlisting",
            name="feedback_url",
            field=models.URLField(blank=True, max_length=2048, verbose_name="source's report link"),
        ),
        migrations.AlterField(
            model_name="resource",
            name="conference_url",
            field=models.URLField(
                blank=True,
                help_text="A link that joins the meeting directly.",
                max_length=2048,
                verbose_name="join link",
            ),
        ),
        migrations.AlterField(
            model_name="resource",
            name="website",
            field=models.URLField(blank=True, max_length=2048, verbose_name="website"),
        ),
        migrations.RunPython(refresh_triggers, migrations.RunPython.noop),
    ]
