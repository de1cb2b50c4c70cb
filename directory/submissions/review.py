"""The curator's review screen: a submission's proposal beside the listing as it is now,
field by field and meeting time by meeting time."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from directory.models import Feature, Listing, Schedule, Submission, SupportType
from directory.submissions.proposals import (
    FIELD_LABELS,
    LISTING_FIELDS,
    LOCATION_FIELDS,
    current_values,
    default_zone,
    resolve_schedule_ops,
    schedule_ops,
    schedule_words,
)


def diff(submission: Submission) -> list[dict]:
    """Rows for the review screen, in plain words: label, current, proposed, changed.

    Every proposed change gets a row; meeting times the proposal does not name are listed as
    kept, so the curator sees the whole timetable after approval.
    """
    listing = submission.listing
    current = current_values(listing)
    proposed = submission.proposed
    rows = []
    for key in [*LISTING_FIELDS, *LOCATION_FIELDS, "features"]:
        if key not in proposed:
            continue
        before, after = current.get(key, ""), proposed[key]
        if submission.kind == Submission.Kind.NEW_LISTING:
            before = ""
        rows.append(
            {
                "key": key,
                "label": FIELD_LABELS.get(key, key),
                "current": display_value(key, before),
                "proposed": display_value(key, after),
                "changed": before != after,
            }
        )
    rows.extend(schedule_rows(listing, schedule_ops(listing, proposed)))
    return rows


def schedule_rows(listing: Listing | None, ops: list[dict]) -> list[dict]:
    try:
        steps = resolve_schedule_ops(listing, ops)
    except ValidationError as exc:
        return [
            {
                "key": "schedules",
                "label": "Meeting times",
                "current": "—",
                "proposed": "Not valid: " + "; ".join(exc.messages),
                "changed": True,
            }
        ]
    home_zone = default_zone(listing) if listing is not None else settings.TIME_ZONE
    rows, named = [], set()
    for step in steps:
        if step.missing:
            rows.append(
                {
                    "key": "schedules",
                    "label": f"{step.op.capitalize()} meeting time",
                    "current": "(this meeting time no longer exists)",
                    "proposed": "—",
                    "changed": step.op == "change",
                }
            )
            continue
        if step.before is not None:
            named.add(step.before.pk)
        zone = (
            step.before is not None
            and step.after is not None
            and step.before.timezone != step.after.timezone
        ) or (step.op == "add" and step.after.timezone != home_zone)
        before = schedule_words(step.before, zone=zone) if step.before else "—"
        after = schedule_words(step.after, zone=zone) if step.after else "—"
        rows.append(
            {
                "key": "schedules",
                "label": f"{step.op.capitalize()} meeting time",
                "current": before,
                "proposed": after,
                "changed": step.op != "change" or before != after,
            }
        )
    if listing is not None:
        for schedule in listing.schedules.all():
            if schedule.pk not in named:
                words = schedule_words(schedule)
                rows.append(
                    {
                        "key": "schedules",
                        "label": "Meeting time (kept)",
                        "current": words,
                        "proposed": words,
                        "changed": False,
                    }
                )
    return rows


def display_value(key: str, value) -> str:
    """A proposal value in the words people read on the site, not the stored value."""
    if value in ("", None, []):
        return "—"
    if key == "support_type":
        found = SupportType.objects.filter(slug=value).values_list("name", flat=True).first()
        return found or f"{value} (unknown type)"
    if key == "attendance":
        return dict(Listing.Attendance.choices).get(value, value)
    if key == "cost":
        return dict(Listing.Cost.choices).get(value, value)
    if key == "features":
        names = dict(Feature.objects.filter(slug__in=value).values_list("slug", "name"))
        return ", ".join(names.get(slug, f"{slug} (unknown)") for slug in value)
    if key == "weekday":
        return Schedule.Weekday(int(value)).label
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
