"""Text from people never breaks what it is written into (issue 22).

- Spreadsheets: a cell that starts like a formula is exported as text, in CSV and XLSX, and
  imports back unchanged.
- One-line fields (names, addresses, phones) refuse line breaks, control and text-direction
  characters, in the public forms, the admin forms and the CSV import, saying what was found.
- What is already stored with such characters still makes a calendar and a curator e-mail.
- A suggestion's meeting times are de-duplicated and capped, when sent and when approved.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
import tablib
from django.core import mail
from django.urls import reverse

from directory.admin.importexport import ListingResource
from directory.models import Listing, Location, Schedule, Submission
from directory.spreadsheets import escape_cell, unescape_cell
from directory.submissions import curator_mail, proposals
from directory.submissions import services as submissions
from directory.validators import SingleLineValidator, one_line, plain_text
from tests import factories as f
from tests.search_helpers import EVERY_KIND
from tests.submission_helpers import suggestion

pytestmark = pytest.mark.django_db

FORMULAS = {
    "equals": '=HYPERLINK("http://evil.example/","Click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
}
HOSTILE = {
    "line break": "Hope\r\nBcc: everyone@example.org",
    "control character": "Hope\x07 Group\x1b[31m",
    "bidi override": "Hope \u202egro.elpmaxe\u202c Group",
}


# --- spreadsheets ---------------------------------------------------------------------------


def export_through_admin(client, file_format: str) -> bytes:
    """Export every listing as a logged-in curator would, through the admin's export page."""
    model_admin = ListingAdmin()
    formats = [fmt().get_title() for fmt in model_admin.get_export_formats()]
    data = {"format": formats.index(file_format), "listing": 0}
    data.update(dict.fromkeys((f"listingresource_{n}" for n in ListingResource._meta.fields), "on"))
    response = client.post(reverse("admin:directory_listing_export"), data)
    assert response.status_code == 200, response.content[:500]
    return response.content


def ListingAdmin():  # noqa: N802 - reads like the class it returns
    from django.contrib import admin

    return admin.site._registry[Listing]


def names_in_csv(content: bytes) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return {row["slug"]: row["name"] for row in rows}


def names_in_xlsx(content: bytes) -> dict[str, tuple[str, str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = sheet.iter_rows()
    headers = [cell.value for cell in next(rows)]
    slug, name = headers.index("slug"), headers.index("name")
    return {row[slug].value: (row[name].value, row[name].data_type) for row in rows}


@pytest.fixture
def formula_listings():
    return {
        key: f.listing(slug=f"formula-{key}", name=value, conference_phone="+1 555 0100")
        for key, value in FORMULAS.items()
    }


def test_a_csv_export_writes_every_formula_prefix_as_text(admin_client, formula_listings):
    names = names_in_csv(export_through_admin(admin_client, "csv"))
    for key, value in FORMULAS.items():
        assert names[f"formula-{key}"] == "'" + value, key


def test_an_xlsx_export_has_no_formula_cell(admin_client, formula_listings):
    names = names_in_xlsx(export_through_admin(admin_client, "xlsx"))
    for key, value in FORMULAS.items():
        text, data_type = names[f"formula-{key}"]
        assert data_type == "s", f"{key}: a formula cell"
        # XML reads a carriage return back as a line feed.
        assert text == "'" + value.replace("\r", "\n"), key


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_escaped_export_imports_back_unchanged(admin_client, formula_listings, file_format):
    from directory.spreadsheets import CSV, XLSX

    content = export_through_admin(admin_client, file_format)
    reader = {"csv": CSV, "xlsx": XLSX}[file_format]()
    dataset = reader.create_dataset(content if file_format == "xlsx" else content.decode())
    rows = {row["slug"]: row for row in dataset.dict}
    for key, value in FORMULAS.items():
        expected = value.replace("\r", "\n") if file_format == "xlsx" else value
        assert rows[f"formula-{key}"]["name"] == expected
        assert rows[f"formula-{key}"]["conference_phone"] == "+1 555 0100"


def test_escaping_leaves_ordinary_text_and_numbers_alone():
    for value in ["Hope Group", "", None, 3, -3, "'quoted", "a=b", "St. Mark's"]:
        assert escape_cell(value) == value
        assert unescape_cell(value) == value
    assert unescape_cell("'=1") == "=1" and escape_cell("=1") == "'=1"


# --- one-line fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("Hope\nGroup", "the line break"),
        ("Hope\r\nGroup", "the line break"),
        ("Hope\u2028Group", "the line break"),
        ("Hope\tGroup", "the tab"),
        ("Hope\x07Group", "the control character (U+0007)"),
        ("Hope\x85Group", "the line break"),
        ("Hope\x9bGroup", "the control character (U+009B)"),
        ("\u202eHope", "the invisible text-direction character (U+202E right-to-left override)"),
        (
            "\u2066Hope\u2069",
            "the invisible text-direction character (U+2066 left-to-right isolate)",
        ),
        ("Hope\u200f", "the invisible text-direction character (U+200F right-to-left mark)"),
    ],
)
def test_the_validator_says_what_it_found(value, found):
    with pytest.raises(Exception) as caught:
        SingleLineValidator("Name")(value)
    assert caught.value.messages == [f"Remove {found} from the name."]


