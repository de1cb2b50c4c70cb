"""CSV import and export of listings (with schedules and features) through django-import-export.

Rows are matched by slug; the location by its stable uuid. Schedules travel as a JSON list in
one cell so every kind (weekly, monthly by position, every N weeks) round-trips exactly;
features as slugs separated by "|". For people reading the file, ``location_address`` spells
the location out and ``last_verified`` is a local date and time; both are export-only.

A row never loses meeting times by accident: without a ``schedules`` column, or with an empty
cell, the listing's times stay as they are; ``[]`` says "no meeting times" on purpose.
An unchanged row is skipped, so exporting and re-importing a file changes nothing. Editors can
only create or update listings of their own organisations.
"""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from import_export import fields, resources, widgets
from import_export.forms import ImportForm
from import_export.tmp_storages import CacheStorage

from directory.models import Feature, Listing, Location, Organization, Schedule, SupportType
from directory.models.schedules import SCHEDULE_FIELDS
from directory.services.roles import is_curator, organization_ids
from directory.validators import SingleLineValidator


def _text(value) -> str | int | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def schedule_to_dict(schedule: Schedule) -> dict:
    return {
        name: _text(getattr(schedule, name))
        for name in SCHEDULE_FIELDS
        if _text(getattr(schedule, name)) is not None
    }


def schedules_to_cell(schedules) -> str:
    rows = sorted(
        (schedule_to_dict(s) for s in schedules), key=lambda d: json.dumps(d, sort_keys=True)
    )
    return json.dumps(rows, sort_keys=True, separators=(",", ":")) if rows else ""


def parse_schedules(cell) -> list[Schedule]:
    """Unsaved, validated Schedule objects from a cell; ValidationError names the problem."""
    if cell in (None, ""):
        return []
    try:
        rows = json.loads(cell)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            gettext("not a JSON list of schedules (%(error)s)") % {"error": exc}
        ) from exc
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValidationError(gettext("must be a JSON list of objects"))
    parsed = []
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(SCHEDULE_FIELDS)
        if unknown:
            raise ValidationError(
                gettext("schedule %(number)s: unknown keys %(keys)s")
                % {"number": number, "keys": sorted(unknown)}
            )
        schedule = Schedule(**{k: v for k, v in row.items() if v is not None})
        try:
            for name in SCHEDULE_FIELDS:
                field = Schedule._meta.get_field(name)
                setattr(schedule, name, field.to_python(getattr(schedule, name)))
            schedule.full_clean(exclude=["listing"], validate_constraints=False)
            _check_schedule_constraints(schedule)
        except ValidationError as exc:
            raise ValidationError(
                gettext("schedule %(number)s: %(problems)s")
                % {"number": number, "problems": "; ".join(exc.messages)}
            ) from exc
        parsed.append(schedule)
    return parsed


def _check_schedule_constraints(schedule: Schedule) -> None:
    """The database constraints, checked in Python so a bad row is rejected, not an error."""
    if schedule.end_time and schedule.end_time <= schedule.start_time:
        raise ValidationError(gettext("end time must be after start time"))
    kind = schedule.kind
    if kind == Schedule.Kind.WEEKLY and (schedule.week_of_month or schedule.interval_weeks):
        raise ValidationError(gettext("weekly schedules take no week_of_month or interval_weeks"))
    if kind == Schedule.Kind.MONTHLY and (not schedule.week_of_month or schedule.interval_weeks):
        raise ValidationError(gettext("monthly schedules need week_of_month (1-4 or -1) only"))
    if kind == Schedule.Kind.INTERVAL and (
        not schedule.interval_weeks
        or schedule.interval_weeks < 2
        or not schedule.anchor_date
        or schedule.week_of_month
    ):
        raise ValidationError(
            gettext("every-N-weeks schedules need interval_weeks >= 2 and anchor_date")
        )
    if schedule.anchor_date and (schedule.anchor_date.isoweekday() % 7) != schedule.weekday:
        raise ValidationError(gettext("the anchor date must fall on the schedule's weekday"))
    if schedule.valid_from and schedule.valid_to and schedule.valid_to < schedule.valid_from:
        raise ValidationError(gettext("valid_to must not be before valid_from"))


