import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields, Translated


class Organization(Translated, models.Model):
    class Kind(models.TextChoices):
        FELLOWSHIP = "fellowship", _("Fellowship")
        TREATMENT_CENTRE = "treatment_centre", _("Treatment centre")
        COMMUNITY = "community", _("Community organisation")
        ONLINE_PLATFORM = "online_platform", _("Online platform")

    name = models.CharField(max_length=200, verbose_name=_("name"))
    slug = models.SlugField(max_length=200, unique=True, verbose_name=_("slug"))
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.COMMUNITY, verbose_name=_("kind")
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    # Spanish, for the national fellowships (fixtures/reference/national-resources.csv, our own
    # text) or from a curator; blank: the English shows, marked as English, on Spanish pages.
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    website = models.URLField(blank=True, verbose_name=_("website"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    phone = models.CharField(max_length=40, blank=True, verbose_name=_("phone"))
    support_types = models.ManyToManyField(
        "directory.SupportType",
        blank=True,
        related_name="organizations",
        verbose_name=_("support types"),
    )
    attendance = models.CharField(
        _("how its groups meet"),
        max_length=10,
        blank=True,
        choices=[
            ("in_person", _("In person")),
            ("online", _("Online")),
            ("hybrid", _("In person and online")),
        ],
    )
    is_national = models.BooleanField(
        _("national or online fellowship"),
        default=False,
        help_text=_("A real national or online fellowship, listed with its official site."),
    )
    is_demo = models.BooleanField(
        default=False,
        help_text=_("Fictional sample data, labelled as such wherever it is shown."),
        verbose_name=_("demo data"),
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("UUID"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(ConstraintErrorsOnFields, models.Model):
    """Which organisations a staff user may curate, and in what role."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organization"),
    )
    role = models.CharField(
        max_length=10, choices=Role.choices, default=Role.EDITOR, verbose_name=_("role")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    constraint_error_fields = {
        "membership_unique": "organization",
    }

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                name="membership_unique",
                violation_error_code="already_member",
                violation_error_message=_("This person is already a member of that organisation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization} ({self.get_role_display()})"
