from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields


class Place(ConstraintErrorsOnFields, models.Model):
    """The offline gazetteer: towns and postal codes with coordinates (GeoNames, CC BY 4.0)."""

    class Kind(models.TextChoices):
        CITY = "city", _("City or town")
        POSTAL_CODE = "postal_code", _("Postal code")

    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name=_("kind"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    search_name = models.CharField(
        max_length=200,
        db_index=True,
        help_text=_("Lower-case, accent-free name or code for look-ups."),
        verbose_name=_("search name"),
    )
    region_code = models.CharField(max_length=20, blank=True, verbose_name=_("region code"))
    region_name = models.CharField(max_length=100, blank=True, verbose_name=_("region name"))
    country = models.CharField(max_length=2, verbose_name=_("country"))
    latitude = models.FloatField(verbose_name=_("latitude"))
    longitude = models.FloatField(verbose_name=_("longitude"))
    population = models.PositiveIntegerField(default=0, verbose_name=_("population"))
    timezone = models.CharField(max_length=64, blank=True, verbose_name=_("time zone"))
    source_id = models.CharField(
        max_length=40, help_text=_("GeoNames id or postal code."), verbose_name=_("source ID")
    )

    constraint_error_fields = {
        "place_source_unique": "source_id",
        "place_coordinates_valid": "latitude",
    }

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["-population", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "country", "source_id"],
                name="place_source_unique",
                violation_error_code="place_duplicate",
                violation_error_message=_(
                    "The gazetteer already has this place (same kind, country and source id)."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="place_coordinates_valid",
                violation_error_code="coordinates_invalid",
                violation_error_message=_("Latitude must be −90 to 90 and longitude −180 to 180."),
            ),
        ]
        indexes = [
            models.Index(fields=["country", "region_code"], name="place_country_region"),
            # Town names on maps (directory/maps/draw.py towns_in): the towns inside a view,
            # most populous first; a region's by its box, a continent's by population.
            models.Index(
                fields=["kind", "latitude", "longitude", "population"], name="place_map_box"
            ),
            models.Index(fields=["kind", "population"], name="place_map_population"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        parts = [self.name]
        if self.region_name and self.region_name != self.name:
            parts.append(self.region_name)
        parts.append(self.country)
        return ", ".join(parts)
