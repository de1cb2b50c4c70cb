import datetime as dt

from django.contrib import admin, messages
from django.utils import timezone
from import_export.admin import ImportExportMixin

from directory.admin.importexport import ListingResource
from directory.admin.scoping import ScopedModelAdmin, ScopedTabularInline
from directory.models import Location, Resource, Schedule
from directory.models.listings import Status
from directory.services import curation
from directory.services.roles import is_curator

STALE_AFTER = dt.timedelta(days=183)  # "not verified in 6 months"


class ScheduleInline(ScopedTabularInline):
    model = Schedule
    organization_path = "resource__organization"
    fields = [
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
    ]
    extra = 0


class VerificationAgeFilter(admin.SimpleListFilter):
    title = "last verified"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [
            ("stale", "Not verified in 6 months"),
            ("never", "Never verified"),
            ("recent", "Verified in the last 6 months"),
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


@admin.register(Resource)
class ResourceAdmin(ImportExportMixin, ScopedModelAdmin):
    organization_path = "organization"
    resource_classes = [ListingResource]
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
    fieldsets = [
        (None, {"fields": ["name", "slug", "support_type", "organization", "status"]}),
        ("Description", {"fields": ["description", "features", "cost", "cost_notes"]}),
        ("Where", {"fields": ["attendance", "location"]}),
        (
            "Online",
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
        ("Contact", {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        (
            "Trust",
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

    def _mark_verified_on_save(self, request, obj) -> None:
        if "_save_verified" in request.POST:
            curation.mark_verified([obj], by=request.user)
            obj.refresh_from_db(fields=["last_verified_at", "last_verified_by", "updated_at"])
            self.message_user(
                request, f"“{obj}” is saved and marked verified today.", messages.SUCCESS
            )

    def response_change(self, request, obj):
        self._mark_verified_on_save(request, obj)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        self._mark_verified_on_save(request, obj)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Mark verified today", permissions=["change"])
    def mark_verified_today(self, request, queryset):
        count = curation.mark_verified(queryset, by=request.user)
        self.message_user(request, f"Marked {count} listing(s) verified today.", messages.SUCCESS)

    @admin.action(description="Publish", permissions=["change"])
    def publish(self, request, queryset):
        count = curation.set_status(queryset, Status.PUBLISHED, by=request.user)
        self.message_user(request, f"Published {count} listing(s).", messages.SUCCESS)

    @admin.action(description="Archive", permissions=["change"])
    def archive(self, request, queryset):
        count = curation.set_status(queryset, Status.ARCHIVED, by=request.user)
        self.message_user(request, f"Archived {count} listing(s).", messages.SUCCESS)


@admin.register(Location)
class LocationAdmin(ScopedModelAdmin):
    organization_path = "organization"
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


@admin.register(Schedule)
class ScheduleAdmin(ScopedModelAdmin):
    organization_path = "resource__organization"
    list_display = ["resource", "kind", "weekday", "start_time", "end_time", "timezone"]
    list_filter = ["kind", "weekday"]
    search_fields = ["resource__name", "timezone"]
    list_select_related = ["resource"]
    autocomplete_fields = ["resource"]
    fields = ["resource", *ScheduleInline.fields]
