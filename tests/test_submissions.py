"""Public suggestions and reports: stored first, protected against abuse, never public early."""

from __future__ import annotations

import logging

import pytest
from django import forms
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from directory.models import Listing, Submission
from directory.submissions.forms import SuggestForm
from directory.submissions.report_form import ReportForm
from tests import factories as f
from tests.submission_helpers import report_form_data, suggestion, time_field

pytestmark = pytest.mark.django_db


class BrokenMailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server unreachable")


@pytest.fixture
def curators_mailbox(settings):
    settings.DIRECTORY_CURATOR_EMAILS = ["curators@example.org"]


@pytest.fixture
def support_type():
    return f.support_type(name="12-Step Programs", slug="12-step-programs")


def test_suggest_page_is_an_accessible_form(client, support_type):
    response = client.get(reverse("directory:suggest"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "csrfmiddlewaretoken" in html
    assert "<fieldset" in html and "<legend>Where</legend>" in html
    assert '<label for="id_name">' in html
    # The honeypot is hidden from people and assistive technology alike.
    assert '<div class="form-row" hidden>' in html


def test_every_submission_field_has_a_size_limit():
    for form_class in (SuggestForm,):
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.CharField):
                assert field.max_length, name
    listing = Listing(name="x")
    for name, field in ReportForm.base_fields.items():
        if isinstance(field, forms.CharField):
            assert field.max_length, name
    assert listing.name == "x"


def test_a_suggestion_is_stored_pending_and_nothing_is_published(
    client, support_type, curators_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(reverse("directory:suggest"), suggestion(support_type))
    assert len(queued) == 1  # the curators' e-mail, queued once the submission is committed
    assert response.status_code == 302
    assert response.url == reverse("directory:submission-thanks")
    submission = Submission.objects.get()
    assert submission.kind == Submission.Kind.NEW_LISTING
    assert submission.status == Submission.State.PENDING
    assert submission.proposed["name"] == "Tuesday Night Hope"
    assert submission.proposed["schedules"] == [
        {
            "op": "add",
            "fields": {
                "kind": "weekly",
                "weekday": 2,
                "start_time": "19:00",
                "end_time": "20:00",
                "timezone": "America/Chicago",
            },
        }
    ]
    assert not Listing.objects.exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["curators@example.org"]
    assert f"/admin/directory/submission/{submission.pk}/change/" in mail.outbox[0].body
    # In both languages of the site: curators may read either.
    body = mail.outbox[0].body
    assert "A member of the public suggested a new listing" in body
    assert "Una persona del público sugirió un nuevo recurso" in body
    assert body.count(f"/admin/directory/submission/{submission.pk}/change/") == 2


def test_curators_in_the_group_are_notified_too(
    client, support_type, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from directory.services.roles import CURATOR, sync_roles

    sync_roles()
    curator = f.user(email="cora@example.org", is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATOR))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("directory:suggest"), suggestion(support_type))
    assert mail.outbox[0].to == ["cora@example.org"]


def test_a_submission_survives_an_email_failure(
    client, support_type, settings, curators_mailbox, caplog, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_submissions.BrokenMailBackend"}}
    with (
        caplog.at_level(logging.ERROR, logger="directory.submissions.curator_mail"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("directory:suggest"), suggestion(support_type))
    assert response.status_code == 302
    assert Submission.objects.filter(proposed__name="Tuesday Night Hope").exists()
    assert "Could not e-mail curators" in caplog.text


def test_nothing_is_sent_for_a_submission_whose_transaction_rolls_back(
    support_type, curators_mailbox, django_capture_on_commit_callbacks
):
    """The curators' e-mail is queued on commit: a caller's transaction that fails after
    storing a submission (which then never existed) tells nobody about it."""
    from django.db import transaction

    from directory.submissions import services as submissions

    with django_capture_on_commit_callbacks(execute=True) as queued:
        with pytest.raises(RuntimeError), transaction.atomic():
            submissions.submit(kind="new", proposed={"name": "Gone Again"})
            raise RuntimeError("the caller failed")
        kept = submissions.submit(kind="new", proposed={"name": "Kept"})
    assert not Submission.objects.filter(proposed__name="Gone Again").exists()
    assert len(queued) == 1 and len(mail.outbox) == 1
    assert "Kept" in mail.outbox[0].subject and kept.pk


def test_the_honeypot_refuses_bots_clearly(client, support_type):
    response = client.post(
        reverse("directory:suggest"), suggestion(support_type, homepage="http://spam.example")
    )
    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    assert not Submission.objects.exists()


def test_the_rate_limit_refuses_a_flood_clearly(client, support_type, settings):
    settings.DIRECTORY_SUBMISSION_RATE = "2/h"
    url = reverse("directory:suggest")
    assert client.post(url, suggestion(support_type, name="One")).status_code == 302
    assert client.post(url, suggestion(support_type, name="Two")).status_code == 302
    response = client.post(url, suggestion(support_type, name="Three"))
    assert response.status_code == 429
    assert "Too many submissions" in response.content.decode()
    assert Submission.objects.count() == 2
    # Reports share the limit; another client is not affected.
    listing = f.listing()
    report = reverse("directory:listing-report", args=[listing.slug])
    assert client.post(report, {"kind": "closure"}).status_code == 429
    other = client.post(report, {"kind": "closure"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_oversized_and_inconsistent_input_is_rejected_with_errors_tied_to_fields(
    client, support_type
):
    data = suggestion(support_type, name="x" * 201, attendance="online", time1_end="18:00")
    response = client.post(reverse("directory:suggest"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name_error"' in html
    assert 'id="id_name_error"' in html
    assert "needs a link or a dial-in number" in html
    assert "The first meeting time: the end must be after the start." in html
    assert 'role="alert"' in html
    assert not Submission.objects.exists()


def report_form(client, listing):
    return client.get(reverse("directory:listing-report", args=[listing.slug])).context["form"]


def prefilled(client, listing) -> dict:
    """What the report form sends when the visitor changes nothing."""
    return report_form_data(report_form(client, listing))


def test_a_correction_stores_only_the_changed_fields_and_the_page_is_unchanged(client):
    listing = f.listing(name="Old Name", features=[f.feature()])
    tuesday = f.schedule(listing, weekday=2)
    data = prefilled(client, listing)
    data.update(kind="correction", name="New Name")
    data[time_field(report_form(client, listing), tuesday, "start_time")] = "18:30"
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    submission = Submission.objects.get()
    assert submission.kind == Submission.Kind.CORRECTION
    assert submission.listing == listing
    assert submission.proposed == {
        "name": "New Name",
        "schedules": [{"op": "change", "id": tuesday.pk, "fields": {"start_time": "18:30"}}],
    }
    listing.refresh_from_db()
    assert listing.name == "Old Name"
    public = client.get(listing.get_absolute_url()).content.decode()
    assert "Old Name" in public and "New Name" not in public


def test_a_correction_without_changes_is_refused(client):
    listing = f.listing()
    f.schedule(listing)
    response = client.post(
        reverse("directory:listing-report", args=[listing.slug]), prefilled(client, listing)
    )
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    assert not Submission.objects.exists()


def test_this_meeting_no_longer_meets(client):
    listing = f.listing()
    response = client.post(
        reverse("directory:listing-report", args=[listing.slug]),
        {"kind": "closure", "message": "The hall closed in May."},
    )
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.kind == Submission.Kind.CLOSURE
    assert submission.proposed == {}
    assert submission.message == "The hall closed in May."


def test_reports_only_exist_for_published_listings(client):
    draft = f.listing(status="draft")
    assert client.get(reverse("directory:listing-report", args=[draft.slug])).status_code == 404


def _springfield():
    f.place(name="Springfield", region_code="IL", latitude=39.78, longitude=-89.65,
            population=114_000, timezone="America/Chicago")  # fmt: skip


def test_a_suggestion_gives_several_days_and_times_in_the_towns_time_zone(client, support_type):
    _springfield()
    data = suggestion(
        support_type,
        timezone="",  # "the town's time zone": worked out from Springfield, IL
        time1_days=["1", "2", "3", "4", "5"],
        time1_start="07:00",
        time1_end="08:00",
        time2_days=["6"],
        time2_start="10:00",
        time2_end="",
    )
    assert client.post(reverse("directory:suggest"), data).status_code == 302
    ops = Submission.objects.get().proposed["schedules"]
    assert [(op["fields"]["weekday"], op["fields"]["start_time"]) for op in ops] == [
        (1, "07:00"), (2, "07:00"), (3, "07:00"), (4, "07:00"), (5, "07:00"), (6, "10:00"),
    ]  # fmt: skip
    assert {op["fields"]["timezone"] for op in ops} == {"America/Chicago"}
    assert "end_time" not in ops[-1]["fields"] and ops[0]["fields"]["end_time"] == "08:00"


def test_a_time_zone_chosen_wins_and_an_unknown_town_asks_for_one(client, support_type):
    _springfield()
    chosen = suggestion(support_type, timezone="America/New_York")
    assert client.post(reverse("directory:suggest"), chosen).status_code == 302
    assert Submission.objects.get().proposed["schedules"][0]["fields"]["timezone"] == (
        "America/New_York"
    )
    unknown = suggestion(support_type, name="Elsewhere", city="Nowhereville", timezone="")
    response = client.post(reverse("directory:suggest"), unknown)
    assert response.status_code == 200
    assert "work out the time zone from the town: choose" in response.content.decode()
    # Without meeting times, no time zone is needed.
    no_times = {**unknown, "time1_days": [], "time1_start": "", "time1_end": ""}
    assert client.post(reverse("directory:suggest"), no_times).status_code == 302


def test_a_half_given_meeting_time_says_which_part_is_missing(client, support_type):
    data = suggestion(support_type, time2_days=["3"], time2_start="", time3_start="18:00")
    html = client.post(reverse("directory:suggest"), data).content.decode()
    assert "Meeting time 2: enter the time it starts." in html
    assert "Meeting time 3: tick the day or days it meets." in html
    assert not Submission.objects.exists()


def test_the_form_groups_features_by_category_with_languages_apart(client, support_type):
    from directory.models import FeatureCategory

    fmt = FeatureCategory.objects.create(slug="format", name="Meeting format", position=1)
    language = FeatureCategory.objects.create(slug="language", name="Language", position=4)
    f.feature(fmt, name="Open", slug="open", code="O")
    f.feature(language, name="Spanish", slug="spanish", code="S")
    html = client.get(reverse("directory:suggest")).content.decode()
    details = html.index("<legend>Meeting format</legend>")
    languages = html.index("<legend>Languages spoken</legend>")
    assert html.index(">\n Open</label>") < languages < html.index(">\n Spanish</label>")
    assert details < languages
    # The time zone is chosen by the names people use, not typed.
    assert '<option value="America/Chicago">Central Time</option>' in html
    assert "The town&#x27;s time zone (we work it out)" in html


def test_the_time_zone_menu_names_zones_as_cldr_does_and_stores_the_same_zones():
    from directory.submissions.forms import zone_choices

    town, (_named, named), (_other, others), utc = zone_choices()
    assert town[0] == "" and utc == ("UTC", [("UTC", "UTC")])
    # The values (what a listing stores) are the ones the menu always offered.
    assert named == [
        ("America/New_York", "Eastern Time"),
        ("America/Chicago", "Central Time"),
        ("America/Denver", "Mountain Time"),
        ("America/Phoenix", "Mountain Standard Time"),
        ("America/Los_Angeles", "Pacific Time"),
        ("America/Anchorage", "Alaska Time"),
        ("Pacific/Honolulu", "Hawaii Time"),
        ("America/Halifax", "Atlantic Time"),
        ("America/St_Johns", "Newfoundland Time"),
        ("Europe/London", "British Time"),
        ("Europe/Dublin", "Irish Time"),
        ("Europe/Paris", "Central European Time"),
        ("Europe/Athens", "Eastern European Time"),
        ("Australia/Sydney", "Australian Eastern Time"),
        ("Australia/Brisbane", "Australian Eastern Standard Time"),
        ("Australia/Adelaide", "Australian Central Time"),
        ("Australia/Perth", "Australian Western Standard Time"),
        ("Pacific/Auckland", "New Zealand Time"),
        ("Asia/Kolkata", "India Standard Time"),
    ]
    other_zones = {zone for zone, _label in others}
    # A zone CLDR names like one of those is that choice, not listed again...
    assert not other_zones & {"America/Detroit", "America/Toronto", "Europe/Berlin"}
    # ...and one that keeps its clock all year while its neighbours change theirs is not:
    # Puerto Rico is "Atlantic Standard Time", Darwin "Australian Central Standard Time".
    assert {"America/Puerto_Rico", "Australia/Darwin", "America/Mexico_City"} <= other_zones
    assert ("America/Puerto_Rico", "America – Puerto Rico") in others
    assert not other_zones & {zone for zone, _label in named}


def test_the_time_zone_menu_in_spanish_uses_cldrs_spanish_names():
    from django.utils import translation

    from directory.submissions.forms import zone_choices

    with translation.override("es"):
        named = zone_choices()[1][1]
    assert ("America/Chicago", "hora central") in named
    assert ("America/Phoenix", "hora estándar de las Montañas Rocosas") in named


def test_an_error_summary_takes_focus_and_links_to_each_field(client, support_type):
    data = {**suggestion(support_type, name=""), "support_type": ""}
    html = client.post(reverse("directory:suggest"), data).content.decode()
    summary = html[
        html.index('id="error-summary"') - 60 : html.index("</ul>", html.index("error-summary"))
    ]
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert '<a href="#id_name">Enter the name of the meeting or group.</a>' in summary
    assert '<a href="#id_support_type">Choose the type of support.</a>' in summary
    assert "<title>Error: " in html
