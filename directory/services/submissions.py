"""Public submissions: store first, notify curators, and apply or reject on review.

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
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from directory.models import Feature, Location, Resource, Schedule, Submission, SupportType
from directory.models.listings import SCHEDULE_FIELDS, Status
from directory.services.audit import log_addition, log_change
from directory.tasks import send_curator_notification
from directory.validators import SingleLineValidator

logger = logging.getLogger(__name__)

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


def current_values(resource: Resource | None) -> dict:
    """The listing's values under the proposal's keys ('' or [] when it has none)."""
    values: dict = dict.fromkeys([*LISTING_FIELDS, *LOCATION_FIELDS], "")
    values["features"] = []
    if resource is None:
        return values
    for name in LISTING_FIELDS:
        values[name] = getattr(resource, name) or ""
    values["support_type"] = resource.support_type.slug
    if resource.location_id:
        for key, field in LOCATION_FIELDS.items():
            values[key] = getattr(resource.location, field) or ""
    values["features"] = sorted(resource.features.values_list("slug", flat=True))
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


def schedule_ops(resource: Resource | None, proposed: dict) -> list[dict]:
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
    current = list(resource.schedules.all()) if resource is not None else []
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


def _default_zone(resource: Resource) -> str:
    if resource.location_id and resource.location.timezone not in ("", "UTC"):
        return resource.location.timezone
    return settings.TIME_ZONE


def _new_schedule(resource: Resource, fields: dict) -> Schedule:
    schedule = Schedule(kind=Schedule.Kind.WEEKLY)
    for name, value in _parse_schedule_fields(fields).items():
        setattr(schedule, name, value)
    if not schedule.timezone:
        schedule.timezone = _default_zone(resource)
    return schedule


@dataclass
class ScheduleStep:
    """One schedule operation resolved against the listing: what it was and what it becomes."""

    op: str
    before: Schedule | None  # None for an add, or when the named schedule no longer exists
    after: Schedule | None  # None for a remove
    missing: bool = False


def resolve_schedule_ops(resource: Resource | None, ops: list[dict]) -> list[ScheduleStep]:
    current = {s.pk: s for s in resource.schedules.all()} if resource is not None else {}
    steps = []
    for op in ops:
        if op["op"] == "add":
            after = _new_schedule(resource or Resource(), op.get("fields", {}))
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


# --- the review screen's diff ---------------------------------------------------------------


def diff(submission: Submission) -> list[dict]:
    """Rows for the review screen, in plain words: label, current, proposed, changed.

    Every proposed change gets a row; meeting times the proposal does not name are listed as
    kept, so the curator sees the whole timetable after approval.
    """
    resource = submission.resource
    current = current_values(resource)
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
    rows.extend(schedule_rows(resource, schedule_ops(resource, proposed)))
    return rows


def schedule_rows(resource: Resource | None, ops: list[dict]) -> list[dict]:
    try:
        steps = resolve_schedule_ops(resource, ops)
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
    home_zone = _default_zone(resource) if resource is not None else settings.TIME_ZONE
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
    if resource is not None:
        for schedule in resource.schedules.all():
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
        return dict(Resource.Attendance.choices).get(value, value)
    if key == "cost":
        return dict(Resource.Cost.choices).get(value, value)
    if key == "features":
        names = dict(Feature.objects.filter(slug__in=value).values_list("slug", "name"))
        return ", ".join(names.get(slug, f"{slug} (unknown)") for slug in value)
    if key == "weekday":
        return Schedule.Weekday(int(value)).label
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


# --- storing and notifying ------------------------------------------------------------------


def submit(
    *,
    kind: str,
    resource: Resource | None = None,
    proposed: dict,
    message: str = "",
    reporter_name: str = "",
    reporter_email: str = "",
    admin_url_builder=None,
) -> Submission:
    """Store the submission in its own transaction, then tell the curators.

    The row is committed before any e-mail is attempted, so a failing mail server loses
    nothing: the failure is logged and the curators still find the submission in admin.
    """
    unknown = set(proposed) - set(PROPOSAL_FIELDS)
    if unknown:
        raise ValueError(f"Unknown proposal fields: {sorted(unknown)}")
    if "schedules" in proposed:
        check_schedule_ops(proposed["schedules"])
    with transaction.atomic():
        submission = Submission.objects.create(
            kind=kind,
            resource=resource,
            proposed=proposed,
            message=message,
            reporter_name=reporter_name,
            reporter_email=reporter_email,
        )
    _enqueue_notification(submission, admin_url_builder)
    return submission


def _enqueue_notification(submission: Submission, admin_url_builder=None) -> None:
    """Queue the curators' e-mail for the task worker (directory/tasks.py), once the
    submission is committed (``transaction.on_commit``: a caller's transaction that rolls
    back sends nothing, and the worker never looks for a row it cannot see yet)."""
    site_root = admin_url_builder("/").rstrip("/") if admin_url_builder else ""

    def enqueue() -> None:
        try:
            send_curator_notification.enqueue(submission.pk, site_root)
        except Exception:
            # The submission is already stored; the curators will see it in admin.
            logger.exception(
                "Could not queue the curators' e-mail for submission %s", submission.pk
            )

    transaction.on_commit(enqueue)


# --- review -----------------------------------------------------------------------------------


class ReviewError(Exception):
    pass


def _lock_pending(submission: Submission) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Submission.State.PENDING:
        # One whole sentence per state (only approved and rejected are not pending).
        if locked.status == Submission.State.APPROVED:
            raise ReviewError(gettext("This submission was already approved."))
        raise ReviewError(gettext("This submission was already rejected."))
    return locked


@transaction.atomic
def approve(
    submission: Submission,
    *,
    by,
    organization=None,
    support_type: SupportType | None = None,
    status: str = Status.DRAFT,
) -> Resource:
    """Apply the submission in one transaction and record who approved it and when.

    New listing → created with the curator's organisation, support type (the suggested one
    unless given) and status (draft unless said otherwise); correction → exactly the proposed
    fields and meeting times change; closure → the listing is archived. Raises
    ``ValidationError`` (nothing is written) when the result would not be a valid listing.
    """
    submission = _lock_pending(submission)
    now = timezone.now()
    if submission.kind == Submission.Kind.CLOSURE:
        resource = Resource.objects.select_for_update().get(pk=submission.resource_id)
        resource.status = Status.ARCHIVED
        resource.save(update_fields=["status", "updated_at"])
        log_change(by, resource, f"Archived: closure report #{submission.pk} approved.")
        note = "Listing archived."
    elif submission.kind == Submission.Kind.NEW_LISTING:
        resource = Resource(status=Status(status), organization=organization)
        proposed = dict(submission.proposed)
        if support_type is not None:
            proposed["support_type"] = support_type.slug
        apply_proposal(resource, proposed)
        log_addition(by, resource, f"Created from public suggestion #{submission.pk}.")
        with translation.override("en"):
            note = (
                f"Created listing “{resource.name}” ({resource.slug}) as "
                f"{resource.get_status_display().lower()}."
            )
    else:
        resource = Resource.objects.select_for_update().get(pk=submission.resource_id)
        changed = apply_proposal(resource, submission.proposed)
        log_change(
            by,
            resource,
            [{"changed": {"fields": changed}}] if changed else "No change.",
        )
        note = "Changed: " + (", ".join(changed) or "nothing") + "."
    submission.status = Submission.State.APPROVED
    submission.reviewer = by
    submission.reviewed_at = now
    submission.decision_reason = note
    submission.save(update_fields=["status", "reviewer", "reviewed_at", "decision_reason"])
    log_change(by, submission, f"Approved. {note}")
    return resource


@transaction.atomic
def reject(submission: Submission, *, by, reason: str) -> Submission:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"decision_reason": "Give a reason for rejecting."})
    submission = _lock_pending(submission)
    submission.status = Submission.State.REJECTED
    submission.reviewer = by
    submission.reviewed_at = timezone.now()
    submission.decision_reason = reason[:2000]
    submission.save(update_fields=["status", "reviewer", "reviewed_at", "decision_reason"])
    log_change(by, submission, f"Rejected: {submission.decision_reason}")
    return submission


def reject_many(submissions, *, by, reason: str) -> int:
    """Reject every pending submission among these with one reason. Returns how many."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"decision_reason": "Give a reason for rejecting."})
    count = 0
    with transaction.atomic():
        for submission in submissions:
            if submission.status == Submission.State.PENDING:
                reject(submission, by=by, reason=reason)
                count += 1
    return count


