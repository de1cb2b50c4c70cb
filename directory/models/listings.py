import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models.base import ConstraintErrorsOnFields, optional_coordinates_check
from directory.models.organizations import Organization
from directory.models.taxonomy import Feature, SupportType
from directory.validators import validate_dial_string, validate_time_zone


class SearchDocument(models.Func):
    """English full-text vector of a listing's name and description (PostgreSQL); NULL elsewhere.

    Keep in step with directory.search.text and migration 0005's GIN index.
    """

    output_field = SearchVectorField(null=True)

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        (name, name_params), (description, description_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return (
            f"to_tsvector('english'::regconfig, coalesce({name}, '') || ' ' || "
            f"coalesce({description}, ''))",
            [*name_params, *description_params],
        )


def text_language(language_slugs) -> str:
    """The language of a listing's own text (its name, description), from the languages its
    meetings are held in: "es" when Spanish and not English, else "en" (the directory's
    source language, which curators and feeds mostly write in)."""
    languages = set(language_slugs)
    return "es" if "spanish" in languages and "english" not in languages else "en"


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


# A location's address as people write it: the admin's form, and (with the point and the
# zone) what makes two imported rows the same place.
ADDRESS_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)


class Location(ConstraintErrorsOnFields, models.Model):
    """A place where meetings happen; one church hall hosts many listings."""

    name = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("e.g. St Mark's Church hall"),
        verbose_name=_("name"),
    )
    address_line1 = models.CharField(max_length=200, blank=True, verbose_name=_("address line 1"))
    address_line2 = models.CharField(max_length=200, blank=True, verbose_name=_("address line 2"))
    city = models.CharField(max_length=100, blank=True, verbose_name=_("city"))
    region = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("State, province or county (code or name)."),
        verbose_name=_("region"),
    )
    postal_code = models.CharField(max_length=20, blank=True, verbose_name=_("postal code"))
    country = models.CharField(
        max_length=2,
        default="US",
        help_text=_("ISO 3166-1 alpha-2 code."),
        verbose_name=_("country"),
    )
    latitude = models.FloatField(null=True, blank=True, verbose_name=_("latitude"))
    longitude = models.FloatField(null=True, blank=True, verbose_name=_("longitude"))
    approximate = models.BooleanField(
        default=False,
        help_text=_("Coordinates are only the town's, not the building's."),
        verbose_name=_("approximate"),
    )
    timezone = models.CharField(
        max_length=64, validators=[validate_time_zone], default="UTC", verbose_name=_("time zone")
    )
    notes = models.TextField(
        blank=True, help_text=_("Directions, entrance, parking."), verbose_name=_("notes")
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="locations",
        verbose_name=_("organization"),
    )
    is_demo = models.BooleanField(default=False, verbose_name=_("demo data"))
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("UUID"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    constraint_error_fields = {
        "location_coordinates_valid": "latitude",
    }

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["city", "name"]
        constraints = [
            optional_coordinates_check("location_coordinates_valid"),
        ]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="location_lat_lon"),
            models.Index(fields=["country", "region", "city"], name="location_place"),
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in [self.name, self.address_line1, self.city] if part) or (
            f"Location {self.pk}"
        )

    @property
    def formatted_address(self) -> str:
        region_postal = " ".join(part for part in [self.region, self.postal_code] if part)
        parts = [self.address_line1, self.address_line2, self.city, region_postal, self.country]
        return ", ".join(part for part in parts if part)

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class ListingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def not_verified_since(self, moment: dt.datetime):
        return self.filter(Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=moment))

    def with_card_data(self):
        """What a result card shows, loaded without one query per card."""
        return (
            self.select_related("support_type", "location")
            .defer("support_type__summary", "support_type__body")
            .prefetch_related("features__category", "schedules")
        )


class ListingManager(models.Manager.from_queryset(ListingQuerySet)):
    def get_queryset(self):
        # Only keyword search reads the stored search document; rows never carry it.
        return super().get_queryset().defer("search_document")


