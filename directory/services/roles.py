"""Staff roles: the Curator and Organisation editor groups, and who may curate what.

Groups and their permissions are created by ``manage.py setup_roles`` (idempotent). Scoping is
not a permission: an editor's model permissions apply only to objects of organisations they have
a ``Membership`` in; curators and superusers see the whole directory.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from directory.models import Membership

CURATOR = "Curator"
EDITOR = "Organisation editor"

# Model name -> permission actions an editor gets. Everything else in the directory app is
# curator-only. Editors archive listings and workers instead of deleting them.
EDITOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "listing": ("add", "change", "view"),
    "schedule": ("add", "change", "delete", "view"),
    "location": ("add", "change", "delete", "view"),
    "peerworker": ("add", "change", "view"),
    "credential": ("add", "change", "delete", "view"),
    # Their organisations' Meeting Guide feeds: add, run, preview (deleting is for curators).
    "feedsource": ("add", "change", "view"),
    # Read-only: their own organisations (scoped) and the public reference data that listing
    # forms and autocomplete widgets need.
    "organization": ("view",),
    "supporttype": ("view",),
    "featurecategory": ("view",),
    "feature": ("view",),
    "credentialtype": ("view",),
    "place": ("view",),
}


def is_curator(user) -> bool:
    """Superusers and members of the Curator group: the whole directory, every decision."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_directory_is_curator", None)
    if cached is None:
        cached = user.groups.filter(name=CURATOR).exists()
        user._directory_is_curator = cached
    return cached


def organization_ids(user) -> frozenset[int]:
    """The organisations a user is a member of (cached on the user for the request)."""
    if not (user and user.is_authenticated):
        return frozenset()
    cached = getattr(user, "_directory_organization_ids", None)
    if cached is None:
        cached = frozenset(
            Membership.objects.filter(user=user).values_list("organization_id", flat=True)
        )
        user._directory_organization_ids = cached
    return cached


def _permissions(app_label: str, codenames: list[str]) -> list[Permission]:
    found = list(
        Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )
    missing = set(codenames) - {p.codename for p in found}
    if missing:
        raise LookupError(f"Permissions missing (run migrate first): {sorted(missing)}")
    return found


@transaction.atomic
def sync_roles() -> dict[str, tuple[str, int]]:
    """Create or update both groups so their permissions are exactly the defined ones.

    Returns ``{group name: ("created" | "updated" | "unchanged", number of permissions)}``.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    # Permissions are created by a post_migrate signal; make sure they exist even when the
    # command runs in a fresh test database.
    create_permissions(apps.get_app_config("directory"), verbosity=0)
    directory_models = [
        ct.model for ct in ContentType.objects.filter(app_label="directory").order_by("model")
    ]
    curator_codenames = [
        f"{action}_{model}"
        for model in directory_models
        for action in ("add", "change", "delete", "view")
    ]
    editor_codenames = [
        f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions
    ]
    summary = {}
    for name, codenames in ((CURATOR, curator_codenames), (EDITOR, editor_codenames)):
        group, created = Group.objects.get_or_create(name=name)
        permissions = _permissions("directory", codenames)
        if name == CURATOR:
            # Curators read the admin history of everything they curate.
            permissions += _permissions("admin", ["view_logentry"])
        before = set(group.permissions.values_list("pk", flat=True))
        group.permissions.set(permissions)
        after = {p.pk for p in permissions}
        state = "created" if created else ("unchanged" if before == after else "updated")
        summary[name] = (state, len(permissions))
    return summary
