from django.contrib import admin

from directory.admin.scoping import ScopedModelAdmin, ScopedTabularInline
from directory.models import FAQ, ChecklistItem, CrisisLine, GuidePoint, GuideSection


class GuidePointInline(ScopedTabularInline):
    model = GuidePoint
    extra = 0


@admin.register(GuideSection)
class GuideSectionAdmin(ScopedModelAdmin):
    list_display = ["title", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [GuidePointInline]


@admin.register(GuidePoint)
class GuidePointAdmin(ScopedModelAdmin):
    list_display = ["__str__", "section", "position"]
    list_filter = ["section"]
    search_fields = ["label", "text"]
    list_select_related = ["section"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ScopedModelAdmin):
    list_display = ["title", "position"]
    search_fields = ["title", "text"]


@admin.register(FAQ)
class FAQAdmin(ScopedModelAdmin):
    list_display = ["question", "position"]
    search_fields = ["question", "answer"]
    prepopulated_fields = {"slug": ["question"]}


@admin.register(CrisisLine)
class CrisisLineAdmin(ScopedModelAdmin):
    list_display = ["name", "country", "phone", "text", "hours", "position"]
    list_filter = ["country"]
    search_fields = ["name", "phone", "description"]
