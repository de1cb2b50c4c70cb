import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields


class Organization(models.Model):
    class Kind(models.TextChoices):
        FELLOWSHIP = "fellowship", "Fellowship"
        TREATMENT_CENTRE = "treatment_centre", "Treatment centre"
        COMMUNITY = "community", "Community organisation"
        ONLINE_PLATFORM = "online_platform", "Online platform"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMMUNITY)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    support_types = models.ManyToManyField(
        "directory.SupportType", blank=True, related_name="organizations"
    )
    attendance = models.CharField(
        "how its groups meet",
        max_length=10,
        blank=True,
        choices=[
            ("in_person", "In person"),
            ("online", "Online"),
            ("hybrid", "In person and online"),
        ],
    )
    is_national = models.BooleanField(
        "national or online fellowship",
        default=False,
        help_text="A real national or online fellowship, listed with its official site.",
    )
    is_demo = models.BooleanField(
        default=False, help_text="Fictional sample data, labelled as such wherever it is shown."
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(ConstraintErrorsOnFields, models.Model):
    """Which organisations a staff user may curate, and in what role."""

    class Role(models.TextChoices):
        EDITOR = "editor", "Editor"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

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
                violation_error_message="This person is already a member of that organisation.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization} ({self.get_role_display()})"
