from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields, Translated


class SupportType(Translated, models.Model):
    """One of the five kinds of peer support the article names."""

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    slug = models.SlugField(max_length=100, unique=True, verbose_name=_("slug"))
    summary = models.TextField(blank=True, verbose_name=_("summary"))
    body = models.TextField(
        blank=True, help_text=_("The article's text on this type."), verbose_name=_("body")
    )
    # Spanish, from the article's translation (fixtures/article/*.es.po) or a curator.
    name_es = models.CharField(_("name (Spanish)"), max_length=100, blank=True)
    summary_es = models.TextField(_("summary (Spanish)"), blank=True)
    body_es = models.TextField(_("body (Spanish)"), blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    is_meeting_based = models.BooleanField(
        default=True,
        help_text=_("Groups that meet on a schedule (as opposed to one-to-one support)."),
        verbose_name=_("meets on a schedule"),
    )

    class Meta:
        verbose_name = _("support type")
        verbose_name_plural = _("support types")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("directory:support-type-detail", args=[self.slug])


class FeatureCategory(models.Model):
    """A facet of the taxonomy: meeting format, audience, accessibility, language, focus."""

    slug = models.SlugField(max_length=50, unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("feature category")
        ordering = ["position", "name"]
        verbose_name_plural = _("feature categories")

    def __str__(self) -> str:
        return self.name


class Feature(ConstraintErrorsOnFields, Translated, models.Model):
    """An attribute of a listing, e.g. "Women", "Wheelchair access", "Spanish".

    ``code`` is the Meeting Guide type code when there is one, so feeds map both ways.
    """

    category = models.ForeignKey(
        FeatureCategory,
        on_delete=models.PROTECT,
        related_name="features",
        verbose_name=_("category"),
    )
    slug = models.SlugField(max_length=60, unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    name_es = models.CharField(_("name (Spanish)"), max_length=100, blank=True)
    code = models.CharField(
        _("Meeting Guide code"),
        max_length=12,
        blank=True,
        help_text=_("Type code in the Meeting Guide spec."),
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    constraint_error_fields = {
        "feature_code_unique": "code",
    }

    class Meta:
        verbose_name = _("feature")
        verbose_name_plural = _("features")
        ordering = ["category__position", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=~models.Q(code=""),
                name="feature_code_unique",
                violation_error_code="code_taken",
                violation_error_message=_("Another feature already uses this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the page's language: Spanish from the Meeting Guide types list (or a
        curator) when there is one, else the English."""
        return self.localised("name")
