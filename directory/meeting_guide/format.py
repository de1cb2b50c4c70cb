"""The Meeting Guide format's own words, shared by the feed we publish and the feeds we
import: its meeting-type codes, "temporarily closed", and contacts by first name only."""

from __future__ import annotations

import json
from functools import cache

from django.conf import settings

TEMPORARILY_CLOSED = "TC"


@cache
def known_type_codes() -> frozenset[str]:
    """The type codes of the spec's ``types.json`` (shipped in fixtures/reference)."""
    path = settings.BASE_DIR / "fixtures" / "reference" / "meeting-guide" / "types.json"
    with open(path, encoding="utf-8") as handle:
        return frozenset(json.load(handle))


def first_name_only(name: str) -> str:
    """At most the first word of a contact name: the feed never carries a last name."""
    words = name.split()
    return words[0] if words else ""
