import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models.base import ConstraintErrorsOnFields, optional_coordinates_check
from directory.models.listings import Status
from directory.models.organizations import Organization
from directory.models.places import Place
from directory.models.taxonomy import Feature, SupportType


class CredentialType(ConstraintErrorsOnFields, models.Model):
    """A peer recovery credential and the body that issues it (reference data)."""

    abbreviation = models.CharField(max_length=20, verbose_name=_("abbreviation"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    slug = models.SlugField(max_length=60, unique=True, verbose_name=_("slug"))
    issuing_body = models.CharField(max_length=200, verbose_name=_("issuing body"))
    jurisdiction = models.CharField(max_length=120, blank=True, verbose_name=_("jurisdiction"))
    renewal_years = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("renewal years")
    )
    public_lookup = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Where the public can check a holder's status."),
        verbose_name=_("public look-up"),
    )
    source_url = models.URLField(blank=True, verbose_name=_("source URL"))

    constraint_error_fields = {
        "credential_type_unique": "abbreviation",
    }

    class Meta:
        verbose_name = _("credential type")
        verbose_name_plural = _("credential types")
        ordering = ["abbreviation", "issuing_body"]
        constraints = [
            models.UniqueConstraint(
                fields=["abbreviation", "issuing_body"],
                name="credential_type_unique",
                violation_error_code="credential_type_duplicate",
                violation_error_message=_(
                    "This issuing body already has a credential type with this abbreviation."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.abbreviation} – {self.name}"


class PeerWorkerQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED, consent_to_publish=True)

    def with_current_credential(self, today: dt.date):
        return self.filter(
            credentials__in=Credential.objects.verified_and_current(today)
        ).distinct()


class PeerWorker(ConstraintErrorsOnFields, models.Model):
    """A person offering peer mentoring, recovery coaching or sober-companion services."""

    display_name = models.CharField(
        max_length=100,
        help_text=_("As the worker wants to be shown, e.g. 'Sam R.'"),
        verbose_name=_("display name"),
    )
    slug = models.SlugField(max_length=120, unique=True, verbose_name=_("slug"))
    bio = models.TextField(blank=True, verbose_name=_("bio"))
    lived_experience = models.TextField(
        _("lived-experience statement"), blank=True, help_text=_("In the worker's own words.")
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workers",
        verbose_name=_("organization"),
    )
    support_types = models.ManyToManyField(
        SupportType, related_name="workers", verbose_name=_("support types")
    )
    languages = models.ManyToManyField(
        Feature,
        blank=True,
        related_name="workers",
        limit_choices_to={"category__slug": "language"},
        verbose_name=_("languages"),
    )
    offers_online = models.BooleanField(default=False, verbose_name=_("offers online"))
    offers_in_person = models.BooleanField(default=True, verbose_name=_("offers in person"))
    service_place = models.ForeignKey(
        Place,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("service place"),
    )
    service_area = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("e.g. 'Greater Boston'"),
        verbose_name=_("service area"),
    )
    country = models.CharField(max_length=2, default="US", verbose_name=_("country"))
    latitude = models.FloatField(null=True, blank=True, verbose_name=_("latitude"))
    longitude = models.FloatField(null=True, blank=True, verbose_name=_("longitude"))
    service_radius_km = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("service radius (km)")
    )
    accepting_new_clients = models.BooleanField(
        default=True, verbose_name=_("accepting new clients")
    )
    contact_email = models.EmailField(blank=True, verbose_name=_("contact email"))
    contact_phone = models.CharField(max_length=40, blank=True, verbose_name=_("contact phone"))
    website = models.URLField(blank=True, verbose_name=_("website"))
    consent_to_publish = models.BooleanField(
        default=False,
        help_text=_("The worker agreed in writing to be listed publicly."),
        verbose_name=_("consent to publish"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status")
    )
    is_demo = models.BooleanField(default=False, verbose_name=_("demo data"))
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("UUID"))
    last_verified_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("last verified at")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = PeerWorkerQuerySet.as_manager()

    constraint_error_fields = {
        "worker_published_needs_consent": "consent_to_publish",
        "worker_offers_some_mode": "offers_online",
        "worker_coordinates_valid": "latitude",
    }

    class Meta:
        verbose_name = _("peer worker")
        verbose_name_plural = _("peer workers")
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(consent_to_publish=True),
                name="worker_published_needs_consent",
                violation_error_code="published_needs_consent",
                violation_error_message=_(
                    "A peer worker can only be published with their consent to publish."
                ),
            ),
            models.CheckConstraint(
                condition=Q(offers_online=True) | Q(offers_in_person=True),
                name="worker_offers_some_mode",
                violation_error_code="no_mode_offered",
                violation_error_message=_("Tick online, in person, or both."),
            ),
            optional_coordinates_check("worker_coordinates_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "offers_online"], name="worker_status_online"),
            models.Index(fields=["is_demo"], name="worker_is_demo"),
            # The public directory's pages, in their order (an index scan stops at the page).
            models.Index(
                fields=["display_name", "id"],
                condition=Q(status="published", consent_to_publish=True),
                name="worker_published_name",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("directory:worker-detail", args=[self.slug])


class CredentialQuerySet(models.QuerySet):
    def verified_and_current(self, today: dt.date):
        """Verified and not expired on ``today``: the only credentials shown as verified."""
        return self.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today),
            verification_status=Credential.Verification.VERIFIED,
        )

    def expiring_between(self, start: dt.date, end: dt.date):
        return self.filter(expires_on__gte=start, expires_on__lte=end)

    def expired(self, today: dt.date):
        return self.filter(expires_on__lt=today)


