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


def report_form_data(form) -> dict:
    """What the report form sends when the visitor changes nothing: its fields, and each
    meeting time's form with the formset's management form, by their names on the page
    (choices as their slugs, as the browser sends them; an unticked box is not sent)."""
    data = {}
    for part in (form, form.times.management_form, *form.times.forms):
        for field in part:
            value = field.value()
            if value is False:
                continue
            data[field.html_name] = "" if value is None else value
    return data


def time_field(form, schedule, name: str) -> str:
    """The name on the page of ``schedule``'s field ``name`` in the report form."""
    position = [s.pk for s in form.schedules].index(schedule.pk)
    return form.times.forms[position][name].html_name
