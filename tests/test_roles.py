"""Roles: the setup command, editors' choices, and credential verification by curators."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from directory.models import Credential, Listing, Membership
from directory.peer_workers import verification as credential_services
from directory.services.roles import CURATOR, EDITOR, is_curator
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    call_command("setup_roles", stdout=StringIO())
    org_a, org_b = f.organization(slug="org-a"), f.organization(slug="org-b")
    editor = f.user(username="eddie", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    Membership.objects.create(user=editor, organization=org_a)
    curator = f.user(username="cora", is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATOR))
    return {"a": org_a, "b": org_b, "editor": editor, "curator": curator}


def test_setup_roles_is_idempotent():
    out = StringIO()
    call_command("setup_roles", stdout=out)
    assert "Curator: created" in out.getvalue()
    assert "Organisation editor: created" in out.getvalue()
    permissions = {g.name: set(g.permissions.all()) for g in Group.objects.all()}
    out = StringIO()
    call_command("setup_roles", stdout=out)
    assert "Curator: unchanged" in out.getvalue()
    assert "Organisation editor: unchanged" in out.getvalue()
    assert {g.name: set(g.permissions.all()) for g in Group.objects.all()} == permissions
    editor = {p.codename for p in Group.objects.get(name=EDITOR).permissions.all()}
    assert {"change_listing", "add_listing", "change_credential"} <= editor
    assert not {"change_submission", "view_submission", "change_supporttype"} & editor
    assert not {"delete_listing", "change_membership", "change_credentialtype"} & editor


def test_is_curator(people):
    assert is_curator(people["curator"])
    assert not is_curator(people["editor"])
    assert is_curator(f.user(is_superuser=True))


def test_editor_choices_are_limited_to_their_organisations(client, people):
    mine = f.location(organization=people["a"], name="Our hall")
    f.location(organization=people["b"], name="Their hall")
    client.force_login(people["editor"])
    form = client.get(reverse("admin:directory_listing_add")).context["adminform"].form
    assert list(form.fields["organization"].queryset) == [people["a"]]
    assert form.fields["organization"].required
    assert list(form.fields["location"].queryset) == [mine]


def listing_form(support_type, organization, location, **extra):
    data = {
        "name": "Evening group",
        "slug": "evening-group",
        "support_type": support_type.pk,
        "organization": organization.pk,
        "status": "published",
        "attendance": "in_person",
        "location": location.pk,
        "cost": "free",
        "schedules-TOTAL_FORMS": 0,
        "schedules-INITIAL_FORMS": 0,
    }
    data.update(extra)
    return data


def test_editor_can_only_create_listings_for_their_organisations(client, people):
    support_type = f.support_type()
    mine = f.location(organization=people["a"])
    theirs = f.location(organization=people["b"])
    client.force_login(people["editor"])
    add = reverse("admin:directory_listing_add")
    response = client.post(add, listing_form(support_type, people["b"], mine))
    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    response = client.post(add, listing_form(support_type, people["a"], theirs))
    assert "location" in response.context["adminform"].form.errors
    assert not Listing.objects.exists()
    response = client.post(add, listing_form(support_type, people["a"], mine))
    assert response.status_code == 302
    listing = Listing.objects.get()
    assert listing.organization == people["a"]
    assert LogEntry.objects.get(object_id=str(listing.pk)).user == people["editor"]


def test_editor_can_edit_publish_and_verify_their_own_listing(client, people):
    listing = f.listing(organization=people["a"], status="draft", last_verified_at=None)
    client.force_login(people["editor"])
    changelist = reverse("admin:directory_listing_changelist")
    for action in ("publish", "mark_verified_today"):
        client.post(changelist, {"action": action, "_selected_action": [listing.pk]})
    listing.refresh_from_db()
    assert listing.status == "published"
    assert listing.last_verified_by == people["editor"]
    assert (
        client.get(reverse("admin:directory_listing_change", args=[listing.pk])).status_code == 200
    )


# --- credentials ----------------------------------------------------------------------------


def credential_form(credential, **changes):
    data = {
        "worker": credential.worker_id,
        "credential_type": credential.credential_type_id,
        "number": credential.number,
        "issued_on": credential.issued_on or "",
        "expires_on": credential.expires_on or "",
        "verification_status": credential.verification_status,
        "verification_method": credential.verification_method,
        "evidence_note": credential.evidence_note,
        "references_note": credential.references_note,
    }
    data.update(changes)
    return data


def test_a_curator_records_a_verification_through_the_service(client, people):
    credential = f.credential(f.peer_worker(organization=people["a"]), number="PRS-1")
    client.force_login(people["curator"])
    url = reverse("admin:directory_credential_change", args=[credential.pk])
    response = client.post(url, credential_form(credential, verification_status="verified"))
    assert response.status_code == 200  # a method is required
    assert "verification_method" in response.context["adminform"].form.errors
    response = client.post(
        url,
        credential_form(
            credential,
            verification_status="verified",
            verification_method="issuer_lookup",
            evidence_note="Board look-up, licence active.",
            references_note="Two references called.",
        ),
    )
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.verification_status == "verified"
    assert credential.verified_by == people["curator"]
    assert timezone.now() - credential.verified_at < dt.timedelta(minutes=1)
    messages = [
        e.get_change_message() for e in LogEntry.objects.filter(object_id=str(credential.pk))
    ]
    assert any("Recorded verification: Verified" in m for m in messages)


def test_a_curator_verifies_in_the_worker_inline(client, people):
    worker = f.peer_worker(organization=people["a"])
    credential = f.credential(worker)
    client.force_login(people["curator"])
    url = reverse("admin:directory_peerworker_change", args=[worker.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    data.update(
        {
            "credentials-TOTAL_FORMS": 1,
            "credentials-INITIAL_FORMS": 1,
            "credentials-0-id": credential.pk,
            "credentials-0-worker": worker.pk,
            "credentials-0-credential_type": credential.credential_type_id,
            "credentials-0-verification_status": "verified",
            "credentials-0-verification_method": "document",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    credential.refresh_from_db()
    assert credential.verified_by == people["curator"]
    assert credential.verification_method == "document"


def test_editors_cannot_verify_and_their_edits_withdraw_a_verification(client, people):
    credential = f.credential(
        f.peer_worker(organization=people["a"]), verification_status="verified", number="OLD"
    )
    client.force_login(people["editor"])
    url = reverse("admin:directory_credential_change", args=[credential.pk])
    form = client.get(url).context["adminform"].form
    assert "verification_status" not in form.fields
    assert "evidence_note" not in form.fields
    unverified = f.credential(f.peer_worker(organization=people["a"]))
    client.post(
        reverse("admin:directory_credential_change", args=[unverified.pk]),
        credential_form(unverified, verification_status="verified", verification_method="phone"),
    )
    unverified.refresh_from_db()
    assert unverified.verification_status == "unverified"
    client.post(url, credential_form(credential, number="NEW"))
    credential.refresh_from_db()
    assert credential.number == "NEW"
    assert credential.verification_status == "unverified"
    assert credential.verified_by is None


def test_a_verified_credential_shows_expired_the_day_after_it_expires(client, time_machine):
    new_york = ZoneInfo("America/New_York")
    time_machine.move_to(dt.datetime(2026, 3, 1, 12, 0, tzinfo=new_york), tick=False)
    worker = f.peer_worker()
    credential = f.credential(worker, expires_on=dt.date(2026, 3, 1))
    credential_services.record_verification(
        credential, status="verified", method="issuer_lookup", by=f.user()
    )
    page = client.get(worker.get_absolute_url()).content.decode()
    assert "Verified, current until 01 Mar 2026" in page
    assert Credential.objects.verified_and_current(timezone.localdate()).exists()

    time_machine.move_to(dt.datetime(2026, 3, 2, 0, 1, tzinfo=new_york), tick=False)
    page = client.get(worker.get_absolute_url()).content.decode()
    assert "Verified, current" not in page
    assert "Expired 01 Mar 2026" in page
    assert not Credential.objects.verified_and_current(timezone.localdate()).exists()


def test_credential_attention_filters(client, people):
    today = timezone.localdate()
    worker = f.peer_worker(organization=people["a"])
    soon = f.credential(
        worker, expires_on=today + dt.timedelta(days=30), verification_status="verified"
    )
    later = f.credential(
        worker, expires_on=today + dt.timedelta(days=90), verification_status="verified"
    )
    expired = f.credential(
        worker, expires_on=today - dt.timedelta(days=1), verification_status="verified"
    )
    unverified = f.credential(worker)
    client.force_login(people["curator"])
    url = reverse("admin:directory_credential_changelist")

    def shown(value):
        return set(client.get(url, {"attention": value}).context["cl"].result_list)

    assert shown("expiring") == {soon}
    assert shown("expired") == {expired}
    assert shown("unverified") == {unverified}
    assert later not in shown("expiring")
    html = client.get(url).content.decode()
    assert "Expires within 60 days" in html


def test_renaming_the_model_keeps_every_group_s_listing_permissions():
    """Migration 0018's data step: a database from before the rename had ``change_resource``
    (and add/delete/view) on the old content type; the groups holding them keep them, renamed."""
    import importlib

    from django.apps import apps as django_apps
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    migration = importlib.import_module("directory.migrations.0018_listing_name")
    old_type = ContentType.objects.create(app_label="directory", model="resource")
    group = Group.objects.create(name="Staff from before the rename")
    for action in ("add", "change", "delete", "view"):
        group.permissions.add(
            Permission.objects.create(
                content_type=old_type, codename=f"{action}_resource", name=f"Can {action} listing"
            )
        )
    kept = set(group.permissions.values_list("pk", flat=True))

    migration.rename_permissions(django_apps, None)

    assert set(group.permissions.values_list("pk", flat=True)) == kept
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "add_listing",
        "change_listing",
        "delete_listing",
        "view_listing",
    ]
    assert not Permission.objects.filter(codename__endswith="_resource").exists()


def test_staff_bookmarks_to_the_old_admin_address_reach_the_listing(admin_client):
    listing = f.listing()
    response = admin_client.get(
        f"/admin/directory/resource/{listing.pk}/change/?_changelist_filters=q"
    )
    assert response.status_code == 301
    assert (
        response["Location"]
        == f"/admin/directory/listing/{listing.pk}/change/?_changelist_filters=q"
    )
    assert admin_client.get(response["Location"]).status_code == 200
    assert Listing._meta.db_table == "directory_resource"
