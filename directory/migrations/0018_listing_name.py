"""The model ``Resource`` becomes ``Listing``, its one name everywhere in code (issue 25).

Tables keep their names (``directory_resource``, ``directory_resource_features``), so no row
moves. Columns that pointed at a listing as ``resource_id`` become ``listing_id`` (a rename:
PostgreSQL changes its catalogue only). Django renames the content type itself; the four
permissions follow here, so groups and editors keep exactly what they could do.

Deploy: run ``migrate`` before the new code serves (old processes still ask for
``resource_id``), as for any column rename.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

ACTIONS = ("add", "change", "delete", "view")


def rename_permissions(apps, schema_editor, old="resource", new="listing", label="listing"):
    Permission = apps.get_model("auth", "Permission")
    for action in ACTIONS:
        for permission in Permission.objects.filter(
            content_type__app_label="directory", codename=f"{action}_{old}"
        ):
            taken = Permission.objects.filter(
                content_type=permission.content_type, codename=f"{action}_{new}"
            ).exists()
            if not taken:
                permission.codename = f"{action}_{new}"
                permission.name = f"Can {action} {label}"
                permission.save(update_fields=["codename", "name"])


def restore_permissions(apps, schema_editor):
    rename_permissions(apps, schema_editor, old="listing", new="resource", label="listing")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("directory", "0017_place_map_indexes"),
    ]

    operations = [
        migrations.AlterModelTable(name="resource", table="directory_resource"),
        migrations.RenameModel(old_name="Resource", new_name="Listing"),
        migrations.RemoveConstraint(model_name="submission", name="submission_kind_matches_resource"),
        migrations.RenameField(model_name="schedule", old_name="resource", new_name="listing"),
        migrations.RenameField(model_name="submission", old_name="resource", new_name="listing"),
        migrations.RenameField(model_name="feedlisting", old_name="resource", new_name="listing"),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(
                condition=Q(kind="new", listing__isnull=True)
                | Q(kind__in=["correction", "closure"], listing__isnull=False),
                name="submission_kind_matches_resource",
                violation_error_code="kind_resource_mismatch",
                violation_error_message=(
                    "A suggested new listing has no listing yet; a correction or a closure report"
                    " needs the listing it is about."
                ),
            ),
        ),
        # Reverse accessors: organization.listings, support_type.listings, location.listings,
        # feature.listings (state only: nothing in the database names them).
        migrations.AlterField(
            model_name="listing",
            name="features",
            field=models.ManyToManyField(
                blank=True, related_name="listings", to="directory.feature", verbose_name="features"
            ),
        ),
        migrations.AlterField(
            model_name="listing",
            name="location",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="listings",
                to="directory.location",
                verbose_name="location",
            ),
        ),
        migrations.AlterField(
            model_name="listing",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="listings",
                to="directory.organization",
                verbose_name="organization",
            ),
        ),
        migrations.AlterField(
            model_name="listing",
            name="support_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="listings",
                to="directory.supporttype",
                verbose_name="support type",
            ),
        ),
        migrations.RunPython(rename_permissions, restore_permissions),
    ]
