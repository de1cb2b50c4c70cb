"""The listing form's schedule editor and the location form, as staff use them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from directory.models import Listing, Location, Membership, Schedule
from directory.services.roles import CURATOR, EDITOR, sync_roles
from tests import factories as f
from tests.admin_helpers import change_form_data

pytestmark = pytest.mark.django_db


def staff(client, group, organization=None):
    sync_roles()
    user = f.user(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    if organization is not None:
        Membership.objects.create(user=user, organization=organization)
    client.force_login(user)
    return user


def new_row(data: dict, index: int, **fields) -> dict:
    data["schedules-TOTAL_FORMS"] = index + 1
    for name, value in fields.items():
        data[f"schedules-{index}-{name}"] = value
    return data


def test_one_row_with_two_days_makes_two_meeting_times_in_the_locations_zone(client):
    staff(client, CURATOR)
    listing = f.listing(location=f.location(timezone="America/Denver"))
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    data = change_form_data(client.get(url))
    new_row(data, 0, kind="weekly", days=["2", "4"], start_time="19:00", end_time="20:00")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    times = list(listing.schedules.order_by("weekday"))
    assert [(s.weekday, s.start_time, s.end_time, s.timezone) for s in times] == [
        (2, dt.time(19), dt.time(20), "America/Denver"),
        (4, dt.time(19), dt.time(20), "America/Denver"),
    ]


def test_an_every_n_weeks_row_on_two_days_keeps_each_days_rhythm(client):
    staff(client, CURATOR)
    listing = f.listing()
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    data = change_form_data(client.get(url))
    # 2026-12-01 is a Tuesday.
    new_row(
        data,
        0,
        kind="interval",
        days=["2", "4"],
        start_time="18:00",
        interval_weeks="2",
        anchor_date="2026-12-01",
        timezone="America/Chicago",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    anchors = {s.weekday: s.anchor_date for s in listing.schedules.all()}
    assert anchors == {2: dt.date(2026, 12, 1), 4: dt.date(2026, 12, 3)}


def test_ticking_another_day_on_an_existing_time_adds_one_and_keeps_it(client):
    staff(client, CURATOR)
    listing = f.listing()
    tuesday = f.schedule(listing, weekday=2)
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    data = change_form_data(client.get(url))
    assert data["schedules-0-days"] == ["2"]
    data["schedules-0-days"] = ["2", "5"]
    assert client.post(url, data).status_code == 302
    assert Schedule.objects.get(pk=tuesday.pk).weekday == 2
    assert sorted(listing.schedules.values_list("weekday", flat=True)) == [2, 5]


def test_the_editor_is_after_the_basics_and_has_no_contradicting_time_zone_notes(client):
    staff(client, CURATOR)
    listing = f.listing()
    f.schedule(listing)
    html = client.get(reverse("admin:directory_listing_change", args=[listing.pk]))
    html = html.content.decode()
    assert html.index("Meeting times") < html.index(">Description<")
    assert "timezone_warning" not in html and "DateTimeShortcuts" not in html
    assert 'type="time"' in html
    assert 'data-kinds="monthly"' in html and 'data-kinds="interval"' in html
    assert "js/staff-schedule.js" in html
    assert "Monthly only." in html  # without JavaScript, each field says its kind


def test_a_new_location_gets_its_zone_and_approximate_position_from_the_town(client):
    staff(client, CURATOR)
    f.place(
        name="Boulder",
        search_name="boulder",
        region_code="CO",
        latitude=40.015,
        longitude=-105.27,
        timezone="America/Denver",
    )
    response = client.post(
        reverse("admin:directory_location_add"),
        {
            "name": "Library",
            "address_line1": "1 Arapahoe Ave",
            "city": "Boulder",
            "region": "CO",
            "country": "US",
            "timezone": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    location = Location.objects.get(name="Library")
    assert location.timezone == "America/Denver"
    assert (location.latitude, location.longitude, location.approximate) == (40.015, -105.27, True)
    # Typed values win over the gazetteer's.
    client.post(
        reverse("admin:directory_location_add"),
        {
            "name": "Hall",
            "city": "Boulder",
            "region": "CO",
            "country": "US",
            "timezone": "America/Chicago",
            "latitude": "40.1",
            "longitude": "-105.1",
        },
    )
    hall = Location.objects.get(name="Hall")
    assert (hall.timezone, hall.latitude, hall.approximate) == ("America/Chicago", 40.1, False)


def test_an_identical_location_is_reused_not_duplicated(client):
    staff(client, CURATOR)
    existing = f.location(name="St Mark's", address_line1="1 Main Street", city="Springfield")
    data = {
        "name": "St Mark's ",
        "address_line1": "1 main street",
        "city": "Springfield",
        "region": "IL",
        "country": "US",
        "timezone": "",
    }
    response = client.post(reverse("admin:directory_location_add"), data, follow=True)
    assert Location.objects.count() == 1
    assert "already existed" in response.content.decode()
    assert Location.objects.get() == existing


def test_a_single_organisation_editor_starts_with_their_organisation(client):
    centre = f.organization(name="Only Centre")
    staff(client, EDITOR, organization=centre)
    for name in ("admin:directory_location_add", "admin:directory_listing_add"):
        form = client.get(reverse(name)).context["adminform"].form
        assert form.initial.get("organization") == centre.pk, name


def test_an_editor_adds_a_listing_with_two_days_in_one_save(client):
    centre = f.organization(name="Only Centre")
    staff(client, EDITOR, organization=centre)
    location = f.location(organization=centre, timezone="America/Los_Angeles")
    support_type = f.support_type()
    url = reverse("admin:directory_listing_add")
    data = change_form_data(client.get(url))
    data.update(
        name="Evening Hope",
        slug="evening-hope",
        support_type=support_type.pk,
        status="published",
        attendance="hybrid",
        location=location.pk,
        conference_url="https://meet.example.org/evening",
        cost="free",
    )
    new_row(data, 0, kind="weekly", days=["2", "4"], start_time="19:00", end_time="20:00")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    listing = Listing.objects.get(slug="evening-hope")
    assert listing.organization == centre
    assert {(s.weekday, s.timezone) for s in listing.schedules.all()} == {
        (2, "America/Los_Angeles"),
        (4, "America/Los_Angeles"),
    }
