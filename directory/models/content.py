from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields, Translated


class GuideSection(Translated, models.Model):
    """A section of the article, shown under /learn/."""

    class Kind(models.TextChoices):
        OVERVIEW = "overview", _("Overview")
        BENEFITS = "benefits", _("Benefits")
        RESOURCES = "resources", _("Practical resources")
        CHALLENGES = "challenges", _("Challenges")
        TYPES = "types", _("Types of peer support")
        QUALIFIED_WORKER = "qualified_worker", _("Choosing a qualified worker")
        RELAPSE_PREVENTION = "relapse_prevention", _("Relapse prevention")
        OTHER_TREATMENT = "other_treatment", _("Peer support and treatment")
        STRATEGIES = "strategies", _("Strategies")
        FAMILY = "family", _("Family and friends")

    slug = models.SlugField(max_length=120, unique=True, verbose_name=_("slug"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    kind = models.CharField(
        max_length=20, choices=Kind.choices, unique=True, verbose_name=_("kind")
    )
    body = models.TextField(
        help_text=_("Paragraphs separated by blank lines."), verbose_name=_("body")
    )
    list_title = models.CharField(max_length=200, blank=True, verbose_name=_("list title"))
    # Spanish, from the article's translation (fixtures/article/*.es.po) or a curator.
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    body_es = models.TextField(_("body (Spanish)"), blank=True)
    list_title_es = models.CharField(_("list title (Spanish)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("guide section")
        verbose_name_plural = _("guide sections")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("directory:guide-section", args=[self.slug])

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.localised("body").split("\n\n") if p.strip()]


class GuidePoint(ConstraintErrorsOnFields, Translated, models.Model):
    """A bullet point of a section; challenges and strategies have a short label."""

    section = models.ForeignKey(
        GuideSection, on_delete=models.CASCADE, related_name="points", verbose_name=_("section")
    )
    label = models.CharField(max_length=100, blank=True, verbose_name=_("label"))
    text = models.TextField(verbose_name=_("text"))
    label_es = models.CharField(_("label (Spanish)"), max_length=100, blank=True)
    text_es = models.TextField(_("text (Spanish)"), blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    constraint_error_fields = {
        "guide_point_position": "position",
    }

    class Meta:
        verbose_name = _("guide point")
        verbose_name_plural = _("guide points")
        ordering = ["section__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "position"],
                name="guide_point_position",
                violation_error_code="position_taken",
                violation_error_message=_(
                    "Another point of this section already has this position."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.text[:60]


class ChecklistItem(Translated, models.Model):
    """The article's "how to identify a qualified peer support worker" checklist."""

    title = models.CharField(max_length=100, unique=True, verbose_name=_("title"))
    text = models.TextField(verbose_name=_("text"))
    title_es = models.CharField(_("title (Spanish)"), max_length=100, blank=True)
    text_es = models.TextField(_("text (Spanish)"), blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title


class FAQ(Translated, models.Model):
    question = models.CharField(max_length=300, unique=True, verbose_name=_("question"))
    slug = models.SlugField(max_length=120, unique=True, verbose_name=_("slug"))
    answer = models.TextField(verbose_name=_("answer"))
    question_es = models.CharField(_("question (Spanish)"), max_length=300, blank=True)
    answer_es = models.TextField(_("answer (Spanish)"), blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        ordering = ["position"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")

    def __str__(self) -> str:
        return self.question


class CrisisLine(ConstraintErrorsOnFields, Translated, models.Model):
    """A confirmed help line; the visitor's country's lines show on every page."""

    country = models.CharField(max_length=2, verbose_name=_("country"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    phone = models.CharField(max_length=40, verbose_name=_("phone"))
    text = models.CharField(_("text option"), max_length=100, blank=True)
    url = models.URLField(blank=True, verbose_name=_("website"))
    hours = models.CharField(max_length=60, blank=True, verbose_name=_("hours"))
    description = models.CharField(max_length=300, blank=True, verbose_name=_("description"))
    # Spanish, from the reference file, where the line has it ("press 2 for Spanish").
    name_es = models.CharField(_("name (Spanish)"), max_length=100, blank=True)
    text_es = models.CharField(_("text option (Spanish)"), max_length=100, blank=True)
    description_es = models.CharField(_("description (Spanish)"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    constraint_error_fields = {
        "crisis_line_unique": "name",
    }

    class Meta:
        verbose_name = _("crisis line")
        verbose_name_plural = _("crisis lines")
        ordering = ["country", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "name"],
                name="crisis_line_unique",
                violation_error_code="crisis_line_duplicate",
                violation_error_message=_("This country already has a crisis line with this name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    @property
    def tel_href(self) -> str:
        return "tel:" + "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")
