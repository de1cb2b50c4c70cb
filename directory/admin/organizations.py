from django.contrib import admin

from directory.admin.scoping import ScopedModelAdmin, ScopedTabularInline
from directory.models import Membership, Organization


class MembershipInline(ScopedTabularInline):
    model = Membership
    organization_path = "organization"
    curator_only = True
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(ScopedModelAdmin):
    organization_path = "pk"
    list_display = ["name", "kind", "attendance", "is_national", "is_demo", "updated_at"]
    list_filter = ["kind", "attendance", "is_national", "is_demo", "support_types"]
    search_fields = ["name", "slug", "email"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["support_types"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    organization_path = "organization"
    curator_only = True
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
