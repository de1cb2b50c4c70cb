"""Facts about IANA time zones from the tz database itself (the ``tzdata`` package's
``zone.tab``), offline: which country a zone belongs to, and which countries keep one time."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo


@cache
def _zone_countries() -> dict[str, str]:
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    countries = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            countries[fields[2]] = fields[0]
    return countries


def zone_country(zone: str) -> str:
    """The ISO country code of a canonical zone ("America/Chicago" -> "US"), else ""."""
    return _zone_countries().get(zone, "")


@cache
def _country_zones() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {}
    for zone, country in _zone_countries().items():
        zones.setdefault(country, []).append(zone)
    return zones


def _offsets(zone: str, year: int) -> tuple:
    tz = ZoneInfo(zone)
    return tuple(
        dt.datetime(year, month, day, 12, tzinfo=dt.UTC).astimezone(tz).utcoffset()
        for month in range(1, 13)
        for day in (1, 8, 15, 22)
    )


@cache
def country_zone(country: str, year: int | None = None) -> str:
    """The zone of a country whose every zone keeps the same time all year ("GB" ->
    "Europe/London"; "DE" -> "Europe/Berlin", Büsingen agreeing), else "" ("US", "ES")."""
    zones = _country_zones().get(country.upper(), [])
    if not zones:
        return ""
    year = year or dt.date.today().year
    first = _offsets(zones[0], year)
    if all(_offsets(zone, year) == first for zone in zones[1:]):
        return zones[0]
    return ""
