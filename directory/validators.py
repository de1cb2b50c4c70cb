import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError("%(value)s is not an IANA time zone name.", params={"value": value})


# Meeting Guide: digits, +, comma (pause), * and # only.
validate_dial_string = RegexValidator(
    r"^\+?[0-9 ()\-.,*#]{3,60}$", "Use digits, spaces, + , * and # only."
)
