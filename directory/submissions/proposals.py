"""A submission's proposal: its shape, and reading a listing or a meeting time in it.

A submission's ``proposed`` dict mirrors the listing (see ``PROPOSAL_FIELDS``): listing fields
by name, the location's fields, feature slugs, and ``schedules``: a list of operations on
meeting times, each naming the schedule it concerns::

    {"op": "change", "id": 12, "fields": {"start_time": "18:30"}}
    {"op": "add", "fields": {"kind": "weekly", "weekday": 2, "start_time": "19:00", ...}}
    {"op": "remove", "id": 13}

A correction holds only what the visitor changed, so approving it changes exactly that: a
schedule the proposal does not name is never touched. Submissions stored before schedules
were named carry flat ``weekday``/``start_time``/``end_time``/``timezone`` keys
(``LEGACY_SCHEDULE_KEYS``); ``schedule_ops`` reads them as one operation that never deletes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from directory.models import Listing, Schedule
from directory.models.schedules import SCHEDULE_FIELDS

LISTING_FIELDS = [
    "name",
    "support_type",
    "attendance",
    "description",
    "website",
    "conference_url",
    "conference_phone",
    "contact_name",
    "contact_email",
    "contact_phone",
    "cost",
]
# Proposal key -> Location field.
LOCATION_FIELDS = {
    "location_name": "name",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
}
# What people call each proposal field (the public forms' labels, the curator's diff).
FIELD_LABELS = {
    "name": "Name of the meeting or group",
    "support_type": "Type of support",
    "attendance": "How people attend",
    "description": "Description",
    "website": "Website",
    "conference_url": "Online meeting link",
    "conference_phone": "Dial-in phone number",
    "contact_name": "Contact first name or initial",
    "contact_email": "Contact e-mail",
    "contact_phone": "Contact phone",
    "cost": "Cost",
    "location_name": "Venue name",
    "address_line1": "Street address",
    "address_line2": "Address line 2",
    "city": "Town or city",
    "region": "State, province or county",
    "postal_code": "ZIP or postal code",
    "country": "Country code",
    "weekday": "Day",
    "start_time": "Start time",
    "end_time": "End time",
    "timezone": "Time zone",
    "features": "Details",
}

# The flat keys of one weekly meeting time (old proposals: the suggestion form's fields before
# it took several meeting times as schedule operations).
LEGACY_SCHEDULE_KEYS = ["weekday", "start_time", "end_time", "timezone"]
# What a schedule operation may set, in JSON form (times "HH:MM", dates ISO).
SCHEDULE_OP_FIELDS = SCHEDULE_FIELDS
PROPOSAL_FIELDS = [*LISTING_FIELDS, *LOCATION_FIELDS, "features", "schedules"]
SCHEDULE_OPS = {"change", "add", "remove"}
# Proposal keys written on one line (names, addresses, phones): the forms' one-line rule,
# checked again on approval for proposals stored before it (directory/validators.py).
SINGLE_LINE_KEYS = [
    key for key in [*LISTING_FIELDS, *LOCATION_FIELDS] if key not in {"description", "cost"}
]
# The most meeting times one submission may add (the suggestion form's three rows of up to
# seven days each). A proposal over it is refused when sent and when approved. Changes and
# removals are bounded by the listing's own times.
MAX_NEW_SCHEDULES = 21


# --- reading a listing in the proposal's shape ---------------------------------------------


def _time(value: dt.time | None) -> str:
    if not value:
        return ""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def schedule_json(schedule: Schedule) -> dict:
    """Every operation field of a schedule in JSON form (None when unset)."""
    values = {}
    for name in SCHEDULE_OP_FIELDS:
        value = getattr(schedule, name)
        if isinstance(value, dt.time):
            value = _time(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        values[name] = value
    return values


def current_values(listing: Listing | None) -> dict:
    """The listing's values under the proposal's keys ('' or [] when it has none)."""
    values: dict = dict.fromkeys([*LISTING_FIELDS, *LOCATION_FIELDS], "")
    values["features"] = []
    if listing is None:
        return values
    for name in LISTING_FIELDS:
        values[name] = getattr(listing, name) or ""
    values["support_type"] = listing.support_type.slug
    if listing.location_id:
        for key, field in LOCATION_FIELDS.items():
            values[key] = getattr(listing.location, field) or ""
    values["features"] = sorted(listing.features.values_list("slug", flat=True))
    return values


# --- schedule operations ------------------------------------------------------------------


def check_schedule_ops(ops) -> None:
    """The shape of ``proposed["schedules"]``; ValueError names the problem."""
    if not isinstance(ops, list):
        raise ValueError("schedules must be a list of operations")
    adds = sum(1 for op in ops if isinstance(op, dict) and op.get("op") == "add")
    if adds > MAX_NEW_SCHEDULES:
        raise ValueError(f"at most {MAX_NEW_SCHEDULES} new meeting times, not {adds}")
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in SCHEDULE_OPS:
            raise ValueError(f"unknown schedule operation {op!r}")
        if op["op"] in {"change", "remove"} and not isinstance(op.get("id"), int):
            raise ValueError(f"a {op['op']} operation needs the schedule's id")
        fields = op.get("fields", {})
        if op["op"] == "remove" and fields:
            raise ValueError("a remove operation takes no fields")
        if not isinstance(fields, dict) or set(fields) - set(SCHEDULE_OP_FIELDS):
            raise ValueError(f"unknown schedule fields in {op!r}")


def schedule_ops(listing: Listing | None, proposed: dict) -> list[dict]:
    """The proposal's schedule operations, reading an old flat proposal as one operation.

    An old proposal named no schedule: with one meeting time it changes that one; with several
    it changes the only one on the proposed day, or else adds a time. It never deletes.
    """
    ops = unique_ops(proposed.get("schedules", []))
    legacy = {k: proposed[k] for k in LEGACY_SCHEDULE_KEYS if k in proposed}
    if not legacy:
        return ops
    if legacy.get("weekday") not in ("", None):
        legacy["weekday"] = int(legacy["weekday"])
    legacy = {k: (None if v == "" else v) for k, v in legacy.items()}
    current = list(listing.schedules.all()) if listing is not None else []
    target = None
    if len(current) == 1:
        target = current[0]
    elif current and legacy.get("weekday") is not None:
        same_day = [s for s in current if s.weekday == legacy["weekday"]]
        target = same_day[0] if len(same_day) == 1 else None
    if target is not None:
        before = schedule_json(target)
        fields = {k: v for k, v in legacy.items() if v is not None and before[k] != v}
        if fields:
            ops.append({"op": "change", "id": target.pk, "fields": fields})
    else:
        ops.append({"op": "add", "fields": {"kind": "weekly", **legacy}})
    return ops


def unique_ops(ops) -> list[dict]:
    """The operations once each, in order: a proposal stored with the same day posted 900
    times (before the form removed repeats) adds that meeting time once."""
    seen, unique = set(), []
    for op in ops:
        key = json.dumps(op, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            unique.append(dict(op))
    return unique


def _parse_schedule_fields(fields: dict) -> dict:
    parsed = {}
    for name, value in fields.items():
        field = Schedule._meta.get_field(name)
        if value in ("", None):
            parsed[name] = "" if name in {"notes", "timezone"} else None
        else:
            try:
                parsed[name] = field.to_python(value)
            except ValidationError as exc:
                with translation.override("en"):  # an English sentence, its label too
                    message = f"Meeting time: {field.verbose_name} {value!r} is not valid."
                raise ValidationError(message) from exc
    return parsed


def default_zone(listing: Listing) -> str:
    if listing.location_id and listing.location.timezone not in ("", "UTC"):
        return listing.location.timezone
    return settings.TIME_ZONE


def _new_schedule(listing: Listing, fields: dict) -> Schedule:
    schedule = Schedule(kind=Schedule.Kind.WEEKLY)
    for name, value in _parse_schedule_fields(fields).items():
        setattr(schedule, name, value)
    if not schedule.timezone:
        schedule.timezone = default_zone(listing)
    return schedule


@dataclass
class ScheduleStep:
    """One schedule operation resolved against the listing: what it was and what it becomes."""

    op: str
    before: Schedule | None  # None for an add, or when the named schedule no longer exists
    after: Schedule | None  # None for a remove
    missing: bool = False


def resolve_schedule_ops(listing: Listing | None, ops: list[dict]) -> list[ScheduleStep]:
    current = {s.pk: s for s in listing.schedules.all()} if listing is not None else {}
    steps = []
    for op in ops:
        if op["op"] == "add":
            after = _new_schedule(listing or Listing(), op.get("fields", {}))
            steps.append(ScheduleStep("add", None, after))
            continue
        before = current.get(op["id"])
        if before is None:
            steps.append(ScheduleStep(op["op"], None, None, missing=True))
        elif op["op"] == "remove":
            steps.append(ScheduleStep("remove", before, None))
        else:
            after = Schedule.objects.get(pk=before.pk)
            for name, value in _parse_schedule_fields(op.get("fields", {})).items():
                setattr(after, name, value)
            steps.append(ScheduleStep("change", before, after))
    return steps


def schedule_words(schedule: Schedule, *, zone: bool = False) -> str:
    """A meeting time in plain words: "Every Tuesday 19:00–20:00", with its details."""
    from directory.scheduling import describe

    words = describe(schedule) if schedule.start_time is not None else "(no start time)"
    details = []
    if zone:
        details.append(f"time zone {schedule.timezone or '—'}")
    if schedule.valid_from:
        details.append(f"from {schedule.valid_from:%d %b %Y}")
    if schedule.valid_to:
        details.append(f"until {schedule.valid_to:%d %b %Y}")
    if schedule.notes:
        details.append(f"note: {schedule.notes}")
    return words + (" (" + "; ".join(details) + ")" if details else "")