class Listing(ConstraintErrorsOnFields, models.Model):
    """A listing: a meeting, group, programme or service people can join."""

    # The labels are what visitors read (cards, listing pages, the forms): translated.
    class Attendance(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")
        INACTIVE = "inactive", _("Temporarily inactive")

    class Cost(models.TextChoices):
        FREE = "free", pgettext_lazy("cost", "Free")
        DONATION = "donation", _("Voluntary donation")
        FEE = "fee", _("Fee")

    name = models.CharField(max_length=200, verbose_name=_("name"))
    slug = models.SlugField(max_length=220, unique=True, verbose_name=_("slug"))
    support_type = models.ForeignKey(
        SupportType,
        on_delete=models.PROTECT,
        related_name="listings",
        verbose_name=_("support type"),
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="listings",
        verbose_name=_("organization"),
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    attendance = models.CharField(
        max_length=10,
        choices=Attendance.choices,
        default=Attendance.IN_PERSON,
        verbose_name=_("attendance"),
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="listings",
        verbose_name=_("location"),
    )
    location_notes = models.TextField(
        blank=True,
        help_text=_(
            "This meeting's own directions at the location (room, entrance), shown with "
            "the location's notes."
        ),
        verbose_name=_("location notes"),
    )
    group_name = models.CharField(
        _("group"), max_length=200, blank=True, help_text=_("The group that holds the meeting.")
    )
    group_notes = models.TextField(blank=True, verbose_name=_("group notes"))
    district = models.CharField(max_length=100, blank=True, verbose_name=_("district"))
    regions = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Regions the source files it under, general first."),
        verbose_name=_("regions"),
    )
    group_email = models.EmailField(
        blank=True, help_text=_("The group's own address."), verbose_name=_("group email")
    )
    group_phone = models.CharField(max_length=40, blank=True, verbose_name=_("group phone"))
    # 2,048: the longest URL Django's validator accepts; feeds' links are kept whole.
    website = models.URLField(_("website"), blank=True, max_length=2048)
    conference_url = models.URLField(
        _("join link"),
        blank=True,
        max_length=2048,
        help_text=_("A link that joins the meeting directly."),
    )
    conference_url_notes = models.CharField(
        max_length=200, blank=True, verbose_name=_("join link notes")
    )
    conference_phone = models.CharField(
        _("dial-in phone"), max_length=60, blank=True, validators=[validate_dial_string]
    )
    conference_phone_notes = models.CharField(
        max_length=200, blank=True, verbose_name=_("dial-in phone notes")
    )
    contact_name = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("First name or initial only: no last names."),
        verbose_name=_("contact name"),
    )
    contact_email = models.EmailField(blank=True, verbose_name=_("contact email"))
    contact_phone = models.CharField(max_length=40, blank=True, verbose_name=_("contact phone"))
    by_appointment = models.BooleanField(
        _("by appointment"),
        default=False,
        help_text=_(
            "It has no regular time: people arrange one with the group or worker "
            "(the Meeting Guide format's meetings without a day)."
        ),
    )
    cost = models.CharField(
        max_length=10, choices=Cost.choices, default=Cost.FREE, verbose_name=_("cost")
    )
    cost_notes = models.CharField(max_length=200, blank=True, verbose_name=_("cost notes"))
    features = models.ManyToManyField(
        Feature, blank=True, related_name="listings", verbose_name=_("features")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status")
    )
    last_verified_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("last verified at")
    )
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last verified by"),
    )
    is_demo = models.BooleanField(
        default=False,
        help_text=_("Fictional sample data, labelled as such wherever it is shown."),
        verbose_name=_("demo data"),
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("UUID"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    # The keyword search's full-text document, stored so search does not re-parse every
    # matching description (PostgreSQL; always NULL on SQLite, whose search uses LIKE).
    search_document = models.GeneratedField(
        expression=SearchDocument("name", "description"),
        output_field=SearchVectorField(null=True),
        db_persist=True,
    )

    objects = ListingManager()

    constraint_error_fields = {
        "resource_online_has_link_or_phone": "conference_url",
        "resource_verifier_has_date": "last_verified_at",
        "resource_attendance_known": "attendance",
        "resource_status_known": "status",
    }

    class Meta:
        # The table kept its first name when the model became Listing (migration 0018).
        db_table = "directory_resource"
        ordering = ["name"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        constraints = [
            models.CheckConstraint(
                condition=Q(attendance__in=["in_person", "inactive"])
                | ~Q(conference_url="")
                | ~Q(conference_phone=""),
                name="resource_online_has_link_or_phone",
                violation_error_code="online_needs_link_or_phone",
                violation_error_message=_(
                    "An online or hybrid meeting needs a join link or a dial-in phone number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(last_verified_by__isnull=True) | Q(last_verified_at__isnull=False),
                name="resource_verifier_has_date",
                violation_error_code="verifier_needs_date",
                violation_error_message=_(
                    "A listing marked as verified by someone needs the date it was verified."
                ),
            ),
            models.CheckConstraint(
                condition=Q(attendance__in=["in_person", "online", "hybrid", "inactive"]),
                name="resource_attendance_known",
                violation_error_code="attendance_unknown",
                violation_error_message=_(
                    "Choose how people attend: in person, online, hybrid or temporarily inactive."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "archived"]),
                name="resource_status_known",
                violation_error_code="status_unknown",
                violation_error_message=_("Choose a status: draft, published or archived."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "support_type"], name="resource_status_type"),
            models.Index(fields=["status", "attendance"], name="resource_status_attendance"),
            models.Index(fields=["last_verified_at"], name="resource_last_verified"),
            models.Index(fields=["updated_at"], name="resource_updated"),
            models.Index(fields=["is_demo"], name="resource_is_demo"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("directory:listing-detail", args=[self.slug])

    def text_language(self) -> str:
        """The language curators and feeds wrote this listing in, as far as we can tell
        (``text_language`` decides; the page marks it when it is not its own)."""
        return text_language(f.slug for f in self.features.all() if f.category.slug == "language")

    @property
    def is_online(self) -> bool:
        return self.attendance in {self.Attendance.ONLINE, self.Attendance.HYBRID}

    @property
    def is_in_person(self) -> bool:
        return self.attendance in {self.Attendance.IN_PERSON, self.Attendance.HYBRID}


class DaysSinceEpochSunday(models.Func):
    """Whole days from 1970-01-04 to a date column, the same on PostgreSQL and SQLite."""

    output_field = models.IntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 2440590.5 AS INTEGER)",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="(%(expressions)s - DATE '1970-01-04')",
            **extra_context,
        )


class MinuteOfDay(models.Func):
    """Minutes since midnight of a time column, the same on PostgreSQL and SQLite."""

    output_field = models.IntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores times as 'HH:MM[:SS]' text.
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(CAST(substr(%(expressions)s, 1, 2) AS INTEGER) * 60"
                " + CAST(substr(%(expressions)s, 4, 2) AS INTEGER))"
            ),
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(EXTRACT(HOUR FROM %(expressions)s)::integer * 60"
                " + EXTRACT(MINUTE FROM %(expressions)s)::integer)"
            ),
            **extra_context,
        )


# How a listing that meets can be attended (every value but "temporarily inactive"): what a
# search offers, and what a reference file may say.
ACTIVE_ATTENDANCE = (
    Listing.Attendance.IN_PERSON,
    Listing.Attendance.ONLINE,
    Listing.Attendance.HYBRID,
)
