"""The admin's field labels, help texts and choices follow the staff user's language (issue 23):
Spanish for a Spanish browser, English otherwise, and so do the constraints' messages and the
schedule editor's; the stored values, the constraints themselves and the history's English
sentences do not change."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.urls import reverse
from django.utils import translation

from directory.models import Credential, Listing, Submission
from directory.models.listings import Status
from directory.services.curation import set_status
from tests import factories

pytestmark = pytest.mark.django_db

SPANISH = "es-MX,es;q=0.9"
ENGLISH = "en-US,en;q=0.9"


def page(client, url, browser) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def labels(text: str) -> set[str]:
    """The text of every <label> on the page, tags stripped."""
    return {
        re.sub(r"<[^>]+>", "", label).strip().rstrip(":")
        for label in re.findall(r"<label\b[^>]*>(.*?)</label>", text, re.S)
    }


def options(text: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', text, re.S)
    assert select, name
    return [o.strip() for o in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))]


def test_the_listing_change_form_labels_and_status_choices_are_in_spanish(admin_client):
    listing = factories.listing(name="Grupo Esperanza", status=Status.DRAFT)
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    spanish = page(admin_client, url, SPANISH)
    shown = labels(spanish)
    for label in ["Nombre", "Tipo de apoyo", "Estado", "Modalidad", "Costo", "Enlace para unirse",
                  "Teléfono para unirse", "Nombre de contacto", "Con cita previa",
                  "Datos de demostración"]:  # fmt: skip
        assert label in shown, label
    assert options(spanish, "status") == ["Borrador", "Publicado", "Archivado"]
    assert "Datos de ejemplo ficticios" in spanish  # is_demo's help text
    assert "Un enlace que lleva directamente a la reunión." in spanish
    assert "Support type" not in shown and "Draft" not in options(spanish, "status")


def test_the_listing_change_form_stays_english_for_an_english_browser(admin_client):
    listing = factories.listing(name="Tuesday Serenity")
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    english = page(admin_client, url, ENGLISH)
    shown = labels(english)
    for label in ["Name", "Support type", "Status", "Attendance", "Join link", "Demo data"]:
        assert label in shown, label
    assert options(english, "status") == ["Draft", "Published", "Archived"]
    assert "A link that joins the meeting directly." in english


def test_change_list_columns_and_filters_built_from_fields_are_in_spanish(admin_client):
    factories.listing(name="Grupo Esperanza")
    url = reverse("admin:directory_listing_changelist")
    spanish = page(admin_client, url, SPANISH)
    # Column headers from list_display field names, and filters from list_filter ones.
    for text in ["Tipo de apoyo", "Modalidad", "Por estado", "Por modalidad", "Por costo",
                 "Borrador", "Archivado", "Donativo voluntario"]:  # fmt: skip
        assert text in spanish, text
    english = page(admin_client, url, ENGLISH)
    for text in ["Support type", "Attendance", "By status", "By cost", "Draft", "Archived"]:
        assert text in english, text


def test_other_admin_pages_show_spanish_labels_and_choices(admin_client):
    worker = factories.peer_worker()
    credential = factories.credential(worker)
    url = reverse("admin:directory_credential_change", args=[credential.pk])
    spanish = page(admin_client, url, SPANISH)
    assert "Estado de verificación" in labels(spanish)
    assert "Verificada" in options(spanish, "verification_status")
    assert "Solo para el personal: nunca se muestra al público." in spanish
    schedule = factories.schedule()
    url = reverse("admin:directory_schedule_change", args=[schedule.pk])
    spanish = page(admin_client, url, SPANISH)
    assert "Todas las semanas" in options(spanish, "kind")
    assert "Primera" in options(spanish, "week_of_month")
    url = reverse("admin:directory_submission_changelist")
    assert "Por estado" in page(admin_client, url, SPANISH)


def test_labels_are_lazy_and_stored_values_do_not_change():
    with translation.override("es"):
        assert str(Listing._meta.get_field("status").verbose_name) == "estado"
        assert [str(label) for label in Status.labels] == ["Borrador", "Publicado", "Archivado"]
        assert str(Submission.State.APPROVED.label) == "Aprobado"
        assert str(Credential.Verification.VERIFIED.label) == "Verificada"
    with translation.override("en"):
        assert str(Listing._meta.get_field("status").verbose_name) == "status"
        assert str(Status.PUBLISHED.label) == "Published"
    assert Status.values == ["draft", "published", "archived"]
    assert Listing.Attendance.values == ["in_person", "online", "hybrid", "inactive"]


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor needs no open transaction
def test_the_migration_that_makes_labels_translatable_writes_no_sql():
    """Only labels, help texts and choices changed: no column, constraint or index does."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sqlmigrate", "directory", "0015", stdout=out)
    statements = [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line.strip() not in {"BEGIN;", "COMMIT;"}
    ]
    assert statements == [], f"{connection.vendor}: {statements}"


