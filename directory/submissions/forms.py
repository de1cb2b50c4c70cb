"""Public submission forms: suggest a listing, report a correction or a closure.

Fields mirror the listing (see ``directory.submissions.proposals.PROPOSAL_FIELDS``). Every field
has a size limit, and ``homepage`` is a honeypot: people never see it, bots fill it in.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from directory.models import Feature, Listing, Location, Schedule, SupportType
from directory.scheduling import zone_names
from directory.scheduling.wording import MONDAY_FIRST
from directory.services.locations import gazetteer_place
from directory.submissions.proposals import (
    FIELD_LABELS,
    LISTING_FIELDS,
    LOCATION_FIELDS,
    MAX_NEW_SCHEDULES,
)
from directory.validators import apply_single_line, validate_dial_string

HONEYPOT = "homepage"


WHEN = "when"  # the meeting times' place among the fieldsets (each form draws its own)

# Groups of fields, shown as fieldsets with a legend. The features ("features") are drawn
# as one fieldset per category, languages apart (``ListingFieldsForm.feature_groups``).
FIELDSETS = [
    (gettext_lazy("The meeting or group"), ["name", "support_type", "description", "cost"]),
    ("features", ["features"]),
    (
        gettext_lazy("How to attend"),
        ["attendance", "conference_url", "conference_phone", "website"],
    ),
    (gettext_lazy("Where"), [*LOCATION_FIELDS]),
    ("When it meets", WHEN),
    (gettext_lazy("Public contact"), ["contact_name", "contact_email", "contact_phone"]),
]
FEATURE_LEGENDS = {
    "format": gettext_lazy("Meeting format"),
    "audience": gettext_lazy("Who it is for"),
    "accessibility": gettext_lazy("Accessibility"),
    "focus": gettext_lazy("Focus"),
    "language": gettext_lazy("Languages spoken"),
}
# The public forms' field labels: the same words as the review screen's
# ``directory.submissions.proposals.FIELD_LABELS``, marked for translation here for visitors
# (tests/test_i18n_python.py checks that the English stays the same).
FIELD_LABELS_SHOWN = {
    "name": gettext_lazy("Name of the meeting or group"),
    "support_type": gettext_lazy("Type of support"),
    "attendance": gettext_lazy("How people attend"),
    "description": gettext_lazy("Description"),
    "website": gettext_lazy("Website"),
    "conference_url": gettext_lazy("Online meeting link"),
    "conference_phone": gettext_lazy("Dial-in phone number"),
    "contact_name": gettext_lazy("Contact first name or initial"),
    "contact_email": gettext_lazy("Contact e-mail"),
    "contact_phone": gettext_lazy("Contact phone"),
    "cost": gettext_lazy("Cost"),
    "location_name": gettext_lazy("Venue name"),
    "address_line1": gettext_lazy("Street address"),
    "address_line2": gettext_lazy("Address line 2"),
    "city": gettext_lazy("Town or city"),
    "region": gettext_lazy("State, province or county"),
    "postal_code": gettext_lazy("ZIP or postal code"),
    "country": gettext_lazy("Country code"),
    "weekday": gettext_lazy("Day"),
    "start_time": gettext_lazy("Start time"),
    "end_time": gettext_lazy("End time"),
    "timezone": gettext_lazy("Time zone"),
    "features": gettext_lazy("Details"),
}
MESSAGE_LABEL = gettext_lazy("Anything else the curators should know")
CLOSURE_CHOICE = gettext_lazy("This meeting no longer meets")
# What a missing required field says, on the field and in the error summary (alone there).
REQUIRED_MESSAGES = {
    "name": gettext_lazy("Enter the name of the meeting or group."),
    "support_type": gettext_lazy("Choose the type of support."),
    "attendance": gettext_lazy("Choose how people attend."),
    "cost": gettext_lazy("Choose the cost."),
    "country": gettext_lazy("Enter the country as two letters, e.g. US."),
}
MEETING_TIME_ROWS = 3  # a suggestion gives up to three (each on one or several days)
DAY_CHOICES = [(day, Schedule.Weekday(day).label) for day in MONDAY_FIRST]


TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


@dataclass
class Section:
    """A fieldset of a submission form: its fields, nested fieldsets or a feature category's
    checkboxes (``templates/directory/submission_fields.html`` draws it)."""

    legend: str
    fields: list = dataclass_field(default_factory=list)
    groups: list[Section] = dataclass_field(default_factory=list)
    checkboxes: list = dataclass_field(default_factory=list)
    fields_after: list = dataclass_field(default_factory=list)
    hint: str = ""
    errors: list = dataclass_field(default_factory=list)
    columns: bool = False  # checkboxes in columns (a long list: languages)
    inline: bool = False  # fields side by side where there is room (a meeting time row)


# The zones the menu offers first, by their CLDR names ("Eastern Time", "Mountain Standard Time"
# for Arizona): one per name, and the IANA zone a listing stores when that name is chosen.
NAMED_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Halifax",
    "America/St_Johns", "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Athens",
    "Australia/Sydney", "Australia/Brisbane", "Australia/Adelaide", "Australia/Perth",
    "Pacific/Auckland", "Asia/Kolkata",
]  # fmt: skip


def zone_choices() -> list:
    """The time zone menu: "from the town" first, the zones people name (Eastern Time...),
    then every other zone by its region and city (in the visitor's language)."""
    return _zone_choices(get_language())


@functools.cache
def _zone_choices(language: str | None) -> list:
    common = [(zone, zone_names.zone_name(zone)) for zone in NAMED_ZONES]
    # A zone CLDR names as one of those (America/Detroit is "Eastern Time") is that choice.
    named = {name for _zone, name in common}
    others = sorted(
        (zone, zone.replace("_", " ").replace("/", " – "))
        for zone in zoneinfo.available_timezones()
        if "/" in zone
        and not zone.startswith(("Etc/", "SystemV/", "US/"))
        and zone_names.zone_name(zone) not in named
    )
    return [
        ("", _("The town's time zone (we work it out)")),
        (_("Time zones people name"), common),
        (_("Other places"), others),
        ("UTC", [("UTC", "UTC")]),
    ]


class ListingFieldsForm(forms.Form):
    name = forms.CharField(max_length=200)
    support_type = forms.ModelChoiceField(
        SupportType.objects.all(), to_field_name="slug", empty_label=gettext_lazy("Choose a type")
    )
    support_type.label_from_instance = lambda support_type: support_type.localised("name")
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    cost = forms.ChoiceField(choices=Listing.Cost.choices, initial=Listing.Cost.FREE)
    features = forms.ModelMultipleChoiceField(
        Feature.objects.select_related("category"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    features.label_from_instance = lambda feature: feature.label  # the page's language
    attendance = forms.ChoiceField(
        choices=[c for c in Listing.Attendance.choices if c[0] != "inactive"],
        widget=forms.RadioSelect,
        initial=Listing.Attendance.IN_PERSON,
    )
    conference_url = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("For online meetings."),
    )
    conference_phone = forms.CharField(
        max_length=60, required=False, validators=[validate_dial_string]
    )
    website = forms.URLField(max_length=500, required=False, assume_scheme="https")
    location_name = forms.CharField(
        max_length=200, required=False, help_text=gettext_lazy("e.g. St Mark's hall")
    )
    address_line1 = forms.CharField(max_length=200, required=False)
    address_line2 = forms.CharField(max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    country = forms.CharField(
        max_length=2,
        min_length=2,
        initial="US",
        help_text=gettext_lazy("Two letters, e.g. US, CA, GB."),
    )
    contact_name = forms.CharField(
        max_length=100,
        required=False,
        help_text=gettext_lazy("First name or initial only: no last names."),
    )
    contact_email = forms.EmailField(max_length=254, required=False)
    contact_phone = forms.CharField(max_length=40, required=False)

    # About the person writing to us (never published).
    message = forms.CharField(
        label=MESSAGE_LABEL,
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reporter_name = forms.CharField(label=gettext_lazy("Your name"), max_length=100, required=False)
    reporter_email = forms.EmailField(
        label=gettext_lazy("Your e-mail"),
        max_length=254,
        required=False,
        help_text=gettext_lazy(
            "Only if you want us to be able to ask you a question. Never published."
        ),
    )
    homepage = forms.CharField(
        label="Leave this field empty", max_length=200, required=False
    )  # the honeypot

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels read as questions, not "Name:"
        super().__init__(*args, **kwargs)
        for name, label in FIELD_LABELS.items():
            if name in self.fields:
                self.fields[name].label = FIELD_LABELS_SHOWN.get(name, label)
        self.fields["country"].widget.attrs["autocomplete"] = "country"
        self.fields["postal_code"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["homepage"].widget.attrs.update(tabindex="-1", autocomplete="off")
        for name, message in REQUIRED_MESSAGES.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message
        # Names, addresses, phones: no line breaks, control or text-direction characters.
        apply_single_line(self.fields)

    @property
    def sections(self) -> list[Section]:
        """The form as fieldsets, in order (``FIELDSETS``)."""
        sections = []
        for legend, names in FIELDSETS:
            if names is WHEN:
                sections.extend(self.when_sections())
            elif names == ["features"]:
                sections.extend(self.feature_sections())
            else:
                sections.append(Section(legend, fields=[self[name] for name in names]))
        return sections

    def when_sections(self) -> list[Section]:
        return []

    def feature_sections(self) -> list[Section]:
        """The feature checkboxes as one fieldset per category (in the categories' order)
        inside "Details", and the languages as a fieldset of their own."""
        category_of = {
            feature.slug: feature.category for feature in self.fields["features"].queryset
        }
        by_category: dict = {}
        for checkbox in self["features"]:
            category = category_of.get(str(checkbox.data["value"]))
            if category is not None:
                by_category.setdefault(category, []).append(checkbox)
        ordered = sorted(by_category, key=lambda c: (c.position, c.name))
        groups = [
            Section(FEATURE_LEGENDS.get(c.slug, c.name), checkboxes=by_category[c])
            for c in ordered
            if c.slug != "language"
        ]
        languages = [box for c in ordered if c.slug == "language" for box in by_category[c]]
        errors = self["features"].errors
        sections = [
            Section(_("Details"), hint=_("Tick what applies."), groups=groups, errors=errors)
        ]
        if languages:
            sections.append(
                Section(FEATURE_LEGENDS["language"], checkboxes=languages, columns=True)
            )
        return sections

    @property
    def fields_with_errors(self) -> list:
        """The fields the error summary links to, in the page's order."""
        return [field for field in self if field.errors]

    @property
    def problem_count(self) -> int:
        return len(self.fields_with_errors) + bool(self.non_field_errors())

    @property
    def about_you(self):
        return [self["message"], self["reporter_name"], self["reporter_email"]]

    def clean_country(self):
        return self.cleaned_data["country"].upper()

    def check_listing(self, values: dict) -> None:
        """The rules a listing must satisfy, applied to the values the listing would have."""
        attendance = values.get("attendance")
        if attendance in {"online", "hybrid"} and not (
            values.get("conference_url") or values.get("conference_phone")
        ):
            self.add_error(
                "conference_url", _("An online meeting needs a link or a dial-in number.")
            )
        if attendance in {"in_person", "hybrid"} and not (
            values.get("city") or values.get("postal_code")
        ):
            self.add_error("city", _("Give the town or the ZIP code of an in-person meeting."))

    def proposal_values(self) -> dict:
        """Cleaned listing, location and feature values in the proposal's JSON shape."""
        data = self.cleaned_data
        values = {}
        for key in [*LISTING_FIELDS, *LOCATION_FIELDS, "features"]:
            value = data.get(key)
            if key == "support_type":
                value = value.slug if value else ""
            elif key == "features":
                value = sorted(f.slug for f in value) if value else []
            elif isinstance(value, dt.time):
                value = value.strftime("%H:%M")
            elif value is None:
                value = ""
            values[key] = value
        return values


class SuggestForm(ListingFieldsForm):
    """A new listing: stored as a pending submission until a curator approves it.

    Up to ``MEETING_TIME_ROWS`` meeting times, each on one or several days (one weekly
    meeting time per day ticked), in one time zone: the one chosen, else the town's.
    """

    timezone = forms.ChoiceField(
        choices=zone_choices,
        required=False,
        help_text=gettext_lazy(
            "Leave it to us for a meeting in a town we know; choose for an online one."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].label = _("Time zone of these times")
        for row in range(1, MEETING_TIME_ROWS + 1):
            self.fields[f"time{row}_days"] = forms.TypedMultipleChoiceField(
                label=_("Days"),
                choices=DAY_CHOICES,
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"time{row}_start"] = forms.TimeField(
                label=_("Starts at"), required=False, widget=TIME_INPUT
            )
            self.fields[f"time{row}_end"] = forms.TimeField(
                label=_("Ends at (if known)"), required=False, widget=TIME_INPUT
            )

    def when_sections(self) -> list[Section]:
        rows = [
            Section(
                _("First meeting time") if row == 1 else _("Another meeting time (optional)"),
                fields=[self[f"time{row}_{n}"] for n in ("days", "start", "end")],
                inline=True,
            )
            for row in range(1, MEETING_TIME_ROWS + 1)
        ]
        return [
            Section(
                _("When it meets"),
                hint=_("Several days at the same time? Tick them all in one row."),
                groups=rows,
                fields_after=[self["timezone"]],
            )
        ]

    def clean(self):
        data = super().clean()
        self.check_listing(data)
        self._times = []
        for row in range(1, MEETING_TIME_ROWS + 1):
            days = data.get(f"time{row}_days") or []
            start, end = data.get(f"time{row}_start"), data.get(f"time{row}_end")
            if not (days or start or end):
                continue
            messages = _row_messages(row)
            if not days:
                self.add_error(f"time{row}_days", messages["days"])
            if not start:
                self.add_error(f"time{row}_start", messages["start"])
            elif end and end <= start:
                self.add_error(f"time{row}_end", messages["end"])
            elif days:
                self._times.extend((day, start, end) for day in days)
        # A day ticked twice (or posted 900 times) is one meeting time.
        self._times = list(dict.fromkeys(self._times))
        if len(self._times) > MAX_NEW_SCHEDULES:
            self.add_error(
                None,
                _(
                    "A suggestion can list at most %(most)s meeting times; this one has "
                    "%(count)s. Give the main ones and tell us about the rest in "
                    "“%(message_field)s”."
                )
                % {
                    "most": MAX_NEW_SCHEDULES,
                    "count": len(self._times),
                    "message_field": MESSAGE_LABEL,
                },
            )
        data["timezone"] = data.get("timezone") or self.town_zone(data)
        if self._times and not data["timezone"]:
            self.add_error(
                "timezone",
                _(
                    "We couldn't work out the time zone from the town: choose the one these "
                    "times are in."
                ),
            )
        return data

    @staticmethod
    def town_zone(data: dict) -> str:
        """The time zone of the town or ZIP code given, from the gazetteer ('' if unknown)."""
        where = Location(
            city=data.get("city") or "",
            region=data.get("region") or "",
            postal_code=data.get("postal_code") or "",
            country=data.get("country") or "",
        )
        if not (where.city or where.postal_code):
            return ""
        origin = gazetteer_place(where)
        place = origin.place if origin is not None else None
        return place.timezone if place is not None and place.timezone else ""

    def proposal(self) -> dict:
        values = self.proposal_values()
        proposal = {k: v for k, v in values.items() if v not in ("", [], None)}
        ops = []
        for day, start, end in self._times:
            fields = {
                "kind": Schedule.Kind.WEEKLY,
                "weekday": day,
                "start_time": start.strftime("%H:%M"),
                "timezone": self.cleaned_data["timezone"],
            }
            if end:
                fields["end_time"] = end.strftime("%H:%M")
            ops.append({"op": "add", "fields": fields})
        if ops:
            proposal["schedules"] = ops
        return proposal


def _row_messages(row: int) -> dict[str, str]:
    """What is missing or wrong in a suggestion's meeting time row, as whole sentences."""
    if row == 1:
        return {
            "days": _("The first meeting time: tick the day or days it meets."),
            "start": _("The first meeting time: enter the time it starts."),
            "end": _("The first meeting time: the end must be after the start."),
        }
    number = {"number": row}
    return {
        "days": _("Meeting time %(number)s: tick the day or days it meets.") % number,
        "start": _("Meeting time %(number)s: enter the time it starts.") % number,
        "end": _("Meeting time %(number)s: the end must be after the start.") % number,
    }
