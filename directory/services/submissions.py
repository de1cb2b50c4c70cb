"""Public submissions: store first, notify curators, and apply or reject on review.

A submission's ``proposed`` dict is flat and mirrors the listing (see ``PROPOSAL_FIELDS``):
listing fields by name, the location's fields, one weekly schedule, and feature slugs. A
correction holds only the fields the visitor changed, so approving it changes exactly those.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from directory.models import Feature, Location, Resource, Schedule, Submission, SupportType
from directory.models.listings import Status
from directory.services.audit import log_addition, log_change
from directory.services.roles import CURATOR

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
SCHEDULE_FIELDS = ["weekday", "start_time", "end_time", "timezone"]
PROPOSAL_FIELDS = [*LISTING_FIELDS, *LOCATION_FIELDS, *SCHEDULE_FIELDS, "features"]


# --- reading a listing in the proposal's shape ---------------------------------------------


def _time(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def current_values(resource: Resource | None) -> dict:
    """The listing's values under the proposal's keys ('' or [] when it has none)."""
    values: dict = dict.fromkeys([*LISTING_FIELDS, *LOCATION_FIELDS, *SCHEDULE_FIELDS], "")
    values["features"] = []
    if resource is None:
        return values
    for name in LISTING_FIELDS:
        values[name] = getattr(resource, name) or ""
    values["support_type"] = resource.support_type.slug
    if resource.location_id:
        for key, field in LOCATION_FIELDS.items():
            values[key] = getattr(resource.location, field) or ""
    schedules = list(resource.schedules.all())
    if len(schedules) == 1 and schedules[0].kind == Schedule.Kind.WEEKLY:
        only = schedules[0]
        values.update(
            weekday=only.weekday,
            start_time=_time(only.start_time),
            end_time=_time(only.end_time),
            timezone=only.timezone,
        )
    values["features"] = sorted(resource.features.values_list("slug", flat=True))
    return values


def schedule_summary(resource: Resource | None) -> str:
    if resource is None:
        return ""
    return "; ".join(str(s) for s in resource.schedules.all())


def diff(submission: Submission) -> list[dict]:
    """Field-by-field rows for the review screen: label, current value, proposed value."""
    from directory.forms import FIELD_LABELS

    current = current_values(submission.resource)
    rows = []
    for key in PROPOSAL_FIELDS:
        if key not in submission.proposed:
            continue
        before, after = current.get(key, ""), submission.proposed[key]
        if key in SCHEDULE_FIELDS and submission.resource and current["weekday"] == "":
            before = schedule_summary(submission.resource) or "—"
        rows.append(
            {
                "key": key,
                "label": FIELD_LABELS.get(key, key),
                "current": _display(key, before),
                "proposed": _display(key, after),
                "changed": before != after,
            }
        )
    return rows


def _display(key: str, value) -> str:
    if key == "weekday" and value not in ("", None):
        return Schedule.Weekday(int(value)).label
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return str(value) if value not in ("", None) else "—"


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
    """Queue the curators' e-mail for the task worker (directory/tasks.py): not in the request."""
    from directory.tasks import send_curator_notification

    try:
        site_root = admin_url_builder("/").rstrip("/") if admin_url_builder else ""
        send_curator_notification.enqueue(submission.pk, site_root)
    except Exception:
        # The submission is already stored; the curators will see it in admin.
        logger.exception("Could not queue the curators' e-mail for submission %s", submission.pk)


def curator_recipients() -> list[str]:
    addresses = list(settings.DIRECTORY_CURATOR_EMAILS)
    addresses += (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CURATOR)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return list(dict.fromkeys(addresses))


