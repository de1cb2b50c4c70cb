"""A listing's meeting times (``Schedule``): weekly, monthly ("2nd Tuesday") or every N weeks,
each in its own time zone, with the columns the search index reads computed by the database."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Mod
from django.db.models.lookups import Exact
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from directory.models.base import ConstraintErrorsOnFields
from directory.models.listings import DaysSinceEpochSunday, Listing, MinuteOfDay
from directory.validators import validate_time_zone

# The fields that say when a meeting happens (not which listing it belongs to), as staff edit
# them in admin, as the schedule spreadsheet carries them and as a public correction proposes
# them: one list.
SCHEDULE_FIELDS = (
    "kind",
    "weekday",
    "start_time",
    "end_time",
    "timezone",
    "week_of_month",
    "interval_weeks",
    "anchor_date",
    "valid_from",
    "valid_to",
    "notes",
)


class ScheduleQuerySet(models.QuerySet):
    def active_on(self, day: dt.date):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )


class Schedule(ConstraintErrorsOnFields, models.Model):
    """When a listing meets, in the listing's own time zone.

    Weekdays count from 0 = Sunday, as in the Meeting Guide format.
    """

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Monthly, by position (e.g. first Saturday)")
        INTERVAL = "interval", _("Every N weeks from an anchor date")

    class Weekday(models.IntegerChoices):
        # A day on its own (the forms' day menus and checkboxes), translated.
        SUNDAY = 0, pgettext_lazy("weekday", "Sunday")
        MONDAY = 1, pgettext_lazy("weekday", "Monday")
        TUESDAY = 2, pgettext_lazy("weekday", "Tuesday")
        WEDNESDAY = 3, pgettext_lazy("weekday", "Wednesday")
        THURSDAY = 4, pgettext_lazy("weekday", "Thursday")
        FRIDAY = 5, pgettext_lazy("weekday", "Friday")
        SATURDAY = 6, pgettext_lazy("weekday", "Saturday")

    class WeekOfMonth(models.IntegerChoices):
        FIRST = 1, pgettext_lazy("week of the month", "First")
        SECOND = 2, pgettext_lazy("week of the month", "Second")
        THIRD = 3, pgettext_lazy("week of the month", "Third")
        FOURTH = 4, pgettext_lazy("week of the month", "Fourth")
        LAST = -1, pgettext_lazy("week of the month", "Last")

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("listing")
    )
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.WEEKLY, verbose_name=_("kind")
    )
    weekday = models.SmallIntegerField(choices=Weekday.choices, verbose_name=_("weekday"))
    start_time = models.TimeField(verbose_name=_("start time"))
    end_time = models.TimeField(null=True, blank=True, verbose_name=_("end time"))
    timezone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. America/Chicago"),
        verbose_name=_("time zone"),
    )
    week_of_month = models.SmallIntegerField(
        choices=WeekOfMonth.choices,
        null=True,
        blank=True,
        help_text=_("Monthly schedules only."),
        verbose_name=_("week of month"),
    )
    interval_weeks = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Every-N-weeks schedules only (2 or more)."),
        verbose_name=_("interval weeks"),
    )
    anchor_date = models.DateField(
        null=True,
        blank=True,
        help_text=_("A date the every-N-weeks meeting happens on."),
        verbose_name=_("anchor date"),
    )
    anchor_day = models.GeneratedField(
        expression=DaysSinceEpochSunday("anchor_date"),
        output_field=models.IntegerField(null=True),
        db_persist=True,
    )
    valid_from = models.DateField(null=True, blank=True, verbose_name=_("valid from"))
    valid_to = models.DateField(null=True, blank=True, verbose_name=_("valid to"))
    notes = models.CharField(max_length=200, blank=True, verbose_name=_("notes"))
    # Derived columns that let "happening now", day and time-of-day filters run in SQL.
    start_minute = models.GeneratedField(
        expression=MinuteOfDay("start_time"),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    end_minute = models.GeneratedField(
        expression=Coalesce(MinuteOfDay("end_time"), MinuteOfDay("start_time") + 60),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    start_week_minute = models.GeneratedField(
        expression=models.F("weekday") * 1440 + MinuteOfDay("start_time"),
        output_field=models.IntegerField(),
        db_persist=True,
    )

    objects = ScheduleQuerySet.as_manager()

    constraint_error_fields = {
        "schedule_weekday_range": "weekday",
        "schedule_end_after_start": "end_time",
        "schedule_kind_fields": "kind",
        "schedule_valid_range": "valid_to",
        "schedule_anchor_on_weekday": "anchor_date",
    }

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("meeting time")
        verbose_name_plural = _("meeting times")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="schedule_weekday_range",
                violation_error_code="weekday_unknown",
                violation_error_message=_("Choose a day of the week."),
            ),
            models.CheckConstraint(
                condition=Q(end_time__isnull=True) | Q(end_time__gt=models.F("start_time")),
                name="schedule_end_after_start",
                violation_error_code="end_before_start",
                violation_error_message=_("The end time must be after the start time."),
            ),
            models.CheckConstraint(
                condition=Q(kind="weekly", week_of_month__isnull=True, interval_weeks__isnull=True)
                | Q(
                    kind="monthly",
                    week_of_month__isnull=False,
                    week_of_month__in=[1, 2, 3, 4, -1],
                    interval_weeks__isnull=True,
                )
                | Q(
                    kind="interval",
                    interval_weeks__isnull=False,
                    interval_weeks__gte=2,
                    anchor_date__isnull=False,
                    week_of_month__isnull=True,
                ),
                name="schedule_kind_fields",
                violation_error_code="kind_fields_mismatch",
                violation_error_message=_(
                    "These details don’t fit how often it meets: every week takes no week of "
                    "the month or N; monthly needs which week of the month; every N weeks "
                    "needs N (2 or more) and a date it meets on."
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="schedule_valid_range",
                violation_error_code="valid_range_reversed",
                violation_error_message=_("The last date must not be before the first date."),
            ),
            models.CheckConstraint(
                condition=Q(anchor_date__isnull=True)
                | Q(Exact(Mod(DaysSinceEpochSunday("anchor_date"), 7), models.F("weekday"))),
                name="schedule_anchor_on_weekday",
                violation_error_code="anchor_not_on_weekday",
                violation_error_message=_(
                    "The date it meets on must fall on the meeting’s day of the week."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["weekday", "start_time"], name="schedule_weekday_start"),
            models.Index(fields=["timezone", "weekday"], name="schedule_tz_weekday"),
            models.Index(fields=["timezone", "start_week_minute"], name="schedule_tz_week_minute"),
        ]

    def __str__(self) -> str:
        from directory.scheduling import describe

        return describe(self)

    def kind_field_problems(self) -> dict[str, str]:
        """What does not fit the schedule's kind, field by field, in plain words."""
        problems = {}
        every_week = gettext("Leave this empty for a meeting every week.")
        if self.kind == self.Kind.WEEKLY:
            if self.week_of_month is not None:
                problems["week_of_month"] = every_week
            if self.interval_weeks is not None:
                problems["interval_weeks"] = every_week
        elif self.kind == self.Kind.MONTHLY:
            if self.week_of_month is None:
                problems["week_of_month"] = gettext("Choose which week of the month it meets.")
            if self.interval_weeks is not None:
                problems["interval_weeks"] = gettext("Leave this empty for a monthly meeting.")
        elif self.kind == self.Kind.INTERVAL:
            if self.interval_weeks is None or self.interval_weeks < 2:
                problems["interval_weeks"] = gettext(
                    "Give how many weeks apart it meets (2 or more)."
                )
            if self.anchor_date is None:
                problems["anchor_date"] = gettext(
                    "Give a date it meets on, to count the weeks from."
                )
            if self.week_of_month is not None:
                problems["week_of_month"] = gettext("Leave this empty for a meeting every N weeks.")
        return problems

    def validate_constraints(self, exclude=None):
        """The kind constraint's error goes on the very fields that do not fit, when shown."""
        exclude = set(exclude or ())
        if "weekday" in exclude:
            # Django cannot see the weekday inside the anchor constraint's lookup expression
            # and would evaluate it without one (FieldError): skip it, as it skips any
            # constraint on a field that already has an error.
            exclude.add("anchor_date")
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.error_dict
            general = [e for e in errors.get("kind", []) if e.code == "kind_fields_mismatch"]
            specific = {
                field: message
                for field, message in self.kind_field_problems().items()
                if field not in exclude
            }
            if general and specific:
                errors["kind"] = [e for e in errors["kind"] if e not in general]
                if not errors["kind"]:
                    del errors["kind"]
                for field, message in specific.items():
                    errors.setdefault(field, []).append(
                        ValidationError(message, code="kind_fields_mismatch")
                    )
            raise ValidationError(errors) from None
