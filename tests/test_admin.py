"""Admin registration: every directory model is registered and its pages render."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def directory_admins():
    return [
        ma for model, ma in admin.site._registry.items() if model._meta.app_label == "directory"
    ]


# Internal bookkeeping that staff never edit (the search index's version, set by triggers).
# Feed runs and listing origins are shown on their feed source's admin page, feed jobs on
# their own page under it.
NOT_IN_ADMIN = {"SearchVersion", "FeedRun", "FeedListing", "FeedJob"}


def test_every_directory_model_is_registered():
    registered = set(admin.site._registry)
    missing = [
        m.__name__
        for m in apps.get_app_config("directory").get_models()
        if m not in registered and m.__name__ not in NOT_IN_ADMIN
    ]
    assert not missing


@pytest.mark.parametrize("model_admin", directory_admins(), ids=lambda ma: ma.model.__name__)
def test_changelist_and_add_pages_render_for_a_superuser(client, model_admin):
    client.force_login(factories.user(is_staff=True, is_superuser=True))
    opts = model_admin.model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "x"}).status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # Submissions come only from the public forms; everything else can be added in admin.
    assert add.status_code == (403 if model_admin.model._meta.model_name == "submission" else 200)


@pytest.mark.parametrize("model_admin", directory_admins(), ids=lambda ma: ma.model.__name__)
def test_useful_admin_options(model_admin):
    assert model_admin.list_display != ("__str__",)
    assert model_admin.search_fields


@pytest.mark.django_db
def test_staff_see_which_listings_declare_which_meeting_language(admin_client):
    """The listings change list filters by the language meetings are held in (a listing's
    "language" feature), which is not the page's language."""
    spanish = factories.feature("language", name="Spanish", name_es="Español", slug="spanish")
    factories.feature("language", name="English", slug="english")
    en_espanol = factories.listing(name="Grupo Esperanza", features=[spanish])
    factories.listing(name="Tuesday Serenity")
    changelist = reverse("admin:directory_listing_changelist")
    page = admin_client.get(changelist).content.decode()
    assert "By meetings held in" in page and "?language=spanish" in page
    filtered = admin_client.get(changelist, {"language": "spanish"}).content.decode()
    assert en_espanol.name in filtered and "Tuesday Serenity" not in filtered


@pytest.mark.django_db
def test_the_admin_follows_the_staff_users_language(admin_client):
    """Django's admin in the language the staff user's browser prefers; English otherwise."""
    spanish = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert spanish["Content-Language"] == "es" and "Cerrar sesión" in spanish.content.decode()
    english = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="de-DE")
    assert english["Content-Language"] == "en" and "Log out" in english.content.decode()


@pytest.mark.django_db
def test_the_listings_change_list_is_in_spanish_for_a_spanish_browser(admin_client):
    """This project's own admin text (filters, actions, model names) follows the staff
    user's language like Django's admin does."""
    factories.listing(name="Grupo Esperanza")
    changelist = reverse("admin:directory_listing_changelist")
    page = admin_client.get(changelist, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    assert "Por última verificación" in page  # list_filter title
    assert "Sin verificar en 6 meses" in page  # its lookup
    assert "Marcar como verificado hoy" in page  # action description
    assert "Recursos" in page  # the model's verbose_name_plural
    english = admin_client.get(changelist, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "By last verified" in english and "Mark verified today" in english