def single_line_errors(instance: Listing, import_fields) -> dict[str, list[str]]:
    """The admin form's one-line rule for the imported cells (names, phones, notes): model
    validation (``full_clean``) knows nothing of it, the forms add it (directory/validators.py).
    """
    errors = {}
    for name in {field.attribute for field in import_fields if field.attribute}:
        try:
            model_field = Listing._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if type(model_field) is not models.CharField or model_field.choices:
            continue
        try:
            SingleLineValidator(model_field.verbose_name)(getattr(instance, name) or "")
        except ValidationError as exc:
            errors[name] = exc.messages
    return errors


class KnownForeignKeyWidget(widgets.ForeignKeyWidget):
    """An unknown reference makes the row invalid (with a message), not an import error."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (ObjectDoesNotExist, ValidationError, ValueError) as exc:
            raise ValueError(
                gettext("no %(model)s with %(field)s %(value)s")
                % {
                    "model": self.model._meta.verbose_name,
                    "field": self.field,
                    "value": repr(value),
                }
            ) from exc


class KnownManyToManyWidget(widgets.ManyToManyWidget):
    def clean(self, value, row=None, **kwargs):
        found = super().clean(value, row, **kwargs)
        wanted = {v.strip() for v in str(value or "").split(self.separator) if v.strip()}
        missing = wanted - {str(getattr(obj, self.field)) for obj in found}
        if missing:
            raise ValueError(
                gettext("unknown %(models)s: %(values)s")
                % {"models": self.model._meta.verbose_name_plural, "values": sorted(missing)}
            )
        return found


class ClassedDiff(resources.Diff):
    """The import preview's diff: only what changes, marked with classes, not inline styles.

    An unchanged field's cell is empty, so the preview (templates/admin/import_export/
    import.html) lists per row only the fields the import would change: every non-empty
    field of a new listing, nothing for a skipped row. Classes because our CSP blocks the
    library's inline styles.

    Fields are read as the export writes them (``export_field``, so with the ``dehydrate_``
    methods): the library's own Diff reads ``field.export``, which left the schedules cell
    always empty and a change of meeting times invisible in the preview.
    """

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.left = self._exported(resource, instance)

    def compare_with(self, resource, instance):
        self.right = self._exported(resource, instance)

    @staticmethod
    def _exported(resource, instance) -> list:
        if instance is None:
            return ["" for _ in resource.get_import_fields()]
        return [resource.export_field(f, instance) for f in resource.get_import_fields()]

    def as_html(self):
        cells = []
        for before, after, html in zip(self.left, self.right, super().as_html(), strict=True):
            if before == after and not (self.new and after not in (None, "")):
                cells.append("")
                continue
            cells.append(
                mark_safe(  # noqa: S308 - the diff's own escaped HTML, only its tags rewritten
                    html.replace(
                        '<ins style="background:#e6ffe6;">', '<ins class="diff-insert">'
                    ).replace('<del style="background:#ffe6e6;">', '<del class="diff-delete">')
                )
            )
        return cells


class ListingResource(resources.ModelResource):
    support_type = fields.Field(
        attribute="support_type",
        column_name="support_type",
        widget=KnownForeignKeyWidget(SupportType, "slug"),
    )
    organization = fields.Field(
        attribute="organization",
        column_name="organization",
        widget=KnownForeignKeyWidget(Organization, "slug"),
    )
    location = fields.Field(
        attribute="location",
        column_name="location",
        widget=KnownForeignKeyWidget(Location, "uuid"),
    )
    features = fields.Field(
        attribute="features",
        column_name="features",
        widget=KnownManyToManyWidget(Feature, field="slug", separator="|"),
    )
    schedules = fields.Field(column_name="schedules")
    location_address = fields.Field(column_name="location_address", readonly=True)
    last_verified = fields.Field(column_name="last_verified", readonly=True)

    def get_diff_class(self):
        return ClassedDiff

    class Meta:
        model = Listing
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "name",
            "support_type",
            "organization",
            "status",
            "attendance",
            "description",
            "location",
            "website",
            "conference_url",
            "conference_url_notes",
            "conference_phone",
            "conference_phone_notes",
            "contact_name",
            "contact_email",
            "contact_phone",
            "cost",
            "cost_notes",
            "features",
            "schedules",
            "location_address",
            "last_verified",
        ]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        store_row_values = True  # the preview names each row by its slug
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    # --- scoping -------------------------------------------------------------------------

    def _restricted(self) -> bool:
        return self.user is not None and not is_curator(self.user)

    def after_init_instance(self, instance, new, row, **kwargs):
        if self._restricted() and not new:
            if instance.organization_id not in organization_ids(self.user):
                raise ValidationError(
                    gettext("This listing belongs to an organisation you are not a member of.")
                )

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name, messages in single_line_errors(instance, self.get_import_fields()).items():
            errors.setdefault(name, []).extend(messages)
        if row.get("schedules") not in (None, ""):  # no column or an empty cell: unchanged
            try:
                instance._imported_schedules = parse_schedules(row["schedules"])
            except ValidationError as exc:
                errors["schedules"] = exc.messages
        if self._restricted():
            allowed = organization_ids(self.user)
            if instance.organization_id not in allowed:
                errors["organization"] = [
                    gettext("Choose one of your own organisations (by slug).")
                ]
            if instance.location_id and instance.location.organization_id not in allowed:
                errors["location"] = [
                    gettext("Choose a location of one of your own organisations.")
                ]
        if errors:
            raise ValidationError(errors)

    # --- schedules -----------------------------------------------------------------------

    def dehydrate_location_address(self, listing: Listing) -> str:
        location = listing.location if listing.location_id else None
        if location is None:
            return ""
        return ", ".join(p for p in [location.name, location.formatted_address] if p)

    def dehydrate_last_verified(self, listing: Listing) -> str:
        if listing.last_verified_at is None:
            return ""
        return timezone.localtime(listing.last_verified_at).strftime("%Y-%m-%d %H:%M")

    def dehydrate_schedules(self, listing: Listing) -> str:
        if listing.pk is None:
            return ""
        return schedules_to_cell(listing.schedules.all())

    def _schedules_changed(self, instance) -> bool:
        imported = getattr(instance, "_imported_schedules", None)
        if imported is None:
            return False
        current = schedules_to_cell(instance.schedules.all()) if instance.pk else ""
        return schedules_to_cell(imported) != current

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if self._schedules_changed(instance):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def after_save_instance(self, instance, row, **kwargs):
        imported = getattr(instance, "_imported_schedules", None)
        if imported is not None and self._schedules_changed(instance):
            instance.schedules.all().delete()
            for schedule in imported:
                schedule.listing = instance
            Schedule.objects.bulk_create(imported)


class SizedImportForm(ImportForm):
    """The import form with a size limit: the file waits in the shared cache (Redis, shared
    with the rate-limit counters) between the preview and its confirmation."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.DIRECTORY_IMPORT_MAX_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                gettext(
                    "The file is larger than %(size)s MB: import it in parts (a few thousand "
                    "rows each)."
                )
                % {"size": settings.DIRECTORY_IMPORT_MAX_MB}
            )
        return upload


class ImportFileStorage(CacheStorage):
    """Where an uploaded file waits for its confirmation: the shared cache, for an hour (the
    library's default keeps it a day)."""

    CACHE_LIFETIME = 3600
