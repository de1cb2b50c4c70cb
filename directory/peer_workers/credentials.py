"""A peer worker's credentials as the public sees them: verified and current (until when),
expired, revoked, or not verified by us, with dates in the visitor's language."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from directory.models import Credential, PeerWorker


def short_date(value: dt.date) -> str:
    """ "05 Mar 2026", the month abbreviated in the visitor's language ("05 mar 2026")."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language.split("-")[0] == "en":
        return f"{value:%d %b %Y}"
    from babel.core import UnknownLocaleError
    from babel.dates import format_date

    try:
        return format_date(value, "dd MMM y", locale=translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return f"{value:%d %b %Y}"


def public_status(credential: Credential, today: dt.date) -> tuple[str, str]:
    """(css class, words) for a credential, as the public sees it."""
    if credential.is_verified_and_current(today):
        if credential.expires_on:
            return "verified", _("Verified, current until %(date)s") % {
                "date": short_date(credential.expires_on)
            }
        return "verified", _("Verified, current")
    if credential.is_expired(today):
        return "expired", _("Expired %(date)s") % {"date": short_date(credential.expires_on)}
    if credential.verification_status == Credential.Verification.REVOKED:
        return "revoked", _("Revoked or suspended")
    return "unverified", _("Not verified by us")


def annotate_credential_status(worker: PeerWorker, today: dt.date) -> None:
    worker.public_credentials = []
    for credential in worker.credentials.all():
        css, words = public_status(credential, today)
        worker.public_credentials.append({"credential": credential, "css": css, "words": words})
    worker.has_current_credential = any(c["css"] == "verified" for c in worker.public_credentials)
