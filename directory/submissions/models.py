from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models.base import ConstraintErrorsOnFields
from directory.models.listings import Listing


class Submission(ConstraintErrorsOnFields, models.Model):
    """A public suggestion of a new listing, a correction, or a report that one has closed.

    ``proposed`` holds structured field values that mirror the listing, never free text alone.
    """

    class Kind(models.TextChoices):
        NEW_LISTING = "new", _("New listing")
        CORRECTION = "correction", _("Correction")
        CLOSURE = "closure", _("No longer meets")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", pgettext_lazy("submission", "Approved")
        REJECTED = "rejected", pgettext_lazy("submission", "Rejected")

    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name=_("kind"))
    listing = models.ForeignKey(
        Listing,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="submissions",
        verbose_name=_("listing"),
    )
    proposed = models.JSONField(default=dict, blank=True, verbose_name=_("proposed"))
    message = models.TextField(blank=True, max_length=2000, verbose_name=_("message"))
    reporter_name = models.CharField(max_length=100, blank=True, verbose_name=_("reporter name"))
    reporter_email = models.EmailField(blank=True, verbose_name=_("reporter email"))
    status = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, verbose_name=_("status")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    decision_reason = models.TextField(blank=True, verbose_name=_("decision reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    constraint_error_fields = {
        "submission_kind_matches_resource": "listing",
        "submission_decision_has_reviewer": "reviewer",
        "submission_rejection_has_reason": "decision_reason",
    }

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="new", listing__isnull=True)
                | Q(kind__in=["correction", "closure"], listing__isnull=False),
                name="submission_kind_matches_resource",
                violation_error_code="kind_resource_mismatch",
                violation_error_message=_(
                    "A suggested new listing has no listing yet; a correction or a closure report"
                    " needs the listing it is about."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="pending")
                | Q(reviewer__isnull=False, reviewed_at__isnull=False),
                name="submission_decision_has_reviewer",
                violation_error_code="decision_needs_reviewer",
                violation_error_message=_(
                    "An approved or rejected submission needs who reviewed it and when."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_reason=""),
                name="submission_rejection_has_reason",
                violation_error_code="rejection_needs_reason",
                violation_error_message=_("Give a reason for rejecting."),
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="submission_status_created")]

    def __str__(self) -> str:
        target = self.listing.name if self.listing_id else self.proposed.get("name", "?")
        return f"{self.get_kind_display()}: {target}"