def test_the_history_stays_english_whoever_changes_a_status(admin_user):
    listing = factories.listing(status=Status.DRAFT)
    with translation.override("es"):
        set_status([listing], Status.PUBLISHED, by=admin_user)
    entry = LogEntry.objects.get(object_id=str(listing.pk))
    assert entry.change_message == "Changed status to Published."


# --- the constraints' and the schedule editor's messages ----------------------------------------


def post_change_form(client, listing, browser, **changes):
    """The listing's admin change form, posted as shown with ``changes``, in ``browser``'s
    language: the response (200: the form came back with errors)."""
    from tests.admin_helpers import change_form_data

    url = reverse("admin:directory_listing_change", args=[listing.pk])
    data = change_form_data(client.get(url, HTTP_ACCEPT_LANGUAGE=browser))
    data.update(changes)
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 200
    return response


def test_a_constraints_message_is_in_spanish_for_a_spanish_staff_user(admin_client):
    listing = factories.listing()
    response = post_change_form(
        admin_client, listing, SPANISH, attendance="online", conference_url="", conference_phone=""
    )
    form = response.context["adminform"].form
    assert form.errors["conference_url"] == [
        "Una reunión en línea o híbrida necesita un enlace o un número de teléfono para unirse."
    ]
    assert "Una reunión en línea o híbrida necesita" in html.unescape(response.content.decode())
    listing.refresh_from_db()
    assert listing.attendance == Listing.Attendance.IN_PERSON  # nothing was saved


def test_a_constraints_message_stays_english_for_an_english_staff_user(admin_client):
    listing = factories.listing()
    response = post_change_form(
        admin_client, listing, ENGLISH, attendance="online", conference_url="", conference_phone=""
    )
    form = response.context["adminform"].form
    assert form.errors["conference_url"] == [
        "An online or hybrid meeting needs a join link or a dial-in phone number."
    ]


def test_a_schedule_that_does_not_fit_its_kind_is_explained_in_spanish(admin_client):
    listing = factories.listing()
    factories.schedule(listing)
    response = post_change_form(admin_client, listing, SPANISH, **{"schedules-0-kind": "monthly"})
    (formset,) = [i.formset for i in response.context["inline_admin_formsets"]]
    assert formset.forms[0].errors["week_of_month"] == ["Elija en qué semana del mes se reúne."]
    response = post_change_form(admin_client, listing, SPANISH, **{"schedules-0-kind": "interval"})
    (formset,) = [i.formset for i in response.context["inline_admin_formsets"]]
    errors = formset.forms[0].errors
    assert errors["interval_weeks"] == ["Indique cada cuántas semanas se reúne (2 o más)."]
    assert errors["anchor_date"] == [
        "Indique una fecha en que se reúne, para contar las semanas a partir de ella."
    ]
    response = post_change_form(admin_client, listing, ENGLISH, **{"schedules-0-kind": "monthly"})
    (formset,) = [i.formset for i in response.context["inline_admin_formsets"]]
    assert formset.forms[0].errors["week_of_month"] == ["Choose which week of the month it meets."]


def test_every_constraints_message_is_lazy_and_translated():
    """Each constraint's message follows the language active when it is shown; the English
    stays what it was (the migrations' copy: lazy strings compare equal, no migration)."""
    from django.apps import apps

    from directory.models import Location

    constraints = [
        c for m in apps.get_app_config("directory").get_models() for c in m._meta.constraints
    ]
    messages = [
        c for c in constraints if c.violation_error_message != c.default_violation_error_message
    ]
    assert len(messages) >= 29
    for constraint in messages:
        with translation.override("en"):
            english = constraint.get_violation_error_message()
        with translation.override("es"):
            spanish = constraint.get_violation_error_message()
        assert spanish != english, constraint.name
    (check,) = Location._meta.constraints
    with translation.override("es"):
        assert check.get_violation_error_message() == (
            "Indique la latitud (de −90 a 90) y la longitud (de −180 a 180), o deje ambas vacías."
        )


def test_an_already_reviewed_submission_is_said_in_the_staff_users_language(admin_user):
    from directory.submissions import services as submission_services

    submission = Submission.objects.create(
        kind="correction", listing=factories.listing(), proposed={"name": "New Name"}
    )
    submission_services.reject(submission, by=admin_user, reason="Duplicate")
    with translation.override("es"), pytest.raises(submission_services.ReviewError) as caught:
        submission_services.reject(submission, by=admin_user, reason="Duplicate")
    assert str(caught.value) == "Este envío ya se rechazó."
    with translation.override("en"), pytest.raises(submission_services.ReviewError) as caught:
        submission_services.reject(submission, by=admin_user, reason="Duplicate")
    assert str(caught.value) == "This submission was already rejected."
