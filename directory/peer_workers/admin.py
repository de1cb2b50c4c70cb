import datetime as dt

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory.admin.scoping import ScopedModelAdmin, ScopedStackedInline
from directory.models import Credential, CredentialType, PeerWorker
from directory.peer_workers import verification as credential_services
from directory.services.roles import is_curator

VERIFICATION_FIELDS = (
    "verification_status",
    "verification_method",
    "evidence_note",
    "references_note",
)
CREDENTIAL_FIELDS = [
    "credential_type",
    "number",
    ("issued_on", "expires_on"),
    ("verification_status", "verification_method"),
    "evidence_note",
    "references_note",
    ("verified_by", "verified_at"),
]


def save_credential(request, form, credential: Credential) -> None:
    """Save a credential from an admin form; verification facts go through the service."""
    changed = set(form.changed_data)
    if is_curator(request.user) and changed & set(VERIFICATION_FIELDS):
        credential_services.record_verification(
            credential,
            status=credential.verification_status,
            method=credential.verification_method,
            evidence_note=credential.evidence_note,
            references_note=credential.references_note,
            by=request.user,
        )
        return
    credential.save()
    if (
        not is_curator(request.user)
        and credential.verification_status == Credential.Verification.VERIFIED
        and changed & set(credential_services.KEY_FACTS)
    ):
        credential_services.withdraw_verification(
            credential,
            by=request.user,
            reason="changed by an organisation editor ("
            + ", ".join(sorted(changed & set(credential_services.KEY_FACTS)))
            + "); a curator needs to check it again.",
        )


class CredentialForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if (
            "verification_method" in self.fields
            and data.get("verification_status") == Credential.Verification.VERIFIED
            and not data.get("verification_method")
        ):
            self.add_error("verification_method", gettext("Say how the credential was verified."))
        return data


class CredentialVerificationMixin:
    """Only curators record verifications; who and when are always set by the service."""

    form = CredentialForm

    def get_readonly_fields(self, request, obj=None):
        readonly = ["verified_by", "verified_at"]
        if not is_curator(request.user):
            readonly += list(VERIFICATION_FIELDS)
        return readonly


class CredentialInline(CredentialVerificationMixin, ScopedStackedInline):
    model = Credential
    organization_path = "worker__organization"
    fields = CREDENTIAL_FIELDS
    autocomplete_fields = ["credential_type"]
    extra = 0


@admin.register(PeerWorker)
class PeerWorkerAdmin(ScopedModelAdmin):
    organization_path = "organization"
    list_display = [
        "display_name",
        "organization",
        "status",
        "consent_to_publish",
        "accepting_new_clients",
        "offers_online",
        "last_verified_at",
    ]
    list_filter = ["status", "offers_online", "accepting_new_clients", "support_types", "is_demo"]
    search_fields = ["display_name", "slug", "organization__name", "service_area"]
    list_select_related = ["organization"]
    prepopulated_fields = {"slug": ["display_name"]}
    autocomplete_fields = ["organization", "service_place", "languages"]
    filter_horizontal = ["support_types"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    inlines = [CredentialInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Credential:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # fills new/changed/deleted_objects for the history
        for obj in formset.deleted_objects:
            obj.delete()
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            save_credential(request, inline_form, inline_form.instance)


class CredentialAttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"
    WINDOW = dt.timedelta(days=60)

    def lookups(self, request, model_admin):
        return [
            ("expiring", gettext("Expires within 60 days")),
            ("expired", gettext("Expired")),
            ("unverified", gettext("Unverified")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "expiring":
                return queryset.expiring_between(today, today + self.WINDOW)
            case "expired":
                return queryset.expired(today)
            case "unverified":
                return queryset.filter(verification_status=Credential.Verification.UNVERIFIED)
        return queryset


@admin.register(Credential)
class CredentialAdmin(CredentialVerificationMixin, ScopedModelAdmin):
    organization_path = "worker__organization"
    list_display = [
        "credential_type",
        "worker",
        "number",
        "expires_on",
        "verification_status",
        "shown_as_verified",
        "verified_by",
        "verified_at",
    ]
    list_filter = [CredentialAttentionFilter, "verification_status", "credential_type"]
    search_fields = ["worker__display_name", "number", "credential_type__abbreviation"]
    list_select_related = ["credential_type", "worker", "verified_by"]
    autocomplete_fields = ["worker", "credential_type"]
    fields = ["worker", *CREDENTIAL_FIELDS]

    @admin.display(boolean=True, description=_("shown as verified today"))
    def shown_as_verified(self, obj: Credential) -> bool:
        return obj.is_verified_and_current(timezone.localdate())

    def save_model(self, request, obj, form, change):
        save_credential(request, form, obj)


@admin.register(CredentialType)
class CredentialTypeAdmin(ScopedModelAdmin):
    list_display = ["abbreviation", "name", "issuing_body", "jurisdiction", "renewal_years"]
    list_filter = ["jurisdiction", "renewal_years"]
    search_fields = ["abbreviation", "name", "issuing_body"]
    prepopulated_fields = {"slug": ["abbreviation", "issuing_body"]}
