import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from directory.admin.importexport import ListingResource, SizedImportForm
from directory.admin.scoping import ScopedModelAdmin, ScopedStackedInline
from directory.models import Feature, Listing, Location, Schedule
from directory.models.listings import ADDRESS_FIELDS, Status
from directory.models.schedules import SCHEDULE_FIELDS
from directory.services import curation
from directory.services.locations import fill_from_gazetteer, identical_location, zone_for_listing
from directory.services.roles import is_curator, organization_ids

STALE_AFTER = dt.timedelta(days=183)  # "not verified in 6 months"


# Django's own abbreviations ("Sun", "Mon"; Spanish "dom", "lun"), Monday first: ours is Sunday 0.
WEEKDAY_SHORT = [(day.value, WEEKDAYS_ABBR[(day.value - 1) % 7]) for day in Schedule.Weekday]
KIND_ONLY_FIELDS = {
    # field -> the kinds it belongs to (the editor shows it for those only, with JavaScript)
    "week_of_month": ["monthly"],
    "interval_weeks": ["interval"],
    "anchor_date": ["interval"],
}


class WeekdayCheckboxes(forms.CheckboxSelectMultiple):
    """Seven day boxes in a row (a fieldset whose legend is the field's label)."""


class ScheduleInlineForm(forms.ModelForm):
    """One row, one or several days: the row keeps its own day and each extra day ticked
    becomes a copy of it when saved. An empty time zone is the location's."""

    days = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAY_SHORT,
        coerce=int,
        widget=WeekdayCheckboxes(attrs={"class": "weekday-picker"}),
        help_text=_("Tick every day it meets at this time: each day becomes its own meeting time."),
    )

    class Meta:
        model = Schedule
        fields = SCHEDULE_FIELDS
        widgets = {
            "weekday": forms.HiddenInput,
            # Plain inputs: the browser's own time and date pickers, and no admin note about
            # the server's time zone, which is not the meeting's.
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "anchor_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "timezone": _("Leave empty for the location's time zone."),
            "week_of_month": _("Monthly only."),
            "interval_weeks": _("Every N weeks only: N, 2 or more."),
            "anchor_date": _("Every N weeks only: a date it meets on."),
            "valid_from": _("First date, if it has one."),
            "valid_to": _("Last date, if it has one."),
        }
        labels = {
            "kind": _("How often"),
            "timezone": _("Time zone"),
            "week_of_month": _("Week of the month"),
            "interval_weeks": _("Every N weeks"),
            "anchor_date": _("Meets on (a date)"),
            "valid_from": _("From"),
            "valid_to": _("Until"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_days: list[int] = []
        self.fields["weekday"].required = False
        self.fields["timezone"].required = False
        self.fields["timezone"].widget.attrs.update(placeholder=gettext("The location's"), size=18)
        self.fields["notes"].widget.attrs.update(size=24)
        if self.instance.pk:
            self.fields["days"].initial = [self.instance.weekday]
        self.fields["kind"].widget.attrs["data-kind-select"] = "1"
        for name, kinds in KIND_ONLY_FIELDS.items():
            self.fields[name].widget.attrs["data-kinds"] = " ".join(kinds)

    def clean(self):
        data = super().clean()
        days = sorted(set(data.get("days") or []))
        if not days:  # "days" has its error; the row keeps the day it had
            data["weekday"] = self.instance.weekday if self.instance.pk else None
            return data
        own = self.instance.weekday if self.instance.pk else None
        keep = own if own in days else days[0]
        data["weekday"] = keep
        self.extra_days = [day for day in days if day != keep]
        for day in self.extra_days:
            copy = self._copy_for(day, data)
            try:
                copy.full_clean(exclude=["listing", "timezone"])
            except forms.ValidationError as exc:
                self.add_error("days", exc.messages)
                break
        return data

    def _copy_for(self, day: int, data: dict | None = None) -> Schedule:
        data = data or {}
        copy = Schedule()
        for name in ScheduleInlineForm.Meta.fields:
            value = data.get(name, getattr(self.instance, name))
            setattr(copy, name, value)
        if copy.timezone is None:
            copy.timezone = ""
        if copy.notes is None:
            copy.notes = ""
        copy.weekday = day
        if copy.anchor_date is not None:
            # The same week, on the other day: the copy keeps the rhythm of the original.
            copy.anchor_date += dt.timedelta(days=day - data.get("weekday", copy.weekday))
        return copy

    def copies(self) -> list[Schedule]:
        return [self._copy_for(day, self.cleaned_data) for day in self.extra_days]


class ScheduleInline(ScopedStackedInline):
    model = Schedule
    form = ScheduleInlineForm
    organization_path = "listing__organization"
    fields = [
        ("kind", "days", "weekday"),
        ("start_time", "end_time", "timezone"),
        ("week_of_month", "interval_weeks", "anchor_date"),
        ("valid_from", "valid_to", "notes"),
    ]
    extra = 0
    classes = ["schedule-editor"]

    class Media:
        js = ["js/staff-schedule.js"]


class VerificationAgeFilter(admin.SimpleListFilter):
    title = _("last verified")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [
            ("stale", gettext("Not verified in 6 months")),
            ("never", gettext("Never verified")),
            ("recent", gettext("Verified in the last 6 months")),
        ]

    def queryset(self, request, queryset):
        cutoff = timezone.now() - STALE_AFTER
        match self.value():
            case "stale":
                return queryset.not_verified_since(cutoff)
            case "never":
                return queryset.filter(last_verified_at__isnull=True)
            case "recent":
                return queryset.filter(last_verified_at__gte=cutoff)
        return queryset


class LanguageFilter(admin.SimpleListFilter):
    """The language a listing's meetings are held in (its "language" features): staff see
    which listings declare Spanish, say. Not the page's language: a Spanish speaker on the
    English pages can still find Spanish meetings, and the reverse."""

    title = _("meetings held in")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        # The feature's name in the admin's language (its Spanish copy for a Spanish admin).
        return [
            (feature.slug, feature.localised("name"))
            for feature in Feature.objects.filter(category__slug="language").order_by(
                "position", "name"
            )
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(features__slug=self.value(), features__category__slug="language")
        return queryset


@admin.register(Listing)
class ListingAdmin(ImportExportMixin, ScopedModelAdmin):
    organization_path = "organization"
    resource_classes = [ListingResource]
    import_form_class = SizedImportForm
    list_display = [
        "name",
        "support_type",
        "organization",
        "attendance",
        "status",
        "last_verified_at",
        "is_demo",
    ]
    list_filter = [
        "status",
        VerificationAgeFilter,
        LanguageFilter,
        "attendance",
        "support_type",
        "cost",
        "is_demo",
    ]
    search_fields = [
        "name",
        "slug",
        "organization__name",
        "location__city",
        "location__postal_code",
    ]
    list_select_related = ["support_type", "organization"]
    autocomplete_fields = ["support_type", "organization", "location", "features"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["last_verified_at", "last_verified_by", "uuid", "created_at", "updated_at"]
    # The change form shows the meeting times right after the first two fieldsets (see
    # templates/admin/directory/listing/change_form.html).
    fieldsets = [
        (None, {"fields": ["name", "slug", "support_type", "organization", "status"]}),
        (_("Where"), {"fields": ["attendance", "location", "by_appointment"]}),
        (_("Description"), {"fields": ["description", "features", "cost", "cost_notes"]}),
        (
            _("Online"),
            {
                "fields": [
                    "website",
                    "conference_url",
                    "conference_url_notes",
                    "conference_phone",
                    "conference_phone_notes",
                ]
            },
        ),
        (_("Contact"), {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        (
            _("Trust"),
            {
                "fields": [
                    "last_verified_at",
                    "last_verified_by",
                    "is_demo",
                    "uuid",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [ScheduleInline]
    actions = ["mark_verified_today", "publish", "archive"]

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}

    def get_valid_export_item_pks(self, request):
        return self.get_queryset(request).values_list("pk", flat=True)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not is_curator(request.user):
            readonly.append("is_demo")
        return readonly

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), **_single_organization(request)}

    def save_formset(self, request, form, formset, change):
        if formset.model is not Schedule:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # fills new/changed/deleted_objects for the history
        for obj in formset.deleted_objects:
            obj.delete()
        listing = form.instance
        zone = None
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            schedules = [inline_form.instance, *inline_form.copies()]
            for schedule in schedules:
                schedule.listing = listing
                if not schedule.timezone:
                    zone = zone or zone_for_listing(listing)
                    schedule.timezone = zone
                schedule.save()
            formset.new_objects.extend(schedules[1:])

    def _mark_verified_on_save(self, request, obj) -> None:
        if "_save_verified" in request.POST:
            curation.mark_verified([obj], by=request.user)
            obj.refresh_from_db(fields=["last_verified_at", "last_verified_by", "updated_at"])
            self.message_user(
                request,
                gettext("“%(listing)s” is saved and marked verified today.") % {"listing": obj},
                messages.SUCCESS,
            )

    def response_change(self, request, obj):
        self._mark_verified_on_save(request, obj)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        self._mark_verified_on_save(request, obj)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("Mark verified today"), permissions=["change"])
    def mark_verified_today(self, request, queryset):
        count = curation.mark_verified(queryset, by=request.user)
        # English keeps "listing(s)" in both forms (as before); Spanish has its two forms.
        text = ngettext(
            "Marked %(count)s listing(s) verified today.",
            "Marked %(count)s listing(s) verified today.",
            count,
        )
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Publish"), permissions=["change"])
    def publish(self, request, queryset):
        count = curation.set_status(queryset, Status.PUBLISHED, by=request.user)
        text = ngettext("Published %(count)s listing(s).", "Published %(count)s listing(s).", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Archive"), permissions=["change"])
    def archive(self, request, queryset):
        count = curation.set_status(queryset, Status.ARCHIVED, by=request.user)
        text = ngettext("Archived %(count)s listing(s).", "Archived %(count)s listing(s).", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = [
            *ADDRESS_FIELDS,
            "organization",
            "notes",
            "timezone",
            "latitude",
            "longitude",
            "approximate",
            "is_demo",
        ]
        help_texts = {
            "timezone": _("Leave empty to use the town's (from the gazetteer)."),
            "latitude": _("Leave both empty to place it at the town or postcode (approximate)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "timezone" in self.fields:
            self.fields["timezone"].required = False
            if not self.instance.pk:
                self.initial["timezone"] = ""


@admin.register(Location)
class LocationAdmin(ScopedModelAdmin):
    organization_path = "organization"
    form = LocationForm
    list_display = [
        "__str__",
        "city",
        "region",
        "postal_code",
        "country",
        "organization",
        "approximate",
    ]
    list_filter = ["country", "approximate", "is_demo"]
    search_fields = ["name", "address_line1", "city", "postal_code", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "address_line1",
                    "address_line2",
                    ("city", "region"),
                    ("postal_code", "country"),
                    "organization",
                    "notes",
                ]
            },
        ),
        (
            _("Time zone and map position (filled in from the town when left empty)"),
            {
                "classes": ["collapse"],
                "fields": ["timezone", ("latitude", "longitude"), "approximate", "is_demo"],
            },
        ),
        (_("Record"), {"classes": ["collapse"], "fields": ["uuid", "created_at", "updated_at"]}),
    ]

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), **_single_organization(request)}

    def save_model(self, request, obj, form, change):
        fill_from_gazetteer(obj)
        if not change:
            existing = identical_location(obj)
            if existing is not None:
                # The same place already exists: use it rather than make a twin.
                for field in Location._meta.concrete_fields:
                    setattr(obj, field.attname, getattr(existing, field.attname))
                obj._state.adding = False
                self.message_user(
                    request,
                    gettext(
                        "“%(location)s” already existed with this address; it is used instead "
                        "of a copy."
                    )
                    % {"location": existing},
                    messages.INFO,
                )
                return
        super().save_model(request, obj, form, change)


@admin.register(Schedule)
class ScheduleAdmin(ScopedModelAdmin):
    organization_path = "listing__organization"
    list_display = ["listing", "kind", "weekday", "start_time", "end_time", "timezone"]
    list_filter = ["kind", "weekday"]
    search_fields = ["listing__name", "timezone"]
    list_select_related = ["listing"]
    autocomplete_fields = ["listing"]
    form = ScheduleInlineForm
    fields = ["listing", *ScheduleInline.fields]

    class Media:
        js = ["js/staff-schedule.js"]

    def save_model(self, request, obj, form, change):
        for schedule in [obj, *form.copies()]:
            schedule.listing = obj.listing
            if not schedule.timezone:
                schedule.timezone = zone_for_listing(obj.listing)
            schedule.save()


def _single_organization(request) -> dict:
    """An editor of exactly one organisation starts every new object in it."""
    if is_curator(request.user):
        return {}
    ids = list(organization_ids(request.user))
    return {"organization": ids[0]} if len(ids) == 1 else {}
