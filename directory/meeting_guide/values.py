"""The values of a Meeting Guide row as feeds write them: text with HTML and entities, times
as "7:30 PM" or "19:30:00", days as numbers or names, numbers as strings, links."""

from __future__ import annotations

import datetime as dt
import html
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.html import strip_tags

from directory.validators import one_line, plain_text

DAY_NAMES = {
    name: index
    for index, names in enumerate(
        [
            ("sunday", "sun"),
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
        ]
    )
    for name in names
}
TIME_24 = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
TIME_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)
_url_validator = URLValidator(schemes=["http", "https"])


class RowError(ValueError):
    """The meeting cannot be listed; the row is skipped with this reason."""


def clean_text(value, *, multiline: bool = False) -> str:
    """Plain text: entities decoded (also doubly encoded ones), tags removed, spaces tidied."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value if item not in (None, ""))
    if not isinstance(value, str | int | float):
        return ""
    # Control and text-direction characters never reach a name, a header or a calendar.
    text = plain_text(str(value)) if multiline else one_line(str(value))
    if "&" not in text and "<" not in text and "\r" not in text and "\xa0" not in text:
        if not multiline:
            return " ".join(text.split())
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    if "<" in text:
        text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</li\s*>|</div\s*>", "\n", text)
        text = html.unescape(strip_tags(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = plain_text(text) if multiline else one_line(text)
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return " ".join(text.split())


def parse_time(value) -> dt.time | None:
    """``19:30``, ``7:30``, ``19:30:00``, ``7:30 PM``, ``7:30pm``, ``7 pm``; None when empty."""
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text == "noon":
        return dt.time(12)
    if text == "midnight":
        return dt.time(0)
    match = TIME_24.match(text)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour == 24 and minute == 0:
            return dt.time(0)
        if hour <= 23 and minute <= 59:
            return dt.time(hour, minute)
    match = TIME_12.match(text)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if 1 <= hour <= 12 and minute <= 59:
            hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
            return dt.time(hour, minute)
    raise ValueError(f"{value!r} is not a time")


def parse_days(value) -> list[int]:
    """The days of a row, 0 = Sunday; [] for none (a meeting by appointment)."""
    if value is None or value == "" or value == []:
        return []
    values = value if isinstance(value, list) else [value]
    days: set[int] = set()
    for item in values:
        if isinstance(item, bool):
            raise RowError(f"day {item!r} is not a day")
        if isinstance(item, str):
            text = item.strip().lower()
            if text.isdigit():
                item = int(text)
            elif text in DAY_NAMES:
                item = DAY_NAMES[text]
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        if not isinstance(item, int) or not 0 <= item <= 6:
            raise RowError(f"day {item!r} is not 0-6 (0 = Sunday) or a day name")
        days.add(item)
    return sorted(days)


def number(value) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    return float(value)


def is_url(value: str) -> bool:
    try:
        _url_validator(value)
    except ValidationError:
        return False
    return True
