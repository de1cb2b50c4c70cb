"""What every loader shares: a tally of what changed, idempotent upserts and the transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction


class LoaderError(Exception):
    """The input is missing or malformed; the management command turns it into a CommandError."""


def fixtures_dir() -> Path:
    """The data files shipped with the project (never ``../shared``)."""
    return Path(settings.BASE_DIR) / "fixtures"


@dataclass
class Count:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


@dataclass
class Summary:
    """Created / updated / unchanged (and deleted) counts per kind of row, in insertion order."""

    counts: dict[str, Count] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, label: str) -> Count:
        return self.counts.setdefault(label, Count())

    @property
    def changed(self) -> int:
        return sum(count.changed for count in self.counts.values())

    def lines(self) -> list[str]:
        lines = []
        for label, count in self.counts.items():
            line = f"{label}: {count.created} created, {count.updated} updated, "
            line += f"{count.unchanged} unchanged"
            if count.deleted:
                line += f", {count.deleted} deleted"
            lines.append(line)
        lines.extend(self.notes)
        return lines


def sync(
    model: type[models.Model],
    lookup: dict[str, Any],
    values: dict[str, Any],
    summary: Summary,
    *,
    label: str | None = None,
    m2m: dict[str, Iterable[models.Model]] | None = None,
    instance: models.Model | None = None,
) -> models.Model:
    """Create the row matching ``lookup`` or update only the fields that differ from ``values``.

    ``instance`` skips the look-up when the caller already found the row some other way.
    Many-to-many sets in ``m2m`` are compared by primary key and replaced only when they differ.
    """
    label = label or model.__name__
    obj = instance
    if obj is None:
        obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        for name, related in (m2m or {}).items():
            getattr(obj, name).set(list(related))
        summary[label].created += 1
        return obj

    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    for name, value in lookup.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    if changed:
        obj.save(update_fields=changed)
    m2m_changed = False
    for name, related in (m2m or {}).items():
        wanted = {item.pk for item in related}
        manager = getattr(obj, name)
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(list(wanted))
            m2m_changed = True
    if changed or m2m_changed:
        summary[label].updated += 1
    else:
        summary[label].unchanged += 1
    return obj


def run_loader(load: Callable[[], Summary], *, dry_run: bool = False) -> Summary:
    """Run ``load`` in one transaction; roll it back on a dry run or on any error."""
    with transaction.atomic():
        summary = load()
        if dry_run:
            transaction.set_rollback(True)
    return summary


def report(summary: Summary, *, dry_run: bool) -> str:
    """The text a management command prints after a load."""
    lines = summary.lines()
    if not summary.changed:
        lines.append("Nothing to do: the database already matches the source.")
    if dry_run:
        lines.append("Dry run: every change above was rolled back; nothing was written.")
    return "\n".join(lines)