# --- likely duplicates of a suggested listing -------------------------------------------------

DUPLICATE_RADIUS_MILES = 1.0
DUPLICATE_NAME_SIMILARITY = 0.8


def _folded_name(name: str) -> str:
    from directory.search.geo import fold

    words = fold(name or "").replace("&", " and ").split()
    return " ".join(w for w in words if w not in {"the", "group", "meeting"})


def names_similar(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    first, second = _folded_name(a), _folded_name(b)
    if not first or not second:
        return False
    if first == second or first in second or second in first:
        return True
    return SequenceMatcher(None, first, second).ratio() >= DUPLICATE_NAME_SIMILARITY


def likely_duplicates(proposed: dict, *, limit: int = 10) -> list[tuple[Resource, str]]:
    """Existing listings that may be the suggested one: the same join link, or a same or
    similar name within a mile (or in the same town when the place has no coordinates)."""
    from directory.search.geo import bounding_box_q, haversine_miles, resolve_place

    found: dict[int, tuple[Resource, str]] = {}
    link = (proposed.get("conference_url") or "").strip().rstrip("/")
    if link:
        for listing in Resource.objects.filter(conference_url__istartswith=link)[:limit]:
            if listing.conference_url.strip().rstrip("/").lower() == link.lower():
                found[listing.pk] = (listing, "the same join link")
    name = proposed.get("name") or ""
    query = proposed.get("postal_code") or ", ".join(
        p for p in [proposed.get("city"), proposed.get("region")] if p
    )
    origin = resolve_place(query).origin if query else None
    city = (proposed.get("city") or "").strip()
    area = Q(pk__in=[])
    if origin is not None:
        area |= bounding_box_q(
            "location__latitude", "location__longitude", origin, DUPLICATE_RADIUS_MILES
        )
    if city:
        area |= Q(location__city__iexact=city)
    for listing in Resource.objects.filter(area).select_related("location")[:500]:
        if listing.pk in found or not names_similar(name, listing.name):
            continue
        location = listing.location
        if origin is not None and location.has_coordinates:
            miles = haversine_miles(
                origin.latitude, origin.longitude, location.latitude, location.longitude
            )
            if miles <= DUPLICATE_RADIUS_MILES:
                found[listing.pk] = (listing, f"a similar name {miles:.1f} miles away")
                continue
        if city and location.city.strip().lower() == city.lower():
            found[listing.pk] = (listing, "a similar name in the same town")
    return list(found.values())[:limit]


def apply_proposal(resource: Resource, proposed: dict) -> list[str]:
    """Write the proposed values onto ``resource`` (saved) and return the labels changed.

    Schedules change only as the proposal's operations say; a schedule it does not name is
    left exactly as it was.
    """
    new = resource.pk is None
    current = current_values(None if new else resource)
    keys = [*LISTING_FIELDS, *LOCATION_FIELDS, "features"]
    changed_keys = [k for k in keys if k in proposed and (new or proposed[k] != current[k])]
    _check_single_line({k: proposed[k] for k in changed_keys if k in SINGLE_LINE_KEYS})
    ops = schedule_ops(None if new else resource, proposed)
    adds = sum(1 for op in ops if op["op"] == "add")
    if adds > MAX_NEW_SCHEDULES:
        raise ValidationError(
            f"This proposal adds {adds} different meeting times; a submission can add at "
            f"most {MAX_NEW_SCHEDULES}. Reject it and enter the times in the listing itself."
        )

    for key in LISTING_FIELDS:
        if key in changed_keys:
            value = proposed[key]
            if key == "support_type":
                value = SupportType.objects.filter(slug=value).first()
                if value is None:
                    raise ValidationError({"support_type": "Choose a known type of support."})
            setattr(resource, key, value)

    if any(key in changed_keys for key in LOCATION_FIELDS):
        resource.location = _updated_location(resource, proposed)

    if new:
        resource.slug = _unique_slug(resource.name)
    resource.full_clean(exclude=None if new else ["slug"])
    resource.save()

    if "features" in changed_keys:
        resource.features.set(Feature.objects.filter(slug__in=proposed["features"]))
    labels = [FIELD_LABELS.get(key, key) for key in changed_keys]
    if ops and _apply_schedule_ops(resource, ops):
        labels.append("Meeting times")
    return labels


def _check_single_line(values: dict) -> None:
    """ValidationError naming each value with a line break, control or direction character."""
    errors = {}
    for key, value in values.items():
        try:
            SingleLineValidator(FIELD_LABELS.get(key, key))(value or "")
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)


