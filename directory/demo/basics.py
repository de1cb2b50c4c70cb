"""What every part of the demo generator shares: its constants, its summary, weighted picks,
fictional phone numbers and batched inserts."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from directory.demo.words import (
    AREA_CODES,
    CA_AREA_CODES,
)

BATCH_SIZE = 5000
CURATOR_USERNAME = "demo-curator"
DEMO_CREDENTIAL_PREFIX = "demo-"
REFERENCE_HINT = (
    "Load the reference data first: manage.py load_reference, manage.py load_article and "
    "manage.py load_gazetteer."
)


class DemoError(Exception):
    """The generator can't run; the management command turns it into a CommandError."""


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    kept: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    def lines(self) -> list[str]:
        lines = []
        if self.deleted:
            lines.append("Deleted demo rows: " + _counts(self.deleted))
        lines.append("Created: " + _counts(self.created))
        lines.extend(self.kept)
        verb = "rolled back (dry run, nothing written)" if self.dry_run else "committed"
        lines.append(f"{sum(self.created.values()):,} rows {verb} in {self.seconds:.1f} s.")
        return lines


def _counts(counter: Counter) -> str:
    return ", ".join(f"{label} {count:,}" for label, count in counter.items())


def picker(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Callable[[], Any]:
    """A function returning one value at a time, drawn with the given weights."""
    values = [value for value, _ in weighted]
    cumulative = list(itertools.accumulate(weight for _, weight in weighted))
    total = cumulative[-1]

    def pick() -> Any:
        return values[bisect.bisect(cumulative, rng.random() * total)]

    return pick


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def clock_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def daypart(start: dt.time) -> str:
    if start.hour < 11:
        return "Morning"
    if start.hour < 14:
        return "Noon" if start.hour == 12 else "Midday"
    if start.hour < 17:
        return "Afternoon"
    return "Evening" if start.hour < 20 else "Night"


def fictional_phone(rng: random.Random, country: str) -> str:
    """A number from a range reserved for fiction in the country (555-01xx in North America)."""
    if country == "GB":
        return f"+44 20 7946 0{rng.randrange(1000):03d}"
    if country == "AU":
        return f"+61 2 5550 {rng.randrange(10000):04d}"
    area = rng.choice(CA_AREA_CODES if country == "CA" else AREA_CODES)
    return f"+1 {area}-555-01{rng.randrange(100):02d}"


def bulk_insert(
    model: type[models.Model], rows: list, summary: DemoSummary, label: str = ""
) -> list:
    if rows:
        rows = model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)
        summary.created[label or model.__name__] += len(rows)
    return rows
