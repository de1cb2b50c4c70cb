"""Public submissions: store first, notify curators, and apply or reject on review.

What a proposal holds and how its meeting-time operations read is ``services/proposals.py``;
the curator's diff of it is ``services/submission_review.py``; the curators' e-mail is
``services/curator_mail.py``.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from directory.models import Feature, Listing, Location, Submission, SupportType
from directory.models.listings import Status
from directory.services.audit import log_addition, log_change
from directory.submissions.curator_mail import send_curator_notification
from directory.submissions.proposals import (
    FIELD_LABELS,
    LISTING_FIELDS,
    LOCATION_FIELDS,
    MAX_NEW_SCHEDULES,
    PROPOSAL_FIELDS,
    SINGLE_LINE_KEYS,
    check_schedule_ops,
    current_values,
    default_zone,
    resolve_schedule_ops,
    schedule_json,
    schedule_ops,
)
from directory.validators import SingleLineValidator

logger = logging.getLogger(__name__)


# --- storing and notifying ------------------------------------------------------------------


def submit(
    *,
    kind: str,
    listing: Listing | None = None,
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
            listing=listing,
            proposed=proposed,
            message=message,
            reporter_name=reporter_name,
            reporter_email=reporter_email,
        )
    _enqueue_notification(submission, admin_url_builder)
    return submission


def _enqueue_notification(submission: Submission, admin_url_builder=None) -> None:
    """Queue the curators' e-mail for the task worker (``send_curator_notification``), once
    the submission is committed (``transaction.on_commit``: a caller's transaction that rolls
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
) -> Listing:
    """Apply the submission in one transaction and record who approved it and when.

    New listing → created with the curator's organisation, support type (the suggested one
    unless given) and status (draft unless said otherwise); correction → exactly the proposed
    fields and meeting times change; closure → the listing is archived. Raises
    ``ValidationError`` (nothing is written) when the result would not be a valid listing.
    """
    submission = _lock_pending(submission)
    now = timezone.now()
    if submission.kind == Submission.Kind.CLOSURE:
        listing = Listing.objects.select_for_update().get(pk=submission.listing_id)
        listing.status = Status.ARCHIVED
        listing.save(update_fields=["status", "updated_at"])
        log_change(by, listing, f"Archived: closure report #{submission.pk} approved.")
        note = "Listing archived."
    elif submission.kind == Submission.Kind.NEW_LISTING:
        listing = Listing(status=Status(status), organization=organization)
        proposed = dict(submission.proposed)
        if support_type is not None:
            proposed["support_type"] = support_type.slug
        apply_proposal(listing, proposed)
        log_addition(by, listing, f"Created from public suggestion #{submission.pk}.")
        with translation.override("en"):
            note = (
                f"Created listing “{listing.name}” ({listing.slug}) as "
                f"{listing.get_status_display().lower()}."
            )
    else:
        listing = Listing.objects.select_for_update().get(pk=submission.listing_id)
        changed = apply_proposal(listing, submission.proposed)
        log_change(
            by,
            listing,
            [{"changed": {"fields": changed}}] if changed else "No change.",
        )
        note = "Changed: " + (", ".join(changed) or "nothing") + "."
    submission.status = Submission.State.APPROVED
    submission.reviewer = by
    submission.reviewed_at = now
    submission.decision_reason = note
    submission.save(update_fields=["status", "reviewer", "reviewed_at", "decision_reason"])
    log_change(by, submission, f"Approved. {note}")
    return listing


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


def likely_duplicates(proposed: dict, *, limit: int = 10) -> list[tuple[Listing, str]]:
    """Existing listings that may be the suggested one: the same join link, or a same or
    similar name within a mile (or in the same town when the place has no coordinates)."""
    from directory.search.geo import bounding_box_q, haversine_miles, resolve_place

    found: dict[int, tuple[Listing, str]] = {}
    link = (proposed.get("conference_url") or "").strip().rstrip("/")
    if link:
        for listing in Listing.objects.filter(conference_url__istartswith=link)[:limit]:
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
    for listing in Listing.objects.filter(area).select_related("location")[:500]:
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


def apply_proposal(listing: Listing, proposed: dict) -> list[str]:
    """Write the proposed values onto ``listing`` (saved) and return the labels changed.

    Schedules change only as the proposal's operations say; a schedule it does not name is
    left exactly as it was.
    """
    new = listing.pk is None
    current = current_values(None if new else listing)
    keys = [*LISTING_FIELDS, *LOCATION_FIELDS, "features"]
    changed_keys = [k for k in keys if k in proposed and (new or proposed[k] != current[k])]
    _check_single_line({k: proposed[k] for k in changed_keys if k in SINGLE_LINE_KEYS})
    ops = schedule_ops(None if new else listing, proposed)
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
            setattr(listing, key, value)

    if any(key in changed_keys for key in LOCATION_FIELDS):
        listing.location = _updated_location(listing, proposed)

    if new:
        listing.slug = _unique_slug(listing.name)
    listing.full_clean(exclude=None if new else ["slug"])
    listing.save()

    if "features" in changed_keys:
        listing.features.set(Feature.objects.filter(slug__in=proposed["features"]))
    labels = [FIELD_LABELS.get(key, key) for key in changed_keys]
    if ops and _apply_schedule_ops(listing, ops):
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


def _apply_schedule_ops(listing: Listing, ops: list[dict]) -> bool:
    """Apply exactly these operations; ValidationError (and nothing written) when one fails."""
    changed = False
    for step in resolve_schedule_ops(listing, ops):
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
        schedule.listing = listing
        if step.op == "add" and (schedule.weekday is None or schedule.start_time is None):
            raise ValidationError("A new meeting time needs a day and a start time.")
        if not schedule.timezone:
            schedule.timezone = default_zone(listing)
        schedule.full_clean(exclude=["listing"])
        if step.op == "add" or schedule_json(schedule) != schedule_json(step.before):
            schedule.save()
            changed = True
    return changed


def _updated_location(listing: Listing, proposed: dict) -> Location | None:
    from directory.search.geo import resolve_place

    existing = listing.location
    shared = existing is not None and existing.listings.exclude(pk=listing.pk).exists()
    if existing is None or shared:
        # Another listing meets there too: leave it alone and give this one its own copy.
        location = Location(organization=listing.organization)
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
    while Listing.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
