from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from directory.admin.scoping import ScopedModelAdmin
from directory.models import Organization, Submission, SupportType
from directory.models.listings import Status
from directory.submissions import review as submission_review
from directory.submissions import services as submission_services


class ApproveNewListingForm(forms.Form):
    """What the curator decides when a suggestion becomes a listing."""

    organization = forms.ModelChoiceField(
        Organization.objects.all(),
        required=False,
        empty_label=_("No organisation"),
        label=_("Organisation"),
        help_text=_("Who keeps this listing up to date."),
    )
    support_type = forms.ModelChoiceField(
        SupportType.objects.all(), to_field_name="slug", label=_("Type of support")
    )
    status = forms.ChoiceField(
        choices=[(Status.DRAFT, _("Draft: not public yet")), (Status.PUBLISHED, _("Published"))],
        initial=Status.DRAFT,
        required=False,
        widget=forms.RadioSelect,
        label=_("Status after approval"),
    )

    def clean_status(self):
        return self.cleaned_data.get("status") or Status.DRAFT

    def __init__(self, *args, submission: Submission, **kwargs):
        initial = {"support_type": submission.proposed.get("support_type")}
        super().__init__(*args, initial=initial, prefix="approve", **kwargs)


class RejectManyForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to curators only)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


# The record of a decision: left out while the submission waits (the decision form stands in).
REVIEW = _("Review")


@admin.register(Submission)
class SubmissionAdmin(ScopedModelAdmin):
    """Review public submissions: a field-by-field diff, then Approve or Reject (with reason)."""

    organization_path = "listing__organization"
    curator_only = True
    list_display = ["__str__", "kind", "status", "created_at", "reviewer", "reviewed_at"]
    list_filter = ["status", "kind"]
    search_fields = ["listing__name", "message", "reporter_email", "reporter_name"]
    list_select_related = ["listing", "reviewer"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["kind", "listing_link", "status", "created_at"]}),
        (_("Proposed changes"), {"fields": ["proposed_changes"]}),
        (_("From the public"), {"fields": ["message", "reporter_name", "reporter_email"]}),
        (REVIEW, {"fields": ["reviewer", "reviewed_at", "decision_reason"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status == Submission.State.PENDING:
            # Not reviewed yet: the decision form below takes the place of the record.
            return [fs for fs in fieldsets if fs[0] != REVIEW]
        return fieldsets

    readonly_fields = [
        "kind",
        "listing_link",
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

    actions = ["reject_selected"]

    def has_add_permission(self, request):
        return False  # submissions come from the public forms

    @admin.action(
        description=_("Reject selected submissions with one reason"), permissions=["change"]
    )
    def reject_selected(self, request, queryset):
        pending = list(queryset.filter(status=Submission.State.PENDING))
        form = RejectManyForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            count = submission_services.reject_many(
                pending, by=request.user, reason=form.cleaned_data["reason"]
            )
            text = ngettext(
                "Rejected %(count)s submission(s). No listing changed.",
                "Rejected %(count)s submission(s). No listing changed.",
                count,
            )
            self.message_user(request, text % {"count": count}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/directory/submission/reject_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Reject submissions"),
                "opts": self.opts,
                "form": form,
                "submissions": pending,
                "skipped": queryset.exclude(status=Submission.State.PENDING).count(),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        submission = self.get_object(request, object_id)
        if submission.kind == Submission.Kind.NEW_LISTING and (
            submission.status == Submission.State.PENDING
        ):
            extra_context["approve_form"] = ApproveNewListingForm(submission=submission)
            extra_context["duplicates"] = submission_services.likely_duplicates(submission.proposed)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("listing"))
    def listing_link(self, obj: Submission):
        if not obj.listing_id:
            return gettext("New listing")
        url = reverse("admin:directory_listing_change", args=[obj.listing_id])
        return format_html('<a href="{}">{}</a>', url, obj.listing)

    @admin.display(description=_("current → proposed"))
    def proposed_changes(self, obj: Submission):
        return render_to_string(
            "admin/directory/submission/diff.html",
            {"rows": submission_review.diff(obj), "submission": obj},
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
        options = {}
        if submission.kind == Submission.Kind.NEW_LISTING:
            form = ApproveNewListingForm(request.POST, submission=submission)
            if not form.is_valid():
                problems = "; ".join(
                    f"{form.fields[name].label}: {' '.join(errors)}"
                    for name, errors in form.errors.items()
                )
                self.message_user(
                    request,
                    gettext("Not approved: %(problems)s") % {"problems": problems},
                    messages.ERROR,
                )
                return redirect("admin:directory_submission_change", submission.pk)
            options = form.cleaned_data
        try:
            listing = submission_services.approve(submission, by=request.user, **options)
        except (ValidationError, submission_services.ReviewError) as exc:
            problems = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            self.message_user(
                request,
                gettext("Not approved: %(problems)s") % {"problems": problems},
                messages.ERROR,
            )
            return redirect("admin:directory_submission_change", submission.pk)
        url = reverse("admin:directory_listing_change", args=[listing.pk])
        if submission.kind == Submission.Kind.NEW_LISTING:
            # One whole sentence per status.
            text = {
                Status.DRAFT: gettext('Approved. Created <a href="{url}">{listing}</a> as draft.'),
                Status.PUBLISHED: gettext(
                    'Approved. Created <a href="{url}">{listing}</a> as published.'
                ),
                Status.ARCHIVED: gettext(
                    'Approved. Created <a href="{url}">{listing}</a> as archived.'
                ),
            }[listing.status]
        elif submission.kind == Submission.Kind.CLOSURE:
            text = gettext('Approved. <a href="{url}">{listing}</a> is archived.')
        else:
            text = gettext('Approved. <a href="{url}">{listing}</a> is updated.')
        self.message_user(request, format_html(text, url=url, listing=listing), messages.SUCCESS)
        return redirect("admin:directory_submission_changelist")

    def reject_view(self, request, object_id):
        submission = self._reviewable(request, object_id)
        try:
            submission_services.reject(
                submission, by=request.user, reason=request.POST.get("reason", "")
            )
        except (ValidationError, submission_services.ReviewError) as exc:
            problems = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            self.message_user(
                request,
                gettext("Not rejected: %(problems)s") % {"problems": problems},
                messages.ERROR,
            )
            return redirect("admin:directory_submission_change", submission.pk)
        self.message_user(request, gettext("Rejected. The listing is unchanged."), messages.SUCCESS)
        return redirect("admin:directory_submission_changelist")
