from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields
from directory.models.listings import Resource


class Submission(ConstraintErrorsOnFields, models.Model):
    """A public suggestion of a new listing, a correction, or a report that one has closed.

    ``proposed`` holds structured field values that mirror the listing, never free text alone.
    """

    class Kind(models.TextChoices):
        NEW_LISTING = "new", "New listing"
        CORRECTION = "correction", "Correction"
        CLOSURE = "closure", "No longer meets"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="submissions"
    )
    proposed = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, max_length=2000)
    reporter_name = models.CharField(max_length=100, blank=True)
    reporter_email = models.EmailField(blank=True)
    status = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    constraint_error_fields = {
        "submission_kind_matches_resource": "resource",
        "submission_decision_has_reviewer": "reviewer",
        "submission_rejection_has_reason": "decision_reason",
    }

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="new", resource__isnull=True)
                | Q(kind__in=["correction", "closure"], resource__isnull=False),
                name="submission_kind_matches_resource",
                violation_error_code="kind_resource_mismatch",
                violation_error_message=(
                    "A suggested new listing has no listing yet; a correction or a closure report"
                    " needs the listing it is about."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="pending")
                | Q(reviewer__isnull=False, reviewed_at__isnull=False),
                name="submission_decision_has_reviewer",
                violation_error_code="decision_needs_reviewer",
                violation_error_message=(
                    "An approved or rejected submission needs who reviewed it and when."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_reason=""),
                name="submission_rejection_has_reason",
                violation_error_code="rejection_needs_reason",
                violation_error_message="Give a reason for rejecting.",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="submission_status_created")]

    def __str__(self) -> str:
        target = self.resource.name if self.resource_id else self.proposed.get("name", "?")
        return f"{self.get_kind_display()}: {target}"
