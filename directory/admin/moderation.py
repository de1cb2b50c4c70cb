from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from directory.admin.scoping import ScopedModelAdmin
from directory.models import Submission
from directory.services import submissions as submission_services


@admin.register(Submission)
class SubmissionAdmin(ScopedModelAdmin):
    """Review public submissions: a field-by-field diff, then Approve or Reject (with reason)."""

    organization_path = "resource__organization"
    curator_only = True
    list_display = ["__str__", "kind", "status", "created_at", "reviewer", "reviewed_at"]
    list_filter = ["status", "kind"]
    search_fields = ["resource__name", "message", "reporter_email", "reporter_name"]
    list_select_related = ["resource", "reviewer"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["kind", "listing", "status", "created_at"]}),
        ("Proposed changes", {"fields": ["proposed_changes"]}),
        ("From the public", {"fields": ["message", "reporter_name", "reporter_email"]}),
        ("Decision", {"fields": ["reviewer", "reviewed_at", "decision_reason"]}),
    ]
    readonly_fields = [
        "kind",
        "listing",
        "status",
        "created_at",
        "proposed_changes",
        "message",
        "reporter_name",
        "reporter_email",
        "reviewer",
        "reviewed_at",
        "decision_reason",
    ]

    def has_add_permission(self, request):
        return False  # submissions come from the public forms

    @admin.display(description="listing")
    def listing(self, obj: Submission):
        if not obj.resource_id:
            return "New listing"
        url = reverse("admin:directory_resource_change", args=[obj.resource_id])
        return format_html('<a href="{}">{}</a>', url, obj.resource)

    @admin.display(description="current → proposed")
    def proposed_changes(self, obj: Submission):
        return render_to_string(
            "admin/directory/submission/diff.html",
            {"rows": submission_services.diff(obj), "submission": obj},
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                wrap(require_POST(self.approve_view)),
                name="directory_submission_approve",
            ),
            path(
                "<path:object_id>/reject/",
                wrap(require_POST(self.reject_view)),
                name="directory_submission_reject",
            ),
            *super().get_urls(),
        ]

    def _reviewable(self, request, object_id) -> Submission:
        submission = self.get_object(request, object_id)
        if not self.has_change_permission(request, submission):
            raise PermissionDenied
        return submission

    def approve_view(self, request, object_id):
        submission = self._reviewable(request, object_id)
        try:
            resource = submission_services.approve(submission, by=request.user)
        except (ValidationError, submission_services.ReviewError) as exc:
            problems = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            self.message_user(request, f"Not approved: {problems}", messages.ERROR)
            return redirect("admin:directory_submission_change", submission.pk)
        self.message_user(
            request,
            format_html(
                'Approved. <a href="{}">{}</a> is updated.',
                reverse("admin:directory_resource_change", args=[resource.pk]),
                resource,
            ),
            messages.SUCCESS,
        )
        return redirect("admin:directory_submission_changelist")

    def reject_view(self, request, object_id):
        submission = self._reviewable(request, object_id)
        try:
            submission_services.reject(
                submission, by=request.user, reason=request.POST.get("reason", "")
            )
        except (ValidationError, submission_services.ReviewError) as exc:
            problems = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            self.message_user(request, f"Not rejected: {problems}", messages.ERROR)
            return redirect("admin:directory_submission_change", submission.pk)
        self.message_user(request, "Rejected. The listing is unchanged.", messages.SUCCESS)
        return redirect("admin:directory_submission_changelist")
