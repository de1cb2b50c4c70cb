"""Curation journeys in Chromium: a public correction approved by a curator, editor scoping."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from directory.models import Membership, Submission
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories as f
from tests.browser.conftest import axe_audit

pytestmark = pytest.mark.browser

PASSWORD = "a-long-browser-password"


@pytest.fixture
def site(transactional_db, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sync_roles()
    return live_server.url


def staff(username: str, group: str, organization=None):
    user = f.user(username=username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    if organization is not None:
        Membership.objects.create(user=user, organization=organization)
    return user


def log_in(page, site: str, username: str) -> None:
    page.goto(site + "/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(site + "/admin/")


def test_a_visitor_reports_a_correction_and_a_curator_approves_it(site, page):
    listing = f.listing(name="Tuesday Serenity", slug="tuesday-serenity")
    f.schedule(listing)
    staff("cora", CURATOR)

    page.goto(site + listing.get_absolute_url())
    page.get_by_role("link", name="Report a problem with this listing").click()
    assert not axe_audit(page), axe_audit(page).report
    page.get_by_label("Name of the meeting or group").fill("Tuesday Serenity Group")
    page.get_by_role("button", name="Send report").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    # Nothing changes publicly before a curator approves.
    page.goto(site + listing.get_absolute_url())
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Tuesday Serenity"

    log_in(page, site, "cora")
    submission = Submission.objects.get()
    page.goto(site + f"/admin/directory/submission/{submission.pk}/change/")
    assert "Tuesday Serenity Group" in page.locator(".submission-diff").inner_text()
    page.get_by_role("button", name="Approve and apply").click()
    page.get_by_text("Approved.").wait_for()

    page.goto(site + listing.get_absolute_url())
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Tuesday Serenity Group"


def test_the_suggest_form_is_accessible(site, page):
    f.support_type(name="Recovery Groups", slug="recovery-groups")
    page.goto(site + "/suggest/")
    assert not axe_audit(page), axe_audit(page).report
    page.get_by_role("button", name="Send suggestion").click()  # empty: errors shown
    page.get_by_role("alert").wait_for()
    # The error summary has focus (autofocus applies at the page's first rendering, so poll
    # a moment) and links to each field with a problem.
    for _ in range(50):
        if page.evaluate("document.activeElement.id") == "error-summary":
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("Error: ")
    page.get_by_role("link", name="Enter the name of the meeting or group.").click()
    assert page.evaluate("document.activeElement.id") == "id_name"
    assert not axe_audit(page), axe_audit(page).report


def test_an_editor_cannot_reach_another_organisations_listing(site, page):
    mine, theirs = f.organization(name="Our Centre"), f.organization(name="Their Centre")
    own = f.listing(name="Our Evening Group", organization=mine)
    other = f.listing(name="Their Evening Group", organization=theirs)
    staff("eddie", EDITOR, organization=mine)

    log_in(page, site, "eddie")
    page.goto(site + "/admin/directory/listing/")
    assert page.get_by_role("link", name="Our Evening Group").is_visible()
    assert page.get_by_role("link", name="Their Evening Group").count() == 0
    response = page.goto(site + f"/admin/directory/listing/{other.pk}/change/")
    assert response.status == 404
    response = page.goto(site + f"/admin/directory/listing/{own.pk}/change/")
    assert response.status == 200
