"""Admin login protection: django-axes locks out repeated failures."""

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client, username, password):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def test_repeated_failed_logins_lock_the_account_out(client, settings):
    f.user(username="staffer", password="the-right-password", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "staffer", "wrong")
        assert response.status_code == 200  # the login form again, with an error
    response = login(client, "staffer", "wrong")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    # Locked: even the right password is refused now.
    response = login(client, "staffer", "the-right-password")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_still_works_below_the_limit(client):
    f.user(username="staffer", password="the-right-password", is_staff=True)
    login(client, "staffer", "wrong")
    response = login(client, "staffer", "the-right-password")
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_the_lockout_is_per_user_name_and_address(client, settings):
    f.user(username="staffer", password="the-right-password", is_staff=True)
    f.user(username="colleague", password="another-password", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "staffer", "wrong")
    assert login(client, "colleague", "another-password").status_code == 302
