"""Who reads a time: the page's language and how that reader writes times and dates (12 or
24 hours, month or day first), from CLDR's conventions for the language in the site's country.
``directory.scheduling.wording`` writes every time and date for a ``Clock``."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.core import parse_locale
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext


@dataclass(frozen=True)
class Clock:
    """Who reads: the page's language and how that reader writes times and dates.

    ``language`` is the Django language code of the page ("en", "es"); ``locale`` the CLDR
    locale Babel writes other languages with ("es_US"); English ignores it and keeps the house
    style. Build one with ``page_clock`` (or ``active_clock`` during a request).
    """

    twelve_hour: bool = True
    month_first: bool = True  # "Tue, Dec 8" (US) rather than "Tue 8 Dec"
    language: str = "en"
    locale: str = "en_US"

    @property
    def english(self) -> bool:
        return self.language.split("-", 1)[0] == "en"


US_CLOCK = Clock(twelve_hour=True, month_first=True)
UK_CLOCK = Clock(twelve_hour=True, month_first=False, locale="en_GB")
DAY_FIRST_24H = Clock(twelve_hour=False, month_first=False, locale="en_001")
# English outside North America and the Philippines writes the day first ("8 Dec").
MONTH_FIRST_REGIONS = {"us", "ca", "ph", "fm", "mh", "pw", "as", "gu", "mp", "pr", "um", "vi"}


def _english_clock(region: str) -> Clock:
    return US_CLOCK if region.lower() in MONTH_FIRST_REGIONS else UK_CLOCK


def _unquoted(pattern: str) -> str:
    """A CLDR pattern without its quoted literals ("h:mm a", not "'de'")."""
    return "".join(pattern.split("'")[::2])


@functools.lru_cache(maxsize=64)
def page_clock(language: str, country: str = "US") -> Clock:
    """The clock of a page in ``language`` (a Django language code) on a site in ``country``.

    English: the 12-hour clock, month first in the US (and the other month-first regions),
    day first elsewhere. Other languages: CLDR's conventions for the language in that country
    (``es`` + ``US`` → ``es_US``: 12-hour, "7:30 p.m.", day first), or for the language alone
    when CLDR has no such locale. A region in the language code ("es-mx") wins over the
    country. An unknown language falls back to US English.
    """
    code = (language or "en").strip().lower()
    try:
        base, region, _script, _variant = parse_locale(code.replace("-", "_"))
    except ValueError:
        return US_CLOCK
    region = region or (country or "US").upper()
    if base == "en":
        return _english_clock(region)
    try:
        locale = Locale.parse(f"{base}_{region}")
    except (UnknownLocaleError, ValueError):
        try:
            locale = Locale.parse(base)
        except (UnknownLocaleError, ValueError):
            return US_CLOCK
    time_pattern = _unquoted(locale.time_formats["short"].pattern)
    date_pattern = _unquoted(locale.date_formats["short"].pattern)
    return Clock(
        twelve_hour="h" in time_pattern or "K" in time_pattern,
        month_first=date_pattern.find("M") < date_pattern.find("d"),
        language=code,
        locale=str(locale),
    )


def active_clock() -> Clock:
    """The clock of the language active now (the page's, during a request) on this site."""
    return page_clock(
        translation.get_language() or settings.LANGUAGE_CODE, settings.DIRECTORY_DEFAULT_COUNTRY
    )


def translated(clock: Clock, message: str) -> str:
    """A gettext_noop message in the clock's language. They are written in English, so an
    English clock takes them as they are (byte for byte, without a catalog look-up)."""
    if clock.english:
        return message
    with in_language(clock):
        return gettext(message)


def in_language(clock: Clock):
    """Translate in the clock's language (a no-op when it is already the active one)."""
    active = translation.get_language() or settings.LANGUAGE_CODE
    if active.split("-", 1)[0] == clock.language.split("-", 1)[0]:
        return contextlib.nullcontext()
    return translation.override(clock.language)
