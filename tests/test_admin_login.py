"""Admin login protection: django-axes locks out repeated failures."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


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


def test_one_address_cannot_try_name_after_name(client, settings):
    """The lockout counts per address across user names: guessing names does not evade it."""
    f.user(username="colleague", password="another-password", is_staff=True)
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"guess{i}", "wrong")
    # The address is locked for every name, even with the right password...
    assert login(client, "colleague", "another-password").status_code == 429
    # ...while the same person from another address signs in.
    other = Client(REMOTE_ADDR="198.51.100.7")
    response = other.post(
        reverse("admin:login"),
        {"username": "colleague", "password": "another-password", "next": reverse("admin:index")},
    )
    assert response.status_code == 302


def test_the_lockout_follows_the_client_address_behind_a_trusted_proxy(client, settings):
    """Behind the load balancer every visitor shares REMOTE_ADDR: axes reads the address
    from X-Forwarded-For through directory.edge.client_address."""
    settings.DIRECTORY_TRUSTED_PROXIES = "1"
    f.user(username="colleague", password="another-password", is_staff=True)
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": f"guess{i}", "password": "x"}, **attacker)
    colleague = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    response = Client().post(
        reverse("admin:login"),
        {"username": "colleague", "password": "another-password", "next": reverse("admin:index")},
        **colleague,
    )
    assert response.status_code == 302


def test_staff_sessions_last_at_most_twelve_hours_and_end_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
