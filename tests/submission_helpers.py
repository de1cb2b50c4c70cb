"""A public suggestion as the form posts it, for the tests of submissions and of outages."""

from __future__ import annotations


def suggestion(support_type, **overrides):
    data = {
        "name": "Tuesday Night Hope",
        "support_type": support_type.slug,
        "attendance": "in_person",
        "cost": "free",
        "address_line1": "12 Elm Street",
        "city": "Springfield",
        "region": "IL",
        "country": "US",
        "time1_days": ["2"],
        "time1_start": "19:00",
        "time1_end": "20:00",
        "timezone": "America/Chicago",
        "description": "Open discussion meeting.",
        "homepage": "",
    }
    data.update(overrides)
    return data