class Credential(ConstraintErrorsOnFields, models.Model):
    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", pgettext_lazy("credential", "Not verified")
        VERIFIED = "verified", pgettext_lazy("credential", "Verified")
        REVOKED = "revoked", _("Revoked or suspended")
        REJECTED = "rejected", _("Could not be verified")

    class Method(models.TextChoices):
        ISSUER_LOOKUP = "issuer_lookup", _("Issuing body's public look-up")
        DOCUMENT = "document", _("Certificate or document seen")
        PHONE = "phone", _("Phone call to the issuing body")
        OTHER = "other", _("Other (see evidence note)")

    worker = models.ForeignKey(
        PeerWorker,
        on_delete=models.CASCADE,
        related_name="credentials",
        verbose_name=_("peer worker"),
    )
    credential_type = models.ForeignKey(
        CredentialType,
        on_delete=models.PROTECT,
        related_name="credentials",
        verbose_name=_("credential type"),
    )
    number = models.CharField(_("credential number"), max_length=60, blank=True)
    issued_on = models.DateField(null=True, blank=True, verbose_name=_("issued on"))
    expires_on = models.DateField(null=True, blank=True, verbose_name=_("expires on"))
    verification_status = models.CharField(
        max_length=12,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
        verbose_name=_("verification status"),
    )
    verification_method = models.CharField(
        max_length=20, choices=Method.choices, blank=True, verbose_name=_("verification method")
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))
    evidence_note = models.TextField(
        blank=True,
        help_text=_("Staff only: never shown publicly."),
        verbose_name=_("evidence note"),
    )
    references_note = models.TextField(
        _("references checked"), blank=True, help_text=_("Staff only: never shown publicly.")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = CredentialQuerySet.as_manager()

    constraint_error_fields = {
        "credential_verified_has_verifier": "verification_method",
        "credential_expires_after_issue": "expires_on",
    }

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["credential_type__abbreviation"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(verification_status="verified")
                | Q(verified_by__isnull=False, verified_at__isnull=False)
                & ~Q(verification_method=""),
                name="credential_verified_has_verifier",
                violation_error_code="verified_needs_verifier",
                violation_error_message=_(
                    "A verified credential needs who verified it, when, and how."
                ),
            ),
            models.CheckConstraint(
                condition=Q(issued_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="credential_expires_after_issue",
                violation_error_code="expires_before_issue",
                violation_error_message=_("The expiry date must not be before the issue date."),
            ),
        ]
        indexes = [
            models.Index(fields=["verification_status", "expires_on"], name="credential_status_exp")
        ]

    def __str__(self) -> str:
        return f"{self.credential_type.abbreviation} ({self.worker})"

    def is_verified_and_current(self, today: dt.date) -> bool:
        return self.verification_status == self.Verification.VERIFIED and (
            self.expires_on is None or self.expires_on >= today
        )

    def is_expired(self, today: dt.date) -> bool:
        return self.expires_on is not None and self.expires_on < today