def notify_curators(submission: Submission, *, admin_url_builder=None) -> bool:
    """E-mail the curators about a new submission. Never raises; returns whether it was sent."""
    try:
        recipients = curator_recipients()
        if not recipients:
            logger.info(
                "Submission %s stored; no curator e-mail addresses to notify.", submission.pk
            )
            return False
        from django.urls import reverse

        path = reverse("admin:directory_submission_change", args=[submission.pk])
        link = admin_url_builder(path) if admin_url_builder else path
        target = (
            submission.resource.name
            if submission.resource_id
            else submission.proposed.get("name", "")
        )
        body = (
            f"A member of the public sent a {submission.get_kind_display().lower()}"
            f" for “{target}”.\n\nReview it here: {link}\n\n"
            "Nothing is published until a curator approves it.\n"
        )
        send_mail(
            f"[Peer Support Directory] {submission.get_kind_display()}: {target}"[:200],
            body,
            None,
            recipients,
        )
        return True
    except Exception:
        # The submission is already stored; the curators will see it in admin.
        logger.exception("Could not e-mail curators about submission %s", submission.pk)
        return False


# --- review -----------------------------------------------------------------------------------


class ReviewError(Exception):
    pass


def _lock_pending(submission: Submission) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Submission.State.PENDING:
        raise ReviewError(f"This submission was already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def approve(submission: Submission, *, by) -> Resource:
    """Apply the submission in one transaction and record who approved it and when.

    New listing → created and published; correction → exactly the proposed fields change;
    closure → the listing is archived. Raises ``ValidationError`` (nothing is written) when
    the result would not be a valid listing.
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
        resource = Resource(status=Status.PUBLISHED)
        changed = apply_proposal(resource, submission.proposed)
        log_addition(by, resource, f"Created from public suggestion #{submission.pk}.")
        note = f"Created listing “{resource.name}” ({resource.slug})."
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


def apply_proposal(resource: Resource, proposed: dict) -> list[str]:
    """Write the proposed values onto ``resource`` (saved) and return the labels changed."""
    from directory.forms import FIELD_LABELS

    current = current_values(resource if resource.pk else None)
    changed_keys = [k for k in PROPOSAL_FIELDS if k in proposed and proposed[k] != current[k]]
    if resource.pk is None:
        changed_keys = [k for k in PROPOSAL_FIELDS if k in proposed]

    for key in LISTING_FIELDS:
        if key in changed_keys:
            value = proposed[key]
            if key == "support_type":
                value = SupportType.objects.get(slug=value)
            setattr(resource, key, value)

    if any(key in changed_keys for key in LOCATION_FIELDS):
        resource.location = _updated_location(resource, proposed)

    if resource.pk is None:
        resource.slug = _unique_slug(resource.name)
    resource.full_clean(exclude=["slug"] if resource.pk else None)
    resource.save()

    if "features" in changed_keys:
        resource.features.set(Feature.objects.filter(slug__in=proposed["features"]))
    if any(key in changed_keys for key in SCHEDULE_FIELDS):
        _apply_schedule(resource, {**current, **proposed})
    return [FIELD_LABELS.get(key, key) for key in changed_keys]


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
    if proposed.get("timezone") and location.timezone == "UTC":
        location.timezone = proposed["timezone"]
    location.full_clean()
    location.save()
    return location


def _apply_schedule(resource: Resource, values: dict) -> None:
    if values.get("weekday") in ("", None) or not values.get("start_time"):
        raise ValidationError("A schedule needs a day and a start time.")
    schedules = list(resource.schedules.all())
    schedule = schedules[0] if len(schedules) == 1 else Schedule(resource=resource)
    if len(schedules) > 1:
        # The form proposes one weekly meeting; it replaces the listing's schedules (the
        # review screen shows the old ones next to it).
        resource.schedules.all().delete()
    schedule.kind = Schedule.Kind.WEEKLY
    schedule.week_of_month = schedule.interval_weeks = schedule.anchor_date = None
    schedule.weekday = int(values["weekday"])
    schedule.start_time = dt.time.fromisoformat(values["start_time"])
    schedule.end_time = (
        dt.time.fromisoformat(values["end_time"]) if values.get("end_time") else None
    )
    schedule.timezone = values.get("timezone") or (
        resource.location.timezone if resource.location_id else settings.TIME_ZONE
    )
    schedule.full_clean(exclude=["resource"])
    schedule.save()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "listing"
    slug, n = base, 2
    while Resource.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
