from django.contrib import admin

from directory.admin.scoping import ScopedModelAdmin, ScopedTabularInline
from directory.models import Feature, FeatureCategory, SupportType


@admin.register(SupportType)
class SupportTypeAdmin(ScopedModelAdmin):
    list_display = ["name", "slug", "position", "is_meeting_based"]
    list_filter = ["is_meeting_based"]
    search_fields = ["name", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}


class FeatureInline(ScopedTabularInline):
    model = Feature
    fields = ["name", "slug", "code", "name_es", "position"]
    extra = 0


@admin.register(FeatureCategory)
class FeatureCategoryAdmin(ScopedModelAdmin):
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [FeatureInline]


@admin.register(Feature)
class FeatureAdmin(ScopedModelAdmin):
    list_display = ["name", "code", "category", "name_es", "position"]
    list_filter = ["category"]
    search_fields = ["name", "name_es", "code", "slug"]
    list_select_related = ["category"]
    prepopulated_fields = {"slug": ["name"]}
