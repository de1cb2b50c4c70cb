from django.contrib import admin

from directory.admin.scoping import ScopedModelAdmin
from directory.models import Submission


@admin.register(Submission)
class SubmissionAdmin(ScopedModelAdmin):
    organization_path = "resource__organization"
    curator_only = True
    list_display = ["__str__", "kind", "status", "created_at", "reviewer", "reviewed_at"]
    list_filter = ["status", "kind"]
    search_fields = ["resource__name", "message", "reporter_email"]
    list_select_related = ["resource", "reviewer"]
