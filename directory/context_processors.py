from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.urls import translate_url
from django.utils import translation

from directory import selectors


def site(request) -> dict:
    """Crisis lines for the visitor's country, how they read times, and the demo-data flag,
    on every page."""
    country = selectors.visitor_country(request)
    return {
        "crisis_lines": selectors.crisis_lines_for(country),
        "visitor_country": country,
        "visitor_clock": selectors.visitor_clock(request),
        "demo_data_loaded": selectors.demo_data_loaded(),
        "site_name": translation.gettext("Peer Support Directory"),
        "default_country": settings.DIRECTORY_DEFAULT_COUNTRY,
        "language_alternates": language_alternates(request),
    }


CHOSEN_LANGUAGE = "lang"  # on the bare root only: the visitor chose this language


def language_alternates(request) -> list[dict]:
    """This page in each language (the switcher's links and the head's hreflang links), with
    its query string, so switching keeps the search; a page that is the same in every
    language (an error page) links to itself."""
    current = translation.get_language()
    path = request.get_full_path()
    alternates = []
    for code, name in settings.LANGUAGES:
        translated = translate_url(path, code)
        chosen = translated
        if code == settings.LANGUAGE_CODE and urlsplit(translated).path == "/":
            # The bare root follows the browser's language: the switcher's link to the
            # English home says the visitor chose it (pages.home does not redirect then).
            parts = urlsplit(translated)
            query = "&".join(filter(None, [parts.query, f"{CHOSEN_LANGUAGE}={code}"]))
            chosen = urlunsplit(parts._replace(query=query))
        alternates.append(
            {
                "code": code,
                "name": name,
                "path": chosen,
                "url": request.build_absolute_uri(translated),
                "current": code == current,
            }
        )
    return alternates
