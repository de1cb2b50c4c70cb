"""Staff journeys in Chromium: the editor's two-day meeting, the curator's safe correction,
and axe (WCAG 2.2 AA) on the admin pages our configuration produces. Screenshots at 1280 px
go to test-artifacts/ for people to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from directory.models import Listing, Membership, Schedule, Submission
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories as f
from tests.browser.conftest import axe_audit

pytestmark = pytest.mark.browser

PASSWORD = "a-long-browser-password"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def four_schedule_listing():
    listing = f.listing(name="Four Evenings", slug="four-evenings")
    times = {
        day: f.schedule(listing, weekday=day, start_time=dt.time(19), end_time=dt.time(20))
        for day in (0, 2, 4, 6)
    }
    return listing, times


def test_axe_finds_nothing_on_the_staff_pages(site, page):
    centre = f.organization(name="Hope Centre")
    listing, times = four_schedule_listing()
    listing.organization = centre
    listing.save()
    # Chosen features: select2's list of them once held a "remove all" <span> (axe: list).
    listing.features.set([f.feature(slug="women"), f.feature(slug="wheelchair")])
    correction = Submission.objects.create(
        kind="correction",
        listing=listing,
        proposed={
            "schedules": [{"op": "change", "id": times[4].pk, "fields": {"start_time": "18:30"}}]
        },
    )
    suggestion = Submission.objects.create(
        kind="new", proposed={"name": "New Hope", "support_type": listing.support_type.slug}
    )
    credential = f.credential(
        f.peer_worker(organization=centre), expires_on=timezone.localdate() + dt.timedelta(9)
    )
    staff("cora", CURATOR)
    log_in(page, site, "cora")
    pages = {
        "dashboard": "/admin/",
        "listing-list": "/admin/directory/listing/",
        "listing-form": f"/admin/directory/listing/{listing.pk}/change/",
        "listing-add": "/admin/directory/listing/add/",
        "submission-review": f"/admin/directory/submission/{correction.pk}/change/",
        "suggestion-review": f"/admin/directory/submission/{suggestion.pk}/change/",
        "credential-form": f"/admin/directory/credential/{credential.pk}/change/",
        "location-add": "/admin/directory/location/add/",
    }
    reports = []
    for name, path in pages.items():
        page.goto(site + path)
        if name in {"dashboard", "listing-form", "submission-review"}:
            screenshot(page, name)
        violations = axe_audit(page)
        if violations:
            reports.append(violations.report)
    assert not reports, "\n\n".join(reports)


def test_an_editor_adds_a_tuesday_and_thursday_hybrid_meeting_at_a_new_location(site, page):
    centre = f.organization(name="Boulder Recovery Centre")
    f.support_type(name="Recovery Groups", slug="recovery-groups")
    f.place(
        name="Boulder",
        search_name="boulder",
        region_code="CO",
        region_name="Colorado",
        latitude=40.015,
        longitude=-105.27,
        timezone="America/Denver",
        population=108000,
    )
    staff("eddie", EDITOR, organization=centre)
    log_in(page, site, "eddie")
    loads = []
    page.on(
        "framenavigated",
        lambda frame: loads.append(frame.url) if frame == page.main_frame else None,
    )

    page.goto(site + "/admin/directory/listing/add/")  # load 1
    page.locator("#id_name").fill("Boulder Evening Hope")
    page.locator("#id_support_type + .select2 .select2-selection").click()
    page.locator(".select2-search--dropdown .select2-search__field").fill("Recovery")
    page.locator(".select2-results__option", has_text="Recovery Groups").click()
    # The editor's only organisation is already chosen.
    assert "Boulder Recovery Centre" in page.locator("#id_organization + .select2").inner_text()
    page.locator("#id_status").select_option("published")
    page.locator("#id_attendance").select_option("hybrid")
    page.locator("#id_conference_url").fill("https://meet.example.org/boulder-hope")

    with page.expect_popup() as popup_info:
        page.locator("#add_id_location").click()
    popup = popup_info.value
    popup.locator("#id_name").fill("Boulder Public Library")
    popup.locator("#id_address_line1").fill("1001 Arapahoe Ave")
    popup.locator("#id_city").fill("Boulder")
    popup.locator("#id_region").fill("CO")
    popup.locator("input[name=_save]").click()
    popup.wait_for_event("close")
    assert "Boulder Public Library" in page.locator("#id_location + .select2").inner_text()

    page.locator(".add-row a").click()
    row = page.locator("#schedules-0")
    row.get_by_label("Tue").check()
    row.get_by_label("Thu").check()
    row.locator("#id_schedules-0-start_time").fill("19:00")
    row.locator("#id_schedules-0-end_time").fill("20:00")
    # Only the weekly fields show for a weekly meeting.
    assert not row.locator("#id_schedules-0-interval_weeks").is_visible()
    screenshot(page, "editor-schedule-editor")
    assert not axe_audit(page), axe_audit(page).report
    page.locator("input[name=_save]").click()  # load 2
    page.get_by_text("was added successfully").wait_for()
    assert len(loads) <= 3, loads

    listing = Listing.objects.get(name="Boulder Evening Hope")
    assert listing.organization == centre
    assert listing.location.timezone == "America/Denver" and listing.location.approximate
    assert sorted(
        (s.weekday, s.start_time, s.end_time, s.timezone) for s in listing.schedules.all()
    ) == [
        (2, dt.time(19), dt.time(20), "America/Denver"),
        (4, dt.time(19), dt.time(20), "America/Denver"),
    ]
    page.goto(site + "/find/?near=Boulder")
    page.get_by_role("link", name="Boulder Evening Hope").first.wait_for()


def test_a_curator_approves_a_correction_and_only_that_time_changes(site, page):
    listing, times = four_schedule_listing()
    stale = f.listing(name="Old and unchecked", last_verified_at=None)
    Submission.objects.create(
        kind="correction",
        listing=listing,
        proposed={
            "schedules": [{"op": "change", "id": times[4].pk, "fields": {"start_time": "18:30"}}]
        },
        message="Thursday starts earlier now.",
    )
    before = {s.pk: (s.weekday, s.start_time, s.end_time) for s in listing.schedules.all()}
    staff("cora", CURATOR)
    log_in(page, site, "cora")

    panel = page.locator(".attention")
    assert "1 public submissions waiting for review" in " ".join(panel.inner_text().split())
    assert "1 published listings not verified" in " ".join(panel.inner_text().split())
    assert stale.name  # counted above
    page.get_by_role("link", name="public submissions waiting for review").click()
    page.get_by_role("link", name="Correction: Four Evenings").click()
    diff = page.locator(".submission-diff")
    assert "Every Thursday 18:30–20:00" in diff.inner_text()
    assert diff.inner_text().count("(kept)") == 3
    page.get_by_role("button", name="Approve and apply").click()
    page.get_by_text("Approved.").wait_for()

    after = {s.pk: (s.weekday, s.start_time, s.end_time) for s in listing.schedules.all()}
    assert set(after) == set(before)
    assert after[times[4].pk] == (4, dt.time(18, 30), dt.time(20))
    assert all(after[pk] == before[pk] for pk in before if pk != times[4].pk)
    page.goto(site + listing.get_absolute_url() + "?tz=America/Chicago")
    schedule_text = page.locator(".schedule-list").inner_text()
    # The three untouched evenings stay one line; only Thursday moved to 6:30.
    assert schedule_text.splitlines() == ["Tue, Sat, Sun, 7–8 pm", "Every Thursday, 6:30–8 pm"]
    assert Schedule.objects.filter(listing=listing).count() == 4
