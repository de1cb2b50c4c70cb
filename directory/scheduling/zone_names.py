"""Time zones by the names people know, in the page's language: "Central Time", "British
Time", "hora central"; CLDR's names through Babel, else the zone's city ("Amman Time")."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools

from babel import Locale
from babel.core import get_global
from babel.dates import (
    NO_INHERITANCE_MARKER,
    get_timezone,
    get_timezone_location,
    get_timezone_name,
)
from django.utils.translation import gettext_noop

from directory.scheduling.clock import Clock, active_clock, translated

# Translators: a time (or a schedule line), then the name of its time zone: "7:30 pm Central
# Time".
ZONE_TIME = gettext_noop("%(time)s %(zone)s")
# Translators: the name of a time zone CLDR has no name for, after its main city: "Amman time"
# (Asia/Amman). English pages write CLDR's own pattern instead ("Amman Time").
CITY_TIME = gettext_noop("%(city)s time")
LOCAL_TIME = gettext_noop("local time")

# Zones that are a time scale, not a place: CLDR's long name for them ("Coordinated Universal
# Time", "Greenwich Mean Time" for Etc/GMT) is not what people call them; they take CLDR's short
# name for UTC ("UTC") in every language.
_UNIVERSAL_ZONES = {"Etc/UTC", "Etc/GMT"}


def _has_cldr_name(zone: str, variant: str, locale: Locale) -> bool:
    """Whether CLDR names the (canonical) zone, itself or through its metazone, in the variant.

    Babel falls back to the zone's location ("Jordan Time") when it does not, which cannot be
    told from a real name by comparing strings: "Venezuela Time" is both.
    """
    for names in (
        locale.time_zones.get(zone, {}),
        locale.meta_zones.get(get_global("meta_zones").get(zone, ""), {}),
    ):
        name = names.get("long", {}).get(variant)
        if name and name != NO_INHERITANCE_MARKER:
            return True
    return False


def _cldr_zone_name(zone: str, locale: str, year: int) -> str:
    """CLDR's long name of the zone ("Central Time", "hora central"), or "" when CLDR has none.

    The generic name ("Central Time") for a zone that changes its clocks; the standard one for
    a zone that does not, since the generic name would claim the summer change its neighbours
    make ("Mountain Standard Time" for Arizona, "Hawaii Time"; "hora estándar de las Montañas
    Rocosas", "hora de Hawái").
    """
    try:
        tz = get_timezone(zone)
    except LookupError:
        return ""
    canonical = get_timezone_name(tz, return_zone=True)
    if canonical in _UNIVERSAL_ZONES:
        return get_timezone_name(
            get_timezone("Etc/UTC"), "short", zone_variant="standard", locale=locale
        )
    winter = dt.datetime(year, 1, 1, tzinfo=tz).utcoffset()
    summer = dt.datetime(year, 7, 1, tzinfo=tz).utcoffset()
    variant = "generic" if winter != summer else "standard"
    if not _has_cldr_name(canonical, variant, Locale.parse(locale)):
        return ""
    return get_timezone_name(tz, "long", zone_variant=variant, locale=locale)


def _city(zone: str, clock: Clock) -> str:
    if not clock.english:
        with contextlib.suppress(LookupError):
            return get_timezone_location(get_timezone(zone), locale=clock.locale, return_city=True)
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def zone_name(zone: str, clock: Clock | None = None) -> str:
    """CLDR's name of the zone in the clock's language: "Central Time" for America/Chicago,
    "Mountain Standard Time" for America/Phoenix, "British Time" for Europe/London; "hora
    central", "hora británica" in Spanish. "UTC" for UTC.

    A zone CLDR has no name for is named after its city: "Amman Time" in English (CLDR's
    English pattern for it, "{0} Time", with the city as the IANA id names it), "hora de Ammán"
    (the catalog's message, with CLDR's name of the city) in other languages.
    """
    clock = clock or active_clock()
    return _zone_name(zone, clock, dt.date.today().year)


# Babel reads CLDR on every call (tens of µs): a page names the same few zones many times.
@functools.lru_cache(maxsize=4096)
def _zone_name(zone: str, clock: Clock, year: int) -> str:
    name = _cldr_zone_name(zone, clock.locale, year)
    if name:
        return name
    city = _city(zone, clock)
    if not city:
        return translated(clock, LOCAL_TIME)
    if clock.english:
        # Not the catalog's "%(city)s time": CLDR's capitals, as in the names above. Other
        # languages keep the message: Babel 2.19 gives es_US's daylight pattern for this one
        # ("hora de verano de %s").
        return Locale.parse(clock.locale).zone_formats["region"] % city
    return translated(clock, CITY_TIME) % {"city": city}


def in_zone(text: str, zone: str, clock: Clock | None = None) -> str:
    """ "7:30 pm Central Time": a time (or a schedule line) followed by the zone's name."""
    clock = clock or active_clock()
    return translated(clock, ZONE_TIME) % {"time": text, "zone": zone_name(zone, clock)}
