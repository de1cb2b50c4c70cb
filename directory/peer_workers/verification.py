"""Credential verification: who checked a credential, when and how.

The public status follows from the stored facts without anyone acting: a credential is shown
as verified only while it is verified *and* unexpired
(``Credential.objects.verified_and_current(today)``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from directory.models import Credential
from directory.services.audit import log_change

# Editing any of these on a checked credential means the check no longer covers it.
KEY_FACTS = ("credential_type", "number", "issued_on", "expires_on")


@transaction.atomic
def record_verification(
    credential: Credential,
    *,
    status: str,
    method: str = "",
    evidence_note: str = "",
    references_note: str = "",
    by,
    at: dt.datetime | None = None,
) -> Credential:
    """Record a curator's verification decision and save the credential (new or existing).

    ``verified_by``/``verified_at`` name the last check, whatever its outcome; they are
    cleared when the status goes back to "not verified".
    """
    status = Credential.Verification(status)
    if status == Credential.Verification.VERIFIED and not method:
        raise ValidationError({"verification_method": "Say how the credential was verified."})
    credential.verification_status = status
    credential.verification_method = method
    credential.evidence_note = evidence_note
    credential.references_note = references_note
    if status == Credential.Verification.UNVERIFIED:
        credential.verified_by = None
        credential.verified_at = None
    else:
        credential.verified_by = by
        credential.verified_at = at or timezone.now()
    credential.save()
    with translation.override("en"):  # the history is written in English
        how = f" ({credential.get_verification_method_display()})" if method else ""
        log_change(by, credential, f"Recorded verification: {status.label}{how}.")
    return credential


@transaction.atomic
def withdraw_verification(credential: Credential, *, by, reason: str) -> Credential:
    """Back to "not verified" (e.g. an editor changed the number of a checked credential)."""
    credential.verification_status = Credential.Verification.UNVERIFIED
    credential.verified_by = None
    credential.verified_at = None
    credential.save()
    log_change(by, credential, f"Verification withdrawn: {reason}")
    return credential
