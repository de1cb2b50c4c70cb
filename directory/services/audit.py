"""Admin history (LogEntry) for changes made by services rather than by an admin form."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import models


def log_change(user, objects: models.Model | Iterable[models.Model], message: str) -> None:
    """Record ``message`` in the admin history of each object, as done by ``user``."""
    _log(user, objects, message, CHANGE)


def log_addition(user, obj: models.Model, message: str) -> None:
    _log(user, obj, message, ADDITION)


def _log(user, objects, message: str, flag: int) -> None:
    if user is None or user.pk is None:
        return
    if isinstance(objects, models.Model):
        objects = [objects]
    objects = list(objects)
    if not objects:
        return
    LogEntry.objects.log_actions(
        user.pk, objects, flag, change_message=message, single_object=len(objects) == 1
    )
