"""The curators' e-mail about a new public submission: who gets it and what it says.

Sent by the task worker (``send_curator_notification`` below), queued by
``directory.submissions.services.submit`` once the submission is committed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from directory.models import Submission
from directory.services.roles import CURATOR
from directory.validators import one_line, plain_text

logger = logging.getLogger(__name__)


def curator_recipients() -> list[str]:
    addresses = list(settings.DIRECTORY_CURATOR_EMAILS)
    addresses += (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CURATOR)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return list(dict.fromkeys(addresses))


# The e-mail to curators, in every language of the site (curators may read either; the
# visitor who wrote may have written in either). Whole sentences per kind of submission.
_CURATOR_SENT = {
    Submission.Kind.NEW_LISTING: gettext_noop(
        "A member of the public suggested a new listing: “%(target)s”."
    ),
    Submission.Kind.CORRECTION: gettext_noop(
        "A member of the public sent a correction for “%(target)s”."
    ),
    Submission.Kind.CLOSURE: gettext_noop(
        "A member of the public reported that “%(target)s” no longer meets."
    ),
}


def _curator_message(kind: str, target: str, link: str, language: str) -> str:
    with translation.override(language):
        sent = gettext(_CURATOR_SENT.get(kind, _CURATOR_SENT[Submission.Kind.CORRECTION]))
        return "\n\n".join(
            [
                sent % {"target": target},
                gettext("Review it here: %(link)s") % {"link": link},
                gettext("Nothing is published until a curator approves it."),
            ]
        )


def notify_curators(submission: Submission, *, admin_url_builder=None) -> bool:
    """E-mail the curators about a new submission. Never raises; returns whether it was sent."""
    try:
        recipients = curator_recipients()
        if not recipients:
            logger.info(
                "Submission %s stored; no curator e-mail addresses to notify.", submission.pk
            )
            return False
        from django.urls import reverse

        path = reverse("admin:directory_submission_change", args=[submission.pk])
        link = admin_url_builder(path) if admin_url_builder else path
        target = (
            submission.listing.name
            if submission.listing_id
            else str(submission.proposed.get("name", ""))
        )
        # A stored name may hold a line break (a header injection: Django refuses to send),
        # control or text-direction characters: the subject gets one clean line.
        target = one_line(target)
        body = "\n\n---\n\n".join(
            _curator_message(submission.kind, target, link, language)
            for language in dict.fromkeys([settings.LANGUAGE_CODE, *dict(settings.LANGUAGES)])
        )
        with translation.override(settings.LANGUAGE_CODE):  # the subject stays English
            kind = submission.get_kind_display()
        send_mail(
            one_line(f"[Peer Support Directory] {kind}: {target}")[:200],
            plain_text(body),
            None,
            recipients,
        )
        return True
    except Exception:
        # The submission is already stored; the curators will see it in admin.
        logger.exception("Could not e-mail curators about submission %s", submission.pk)
        return False


@task
def send_curator_notification(submission_id: int, site_root: str = "") -> bool:
    """The task: e-mail the curators about a new submission (a link into admin on
    ``site_root``). Arguments are plain ids and strings: it may run in another process, later."""
    submission = Submission.objects.select_related("listing").filter(pk=submission_id).first()
    if submission is None:  # deleted before the worker got to it: nothing to say
        return False
    builder = (lambda path: site_root + path) if site_root else None
    return notify_curators(submission, admin_url_builder=builder)
