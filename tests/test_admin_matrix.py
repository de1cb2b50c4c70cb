"""The authorisation matrix, generated from the registered admin.

For every directory model in ``admin.site._registry``: an editor of organisation A never sees,
changes, deletes, exports, autocompletes or acts on organisation B's objects; curators and
superusers can; anonymous visitors are sent to the login page. A model registered without a
factory below fails ``test_every_registered_model_has_a_factory``, so nothing escapes.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from directory.admin.scoping import ScopingMixin
from directory.models import (
    FAQ,
    ChecklistItem,
    CrisisLine,
    GuidePoint,
    GuideSection,
    Membership,
    Submission,
)
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories as f

pytestmark = pytest.mark.django_db


def _section(org):
    i = f.n()
    kinds = [k for k, _ in GuideSection.Kind.choices]
    used = set(GuideSection.objects.values_list("kind", flat=True))
    kind = next(k for k in kinds if k not in used)
    return GuideSection.objects.create(
        slug=f"section-{i}", title=f"Section {i}", kind=kind, body="x"
    )


# How to make an object that belongs to ``org`` (reference data ignores it).
FACTORIES = {
    "Organization": lambda org: org,
    "Membership": lambda org: Membership.objects.create(user=f.user(), organization=org),
    "Location": lambda org: f.location(organization=org, name=f"Hall of {org.slug}"),
    "Listing": lambda org: f.listing(organization=org, name=f"Meeting of {org.slug}"),
    "Schedule": lambda org: f.schedule(f.listing(organization=org)),
    "PeerWorker": lambda org: f.peer_worker(organization=org),
    "Credential": lambda org: f.credential(f.peer_worker(organization=org)),
    "Submission": lambda org: Submission.objects.create(
        kind=Submission.Kind.CORRECTION,
        listing=f.listing(organization=org),
        proposed={"name": "New name"},
    ),
    "SupportType": lambda org: f.support_type(),
    "FeatureCategory": lambda org: f.feature_category(),
    "Feature": lambda org: f.feature(),
    "CredentialType": lambda org: f.credential_type(),
    "Place": lambda org: f.place(),
    "FeedSource": lambda org: f.feed_source(organization=org, name=f"Feed of {org.slug}"),
    "GuideSection": _section,
    "GuidePoint": lambda org: GuidePoint.objects.create(section=_section(org), text="A point"),
    "ChecklistItem": lambda org: ChecklistItem.objects.create(title=f"Item {f.n()}", text="x"),
    "FAQ": lambda org: FAQ.objects.create(question=f"Q{f.n()}?", slug=f"q-{f.n()}", answer="A"),
    "CrisisLine": lambda org: CrisisLine.objects.create(
        country="US", name=f"Line {f.n()}", phone="988"
    ),
}

ADMINS = sorted(
    (ma for model, ma in admin.site._registry.items() if model._meta.app_label == "directory"),
    key=lambda ma: ma.model.__name__,
)
ids = [ma.model.__name__ for ma in ADMINS]


def category(model_admin) -> str:
    assert isinstance(model_admin, ScopingMixin), f"{model_admin} must derive from ScopingMixin"
    if model_admin.curator_only:
        return "curator_only"
    return "scoped" if model_admin.organization_path else "reference"


def url(model_admin, name: str, *args) -> str:
    opts = model_admin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)


def snapshot(obj):
    return type(obj)._default_manager.filter(pk=obj.pk).values().first()


@pytest.fixture
def world(client):
    sync_roles()
    org_a, org_b = f.organization(slug="org-a"), f.organization(slug="org-b")
    editor = f.user(username="editor", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    Membership.objects.create(user=editor, organization=org_a)
    curator = f.user(username="curator", is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATOR))
    superuser = f.user(username="root", is_staff=True, is_superuser=True)
    return {"a": org_a, "b": org_b, "editor": editor, "curator": curator, "superuser": superuser}


def make_pair(model_admin, world):
    make = FACTORIES[model_admin.model.__name__]
    return make(world["a"]), make(world["b"])


def test_every_registered_model_has_a_factory():
    assert {ma.model.__name__ for ma in ADMINS} <= set(FACTORIES)


@pytest.mark.parametrize("model_admin", ADMINS, ids=ids)
def test_editor_changelist_shows_only_their_organisation(client, world, model_admin):
    obj_a, obj_b = make_pair(model_admin, world)
    client.force_login(world["editor"])
    response = client.get(url(model_admin, "changelist"))
    kind = category(model_admin)
    if kind == "curator_only" or (kind == "reference" and response.status_code == 403):
        # Curator-only models are never shown; editors see only the reference data they need.
        assert response.status_code == 403
        return
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert obj_a.pk in shown
    if kind == "scoped":
        assert obj_b.pk not in shown
        # A search for B's object by its text finds nothing either.
        response = client.get(url(model_admin, "changelist"), {"q": str(obj_b)[:20]})
        assert obj_b.pk not in {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize("model_admin", ADMINS, ids=ids)
def test_editor_cannot_open_change_delete_or_history_of_other_organisation(
    client, world, model_admin
):
    _, obj_b = make_pair(model_admin, world)
    before = snapshot(obj_b)
    client.force_login(world["editor"])
    kind = category(model_admin)
    change, delete, history = (
        url(model_admin, n, obj_b.pk) for n in ("change", "delete", "history")
    )
    if kind == "reference":
        # Shared reference data: readable (when editors need it), never writable.
        assert client.get(change).status_code in {200, 403}
        assert client.post(change, {}).status_code == 403
        assert client.get(delete).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(url(model_admin, "add")).status_code == 403
    else:
        for target in (change, delete, history):
            assert client.get(target).status_code in {403, 404}, target
        assert client.post(change, {}).status_code in {403, 404}
        assert client.post(delete, {"post": "yes"}).status_code in {403, 404}
    assert snapshot(obj_b) == before


@pytest.mark.parametrize("model_admin", ADMINS, ids=ids)
def test_bulk_actions_never_touch_other_organisation(client, world, model_admin, rf):
    _, obj_b = make_pair(model_admin, world)
    before = snapshot(obj_b)
    history_before = LogEntry.objects.filter(object_id=str(obj_b.pk)).count()
    # Every action the admin has for anyone; an editor may have fewer.
    request = rf.get("/")
    request.user = world["superuser"]
    actions = list(model_admin.get_actions(request))
    assert actions, "every admin has at least delete_selected"
    client.force_login(world["editor"])
    for action in actions:
        response = client.post(
            url(model_admin, "changelist"),
            {"action": action, "_selected_action": [obj_b.pk], "post": "yes", "index": 0},
        )
        assert response.status_code in {200, 302, 403}, action
        if response.status_code == 200 and category(model_admin) == "scoped":
            assert str(obj_b) not in response.content.decode(), action
    assert snapshot(obj_b) == before
    assert LogEntry.objects.filter(object_id=str(obj_b.pk)).count() == history_before


AUTOCOMPLETE = [
    (ma, field)
    for ma in ADMINS
    for field in ma.autocomplete_fields
    if ma.model._meta.get_field(field).related_model._meta.app_label == "directory"
]


@pytest.mark.parametrize(
    ("model_admin", "field"),
    AUTOCOMPLETE,
    ids=[f"{ma.model.__name__}.{fl}" for ma, fl in AUTOCOMPLETE],
)
def test_autocomplete_never_returns_other_organisation(client, world, model_admin, field):
    related = model_admin.model._meta.get_field(field).related_model
    related_admin = admin.site._registry[related]
    obj_a, obj_b = make_pair(related_admin, world)
    client.force_login(world["editor"])
    params = {
        "app_label": model_admin.model._meta.app_label,
        "model_name": model_admin.model._meta.model_name,
        "field_name": field,
        "term": "",
    }
    response = client.get(reverse("admin:autocomplete"), params)
    assert response.status_code in {200, 403}
    if category(related_admin) != "scoped":
        return
    if response.status_code == 200:
        found = {item["id"] for item in response.json()["results"]}
        assert str(obj_b.pk) not in found
        assert str(obj_a.pk) in found
    # The curator's autocomplete finds both.
    client.force_login(world["curator"])
    response = client.get(reverse("admin:autocomplete"), params)
    assert {str(obj_a.pk), str(obj_b.pk)} <= {item["id"] for item in response.json()["results"]}


EXPORTERS = [ma for ma in ADMINS if hasattr(ma, "export_action")]


@pytest.mark.parametrize("model_admin", EXPORTERS, ids=[ma.model.__name__ for ma in EXPORTERS])
def test_export_never_includes_other_organisation(client, world, model_admin):
    obj_a, obj_b = make_pair(model_admin, world)
    client.force_login(world["editor"])
    export = url(model_admin, "export")
    formats = [fmt().get_title() for fmt in model_admin.get_export_formats()]
    data = {"format": formats.index("csv"), "listing": 0}
    fields = [f"listingresource_{name}" for name in model_admin.resource_classes[0]._meta.fields]
    data.update(dict.fromkeys(fields, "on"))
    content = client.post(export, data).content.decode()
    assert obj_a.slug in content
    assert obj_b.slug not in content
    # Exporting selected items by primary key cannot reach B either.
    content = client.post(export, {**data, "export_items": [obj_a.pk, obj_b.pk]}).content.decode()
    assert obj_b.slug not in content


@pytest.mark.parametrize("who", ["curator", "superuser"])
@pytest.mark.parametrize("model_admin", ADMINS, ids=ids)
def test_curators_and_superusers_reach_every_organisation(client, world, model_admin, who):
    obj_a, obj_b = make_pair(model_admin, world)
    client.force_login(world[who])
    response = client.get(url(model_admin, "changelist"))
    assert response.status_code == 200
    assert {obj_a.pk, obj_b.pk} <= {obj.pk for obj in response.context["cl"].result_list}
    for name in ("change", "history", "delete"):
        assert client.get(url(model_admin, name, obj_b.pk)).status_code == 200, name


@pytest.mark.parametrize("model_admin", ADMINS, ids=ids)
def test_anonymous_visitors_get_the_login_page(client, world, model_admin):
    _, obj_b = make_pair(model_admin, world)
    targets = [url(model_admin, "changelist"), url(model_admin, "add")] + [
        url(model_admin, name, obj_b.pk) for name in ("change", "delete", "history")
    ]
    for target in targets:
        response = client.get(target)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


VIEWABLE_ON_SITE = [ma for ma in ADMINS if hasattr(ma.model, "get_absolute_url")]


def view_on_site_url(obj) -> str:
    from django.contrib.contenttypes.models import ContentType

    return f"/admin/r/{ContentType.objects.get_for_model(obj).pk}/{obj.pk}/"


@pytest.mark.parametrize(
    "model_admin", VIEWABLE_ON_SITE, ids=[ma.model.__name__ for ma in VIEWABLE_ON_SITE]
)
def test_view_on_site_never_redirects_to_other_organisation(client, world, model_admin):
    """/admin/r/<ct>/<id>/ reveals a public URL (a slug) only to who may reach the object."""
    obj_a, obj_b = make_pair(model_admin, world)
    for obj in (obj_a, obj_b):
        type(obj)._default_manager.filter(pk=obj.pk).update(
            **({"status": "draft"} if hasattr(obj, "status") else {})
        )
    client.force_login(world["editor"])
    response = client.get(view_on_site_url(obj_b))
    if category(model_admin) == "scoped":
        assert response.status_code == 404
        assert obj_b.slug not in response.get("Location", "")
        # Their own draft: the editor may change it, so the redirect is theirs to follow.
        response = client.get(view_on_site_url(obj_a))
        assert response.status_code == 302 and obj_a.slug in response["Location"]
    else:
        assert response.status_code in {302, 404}
    for who in ("curator", "superuser"):
        client.force_login(world[who])
        response = client.get(view_on_site_url(obj_b))
        assert response.status_code == 302, who
        assert response["Location"].endswith(obj_b.get_absolute_url())
    client.logout()
    response = client.get(view_on_site_url(obj_b))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_view_on_site_of_a_published_object_needs_no_change_permission(client, world):
    """A reader who may not change a published listing of their organisation may still
    follow "View on site"; an unknown id or content type is a 404."""
    listing = f.listing(organization=world["a"], status="published")
    viewer = f.user(username="viewer", is_staff=True)
    Membership.objects.create(user=viewer, organization=world["a"])
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_listing"))
    client.force_login(viewer)
    assert client.get(view_on_site_url(listing)).status_code == 302
    type(listing)._default_manager.filter(pk=listing.pk).update(status="draft")
    assert client.get(view_on_site_url(listing)).status_code == 404
    client.force_login(world["curator"])
    assert client.get("/admin/r/999999/1/").status_code == 404
    assert (
        client.get(view_on_site_url(listing).replace(f"/{listing.pk}/", "/x%00y/")).status_code
        == 404
    )