def _apply_schedule_ops(resource: Resource, ops: list[dict]) -> bool:
    """Apply exactly these operations; ValidationError (and nothing written) when one fails."""
    changed = False
    for step in resolve_schedule_ops(resource, ops):
        if step.missing:
            if step.op == "change":
                raise ValidationError(
                    "A meeting time this correction changes no longer exists: check the "
                    "listing's times and reject or re-enter the correction."
                )
            continue  # already removed
        if step.op == "remove":
            step.before.delete()
            changed = True
            continue
        schedule = step.after
        schedule.resource = resource
        if step.op == "add" and (schedule.weekday is None or schedule.start_time is None):
            raise ValidationError("A new meeting time needs a day and a start time.")
        if not schedule.timezone:
            schedule.timezone = _default_zone(resource)
        schedule.full_clean(exclude=["resource"])
        if step.op == "add" or schedule_json(schedule) != schedule_json(step.before):
            schedule.save()
            changed = True
    return changed


def _updated_location(resource: Resource, proposed: dict) -> Location | None:
    from directory.search.geo import resolve_place

    existing = resource.location
    shared = existing is not None and existing.resources.exclude(pk=resource.pk).exists()
    if existing is None or shared:
        # Another listing meets there too: leave it alone and give this one its own copy.
        location = Location(organization=resource.organization)
        if existing is not None:
            for field in [*LOCATION_FIELDS.values(), "timezone", "notes", "organization_id"]:
                setattr(location, field, getattr(existing, field))
    else:
        location = existing
    before = (location.city, location.region, location.postal_code, location.country)
    for key, field in LOCATION_FIELDS.items():
        if key in proposed:
            setattr(location, field, (proposed[key] or "").strip())
    location.country = (location.country or "US").upper()
    if not any(getattr(location, f) for f in LOCATION_FIELDS.values() if f != "country"):
        return None
    after = (location.city, location.region, location.postal_code, location.country)
    if before != after or location.latitude is None:
        # Approximate coordinates from the offline gazetteer; a curator can refine them.
        query = location.postal_code or ", ".join(p for p in after[:2] if p)
        found = resolve_place(query).origin if query else None
        if found is None and location.postal_code and location.city:
            found = resolve_place(", ".join(p for p in after[:2] if p)).origin
        if found is not None:
            location.latitude, location.longitude = found.latitude, found.longitude
            location.approximate = True
            if found.place is not None and found.place.timezone:
                location.timezone = found.place.timezone
        else:
            location.latitude = location.longitude = None
    zones = [op.get("fields", {}).get("timezone") for op in proposed.get("schedules", [])]
    zone = proposed.get("timezone") or next((z for z in zones if z), None)
    if zone and location.timezone == "UTC":
        location.timezone = zone
    location.full_clean()
    location.save()
    return location


def _unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "listing"
    slug, n = base, 2
    while Resource.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
