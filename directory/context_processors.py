from django.conf import settings

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
        "site_name": "Peer Support Directory",
        "default_country": settings.DIRECTORY_DEFAULT_COUNTRY,
    }
