"""Constraint errors people understand, shown on the field they concern.

Every model constraint carries a plain ``violation_error_message`` (``gettext_lazy``: shown in
the language active when the form is checked, the staff user's in admin) and a
``violation_error_code``. Django reports a failed check or a unique constraint with a custom
message as a form-wide error; models with ``ConstraintErrorsOnFields`` move it to the field
named in ``constraint_error_fields`` (constraint name -> field), so admin and every ModelForm
show it next to that field. The field is always one the constraint reads: Django skips a
constraint whose fields are not in the form, so the field is there whenever the error is.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ConstraintErrorsOnFields:
    #: constraint name -> the field its error is shown on
    constraint_error_fields: dict[str, str] = {}

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            raise errors_on_fields(self, exc) from None


def optional_coordinates_check(name: str) -> models.CheckConstraint:
    """Both coordinates or neither, each in range: the one rule of every model with an optional
    point (a location, a peer worker's service area)."""
    return models.CheckConstraint(
        condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
        | (
            Q(latitude__isnull=False, longitude__isnull=False)
            & Q(latitude__gte=-90, latitude__lte=90)
            & Q(longitude__gte=-180, longitude__lte=180)
        ),
        name=name,
        violation_error_code="coordinates_invalid",
        violation_error_message=_(
            "Give both latitude (−90 to 90) and longitude (−180 to 180), or leave both empty."
        ),
    )


def errors_on_fields(instance, exc: ValidationError) -> ValidationError:
    by_code = {
        constraint.violation_error_code: instance.constraint_error_fields[constraint.name]
        for constraint in instance._meta.constraints
        if constraint.name in instance.constraint_error_fields and constraint.violation_error_code
    }
    moved: dict[str, list[ValidationError]] = {}
    for field, errors in exc.error_dict.items():
        for error in errors:
            target = by_code.get(error.code, field) if field == NON_FIELD_ERRORS else field
            moved.setdefault(target, []).append(error)
    return ValidationError(moved)


class Translated:
    """A model whose reader-facing text has a Spanish copy, ``<field>_es`` (blank: none yet).

    ``localised("name")`` is the text in the page's language, falling back to the source
    English; templates use the ``localised`` filter (``{{ support_type|localised:"name" }}``).
    """

    def localised(self, field: str) -> str:
        from django.utils import translation

        language = (translation.get_language() or "")[:2]
        if language == "es":
            return getattr(self, f"{field}_es", "") or getattr(self, field)
        return getattr(self, field)