def test_the_validator_accepts_real_names():
    for value in ["St. Mark's Hall", "Café Ünïcode", "שלום", "مرحبا", "12-Step (AA) #3", "O'Neil"]:
        SingleLineValidator("Name")(value)


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("name", "the name of the meeting or group"),
        ("location_name", "the venue name"),
        ("address_line1", "the street address"),
        ("city", "the town or city"),
        ("region", "the state, province or county"),
        ("postal_code", "the ZIP or postal code"),
        ("contact_name", "the contact first name or initial"),
        ("contact_phone", "the contact phone"),
        ("reporter_name", "your name"),
    ],
)
def test_the_public_suggestion_refuses_each_kind_on_each_one_line_field(client, field, words):
    support_type = f.support_type()
    for kind, value in HOSTILE.items():
        data = suggestion(support_type, **{field: value})
        response = client.post(reverse("directory:suggest"), data)
        assert response.status_code == 200, (field, kind)
        errors = response.context["form"].errors[field]
        assert any(e.startswith("Remove the ") and e.endswith(f" from {words}.") for e in errors)
    assert not Submission.objects.exists()


def test_a_description_keeps_its_line_breaks(client):
    data = suggestion(f.support_type(), description="First line.\r\nSecond line.")
    assert client.post(reverse("directory:suggest"), data).status_code == 302


def test_the_report_form_refuses_a_line_break_in_a_name(client):
    listing = f.listing(name="Calm Waters", slug="calm-waters")
    form = client.get(reverse("directory:listing-report", args=[listing.slug])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if "time_" not in name}
    data.update(kind="correction", name="Calm\nWaters", support_type=listing.support_type.slug)
    response = client.post(reverse("directory:listing-report", args=[listing.slug]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "Remove the line break from the name of the meeting or group."
    ]


def test_admin_listing_and_location_forms_refuse_them(admin_client):
    listing = f.listing(name="Calm Waters", slug="calm-waters")
    request = _request()
    listing_form = ListingAdmin().get_form(request)(instance=listing)
    assert any(isinstance(v, SingleLineValidator) for v in listing_form.fields["name"].validators)
    for name in ("contact_name", "contact_phone", "conference_phone"):
        assert any(isinstance(v, SingleLineValidator) for v in listing_form.fields[name].validators)
    assert not any(
        isinstance(v, SingleLineValidator) for v in listing_form.fields["description"].validators
    )
    from django.contrib import admin

    location_form_class = admin.site._registry[Location].get_form(request)
    data = {
        "name": "Hall \u202eevil",
        "address_line1": "1 Main\nStreet",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701\t",
        "country": "US",
        "timezone": "",
    }
    form = location_form_class(data)
    assert not form.is_valid()
    assert form.errors["name"] == [
        "Remove the invisible text-direction character (U+202E right-to-left override) "
        "from the name."
    ]
    assert form.errors["address_line1"] == ["Remove the line break from the address line 1."]
    assert "postal_code" not in form.errors  # a trailing tab is whitespace the field strips


def test_admin_change_form_post_shows_the_message(admin_client):
    listing = f.listing(name="Calm Waters", slug="calm-waters")
    url = reverse("admin:directory_listing_change", args=[listing.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"name": "Calm Waters\x07", "features": [], "location": listing.location_id})
    data.update(
        {
            "schedules-TOTAL_FORMS": "0",
            "schedules-INITIAL_FORMS": "0",
            "schedules-MIN_NUM_FORMS": "0",
            "schedules-MAX_NUM_FORMS": "1000",
        }
    )
    response = admin_client.post(url, {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Remove the control character (U+0007) from the name." in html
    listing.refresh_from_db()
    assert listing.name == "Calm Waters"


def _request():
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = f.user(username="root", is_staff=True, is_superuser=True)
    return request


def test_a_csv_import_row_with_a_line_break_in_the_name_is_invalid():
    listing = f.listing(name="Calm Waters", slug="calm-waters")
    rows = tablib.Dataset().load(ListingResource().export().csv, format="csv").dict
    row = next(r for r in rows if r["slug"] == "calm-waters")
    row["name"] = "Calm\r\nWaters"
    row["contact_name"] = "Sam \u202e"
    dataset = tablib.Dataset(*[list(row.values())], headers=list(row))
    result = ListingResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    errors = result.invalid_rows[0].error_dict
    assert errors["name"] == ["Remove the line break from the name."]
    assert errors["contact_name"][0].startswith("Remove the invisible text-direction character")
    listing.refresh_from_db()
    assert listing.name == "Calm Waters"


# --- calendars and e-mail never break ---------------------------------------------------------


@pytest.fixture(params=list(HOSTILE), ids=list(HOSTILE))
def stored_hostile_listing(request):
    """A listing stored with a bad name (before the forms refused it, or by another path)."""
    value = HOSTILE[request.param]
    location = f.location(name=f"Hall {value}", address_line1=f"1 Main {value}")
    listing = f.listing(
        slug="stored",
        name=value,
        location=location,
        attendance="hybrid",  # found by a search without a place
        description=f"Intro {value}\nMore.",
    )
    f.schedule(listing, weekday=2, start_time=dt.time(19), notes=f"Side door {value}")
    return listing


def assert_clean_calendar(body: bytes) -> None:
    import icalendar

    text = body.decode()
    for line in text.split("\r\n"):
        assert "\n" not in line and "\r" not in line
    for bad in ["\x07", "\x1b", "\u202e", "\u202c", "\t"]:
        assert bad not in text
    calendar = icalendar.Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert events and all("Hope" in str(event["summary"]) for event in events)
    assert all("\n" not in str(event["summary"]) for event in events)


def test_a_stored_hostile_name_still_makes_the_listing_calendar(client, stored_hostile_listing):
    response = client.get("/resources/stored.ics")
    assert response.status_code == 200
    assert_clean_calendar(response.content)
    import icalendar

    calendar = icalendar.Calendar.from_ical(response.content)
    assert "\n" not in str(calendar["x-wr-calname"]) and "Hope" in str(calendar["x-wr-calname"])
    event = next(iter(calendar.walk("VEVENT")))
    assert "More." in str(event["description"]) and "\n" in str(event["description"])


def test_a_stored_hostile_name_still_makes_the_search_calendar(client, stored_hostile_listing):
    response = client.get(reverse("directory:find-calendar") + "?" + EVERY_KIND)
    assert response.status_code == 200
    assert_clean_calendar(response.content)


def test_a_stored_hostile_name_still_reaches_the_curators(settings, stored_hostile_listing):
    settings.DIRECTORY_CURATOR_EMAILS = ["curators@example.org"]
    submission = Submission.objects.create(
        kind="correction", listing=stored_hostile_listing, proposed={"city": "Shelbyville"}
    )
    assert curator_mail.notify_curators(submission) is True
    new = Submission.objects.create(kind="new", proposed={"name": stored_hostile_listing.name})
    assert curator_mail.notify_curators(new) is True
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        subject = message.message()["Subject"]
        assert "\n" not in message.subject and "\r" not in message.subject
        assert "Bcc" not in message.message() or "everyone" not in str(message.message()["Bcc"])
        for bad in ["\x07", "\x1b", "\u202e"]:
            assert bad not in message.subject and bad not in message.body
        assert "Hope" in message.subject and subject


def test_one_line_and_plain_text():
    assert one_line("Hope\r\n\r\n  Group\t\x07\u202e!") == "Hope Group !"
    assert plain_text("a\r\nb\rc\u2028d\x07\u202e\te") == "a\nb\nc\nd e"


# --- a suggestion's meeting times ----------------------------------------------------------


def test_nine_hundred_repeated_days_are_one_meeting_time(client):
    data = suggestion(f.support_type(), time1_days=["2"] * 900)
    assert client.post(reverse("directory:suggest"), data).status_code == 302
    ops = Submission.objects.get().proposed["schedules"]
    assert len(ops) == 1 and ops[0]["fields"]["weekday"] == 2


def test_the_same_time_in_two_rows_is_one_meeting_time(client):
    data = suggestion(
        f.support_type(),
        time1_days=["1", "2", "1"],
        time2_days=["2", "3"],
        time2_start="19:00",
        time2_end="20:00",
    )
    assert client.post(reverse("directory:suggest"), data).status_code == 302
    ops = Submission.objects.get().proposed["schedules"]
    assert sorted(op["fields"]["weekday"] for op in ops) == [1, 2, 3]


def test_the_form_says_the_cap(client, monkeypatch):
    monkeypatch.setattr("directory.submissions.forms.MAX_NEW_SCHEDULES", 3)
    data = suggestion(f.support_type(), time1_days=["1", "2", "3", "4"])
    response = client.post(reverse("directory:suggest"), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "A suggestion can list at most 3 meeting times; this one has 4. Give the main ones and "
        "tell us about the rest in “Anything else the curators should know”."
    ]
    assert not Submission.objects.exists()


def test_every_day_three_times_fits_the_cap(client):
    """Three rows of seven days, the most the form can carry, is within the cap."""
    every_day = [str(day) for day in range(7)]
    data = suggestion(f.support_type(), time1_days=every_day)
    for row, start in ((2, "12:00"), (3, "18:00")):
        data |= {f"time{row}_days": every_day, f"time{row}_start": start, f"time{row}_end": ""}
    assert client.post(reverse("directory:suggest"), data).status_code == 302
    assert len(Submission.objects.get().proposed["schedules"]) == proposals.MAX_NEW_SCHEDULES


def test_submit_refuses_an_oversize_proposal():
    op = {"op": "add", "fields": {"kind": "weekly", "weekday": 1, "start_time": "19:00"}}
    with pytest.raises(ValueError, match="at most 21 new meeting times"):
        submissions.submit(kind="new", proposed={"name": "X", "schedules": [op] * 22})


def test_approval_de_duplicates_a_stored_oversize_proposal():
    curator = f.user(username="cora", is_staff=True, is_superuser=True)
    support_type = f.support_type()
    fields = {"kind": "weekly", "weekday": 2, "start_time": "19:00", "timezone": "UTC"}
    ops = [{"op": "add", "fields": dict(fields)} for _ in range(900)]
    ops += [{"op": "add", "fields": {**fields, "weekday": day}} for day in range(7)]
    submission = Submission.objects.create(
        kind="new",
        proposed={
            "name": "Repeated",
            "support_type": support_type.slug,
            "attendance": "online",
            "conference_url": "https://meet.example.org/r",
            "schedules": ops,
        },
    )
    listing = submissions.approve(submission, by=curator, organization=f.organization())
    assert sorted(listing.schedules.values_list("weekday", flat=True)) == list(range(7))
    assert Schedule.objects.count() == 7


def test_approval_refuses_a_stored_proposal_over_the_cap_after_de_duplication():
    curator = f.user(username="cora", is_staff=True, is_superuser=True)
    ops = [
        {"op": "add", "fields": {"kind": "weekly", "weekday": n % 7, "start_time": f"{n:02d}:00"}}
        for n in range(23)
    ]
    submission = Submission.objects.create(
        kind="new",
        proposed={"name": "Many", "support_type": f.support_type().slug, "schedules": ops},
    )
    with pytest.raises(Exception, match="at most 21"):
        submissions.approve(submission, by=curator, organization=f.organization())
    assert not Schedule.objects.exists()


def test_approval_refuses_a_stored_name_with_a_line_break():
    curator = f.user(username="cora", is_staff=True, is_superuser=True)
    submission = Submission.objects.create(
        kind="new",
        proposed={
            "name": "Bad\r\nName",
            "support_type": f.support_type().slug,
            "attendance": "online",
            "conference_url": "https://meet.example.org/b",
        },
    )
    with pytest.raises(Exception) as caught:
        submissions.approve(submission, by=curator, organization=f.organization())
    assert caught.value.messages == ["Remove the line break from the name of the meeting or group."]
    assert not Listing.objects.filter(slug__startswith="bad").exists()


def test_the_spanish_report_form_says_what_it_found_in_spanish(client):
    """A whole Spanish sentence naming the field by its Spanish label (English builds its own
    with the field's words)."""
    listing = f.listing(name="Calm Waters", slug="calm-waters")
    url = f"/es/resources/{listing.slug}/report/"
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if "time_" not in name}
    data.update(kind="correction", name="Calm\nWaters", support_type=listing.support_type.slug)
    response = client.post(url, data)
    assert response.status_code == 200
    [error] = response.context["form"].errors["name"]
    assert error.startswith("Quite el salto de línea de “") and "Remove" not in error
    assert str(response.context["form"].fields["name"].label) in error
