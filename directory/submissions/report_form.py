"""The public "report a problem" form: a correction of a listing's details and meeting times,
or a "no longer meets" report. The listing's fields are the suggestion form's
(``directory.submissions.forms.ListingFieldsForm``); each meeting time is a form of a formset."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Listing, Schedule, Submission
from directory.scheduling import wording, zone_names
from directory.scheduling.clock import US_CLOCK, Clock
from directory.submissions.forms import CLOSURE_CHOICE, TIME_INPUT, ListingFieldsForm, Section
from directory.submissions.proposals import (
    current_values,
    schedule_words,
)


def _hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def _day_field(*, initial=None, empty_label=None) -> forms.TypedChoiceField:
    choices = list(Schedule.Weekday.choices)
    if empty_label:
        choices.insert(0, ("", empty_label))
    return forms.TypedChoiceField(
        label=gettext_lazy("Day"),
        choices=choices,
        coerce=int,
        empty_value=None,
        required=False,
        initial=initial,
    )


def _time_field(label, initial=None) -> forms.TimeField:
    return forms.TimeField(label=label, required=False, initial=initial, widget=TIME_INPUT)


class MeetingTimeForm(forms.Form):
    """One of a listing's meeting times as a visitor corrects it: prefilled; an unchanged
    time proposes nothing (``ReportForm.schedule_changes``)."""

    weekday = _day_field()
    start_time = _time_field(gettext_lazy("Start time"))
    end_time = _time_field(gettext_lazy("End time"))
    remove = forms.BooleanField(label=gettext_lazy("This time no longer happens"), required=False)


# The listing's meeting times, one form each, in the listing's order (``times-0-...``); a
# number of forms other than the listing's (a tampered count) is read only as far as both go.
MeetingTimeFormSet = forms.formset_factory(MeetingTimeForm, extra=0)
TIMES_PREFIX = "times"


class ReportForm(ListingFieldsForm):
    """A correction (only the changed fields are proposed) or a "no longer meets" report.

    Each of the listing's meeting times has its own form in ``times`` (a formset: day, start,
    end, prefilled, and a "no longer happens" box), so a visitor says which time is wrong; an
    unchanged time needs nothing. A new time can be added below them. A page without the
    formset (one served before it existed) proposes no change to the times.
    """

    kind = forms.ChoiceField(
        label=gettext_lazy("What is wrong?"),
        choices=[
            (
                Submission.Kind.CORRECTION,
                gettext_lazy("Some details are wrong: I have corrected them below"),
            ),
            (Submission.Kind.CLOSURE, CLOSURE_CHOICE),
        ],
        widget=forms.RadioSelect,
        initial=Submission.Kind.CORRECTION,
    )

    def __init__(self, *args, listing: Listing, clock: Clock = US_CLOCK, **kwargs):
        self.listing = listing
        self.clock = clock  # how the visitor reads times (12- or 24-hour)
        self.current = current_values(listing)
        self.schedules = list(listing.schedules.all())
        self._schedule_ops: list[dict] = []
        initial = {k: v for k, v in self.current.items() if k != "support_type"}
        initial["support_type"] = listing.support_type
        initial["features"] = list(listing.features.all())
        super().__init__(*args, initial=initial, **kwargs)
        for name in ["name", "support_type", "cost", "attendance", "country"]:
            self.fields[name].required = False
        initial_times = [
            {"weekday": s.weekday, "start_time": s.start_time, "end_time": s.end_time}
            for s in self.schedules
        ]
        sent = self.data if self.is_bound else None
        if sent is not None and f"{TIMES_PREFIX}-TOTAL_FORMS" not in sent:
            sent = None  # no formset on the page that was sent: the times stay as they are
        self.times = MeetingTimeFormSet(sent, prefix=TIMES_PREFIX, initial=initial_times)
        self.fields["add_weekday"] = _day_field(empty_label=_("Choose a day"))
        self.fields["add_start_time"] = _time_field(_("Start time"))
        self.fields["add_end_time"] = _time_field(_("End time"))

    def is_valid(self) -> bool:
        valid = super().is_valid()  # clean() reads the times
        return valid and (not self.times.is_bound or self.times.is_valid())

    @property
    def fields_with_errors(self) -> list:
        """The listing's fields, then each meeting time's, then the new time's."""
        fields = [field for field in self if field.errors and not field.name.startswith("add_")]
        if self.times.is_bound:
            for time_form in self.times.forms:
                fields += [field for field in time_form if field.errors]
        return fields + [field for field in self if field.errors and field.name.startswith("add_")]

    def schedule_legend(self, schedule: Schedule) -> str:
        """ "Every Wednesday, 12–1 pm, Central Time": as the listing page writes it."""
        if schedule.start_time is None:
            return schedule_words(schedule)
        words = wording.summarise([schedule], self.clock)[0]
        return f"{words}, {zone_names.zone_name(schedule.timezone)}"

    def when_sections(self) -> list[Section]:
        sections = []
        for number, (schedule, time_form) in enumerate(
            zip(self.schedules, self.times.forms, strict=False), start=1
        ):
            sections.append(
                Section(
                    _("Meeting time %(number)s: %(schedule)s")
                    % {"number": number, "schedule": self.schedule_legend(schedule)},
                    fields=list(time_form),
                    inline=True,
                )
            )
        sections.append(
            Section(
                _("Add a meeting time that is missing"),
                fields=[self["add_weekday"], self["add_start_time"], self["add_end_time"]],
                inline=True,
            )
        )
        return sections

    def clean(self):
        data = super().clean()
        if data.get("kind") == Submission.Kind.CLOSURE or self.errors:
            return data
        if self.times.is_bound and not self.times.is_valid():
            return data  # each time's own errors are shown next to it
        self._schedule_ops = self.schedule_changes()
        if self.errors or (self.times.is_bound and not self.times.is_valid()):
            return data
        if not self.changes():
            raise forms.ValidationError(
                _(
                    "Nothing was changed. Correct the details that are wrong, or choose "
                    "“%(closure)s”."
                )
                % {"closure": CLOSURE_CHOICE}
            )
        merged = {**self.current, **{k: data.get(k) for k in self.changes() if k != "schedules"}}
        self.check_listing(merged)
        return data

    def _zone(self) -> str:
        if self.schedules:
            return self.schedules[0].timezone
        if self.listing.location_id and self.listing.location.timezone != "UTC":
            return self.listing.location.timezone
        return settings.TIME_ZONE

    def schedule_changes(self) -> list[dict]:
        """Operations on the meeting times: change, remove or add (errors on their fields)."""
        data = self.cleaned_data
        ops = []
        times = self.times.forms if self.times.is_bound else []
        for number, (schedule, time_form) in enumerate(
            zip(self.schedules, times, strict=False), start=1
        ):
            sent = time_form.cleaned_data
            if sent.get("remove"):
                ops.append({"op": "remove", "id": schedule.pk})
                continue
            day = sent.get("weekday")
            start = sent.get("start_time") or schedule.start_time
            end = sent.get("end_time")
            if end and end <= start:
                time_form.add_error(
                    "end_time",
                    _("Meeting time %(number)s: the end must be after the start.")
                    % {"number": number},
                )
                continue
            fields = {}
            if day is not None and day != schedule.weekday:
                fields["weekday"] = day
            if start != schedule.start_time:
                fields["start_time"] = _hhmm(start)
            if end != schedule.end_time:
                fields["end_time"] = _hhmm(end)
            if fields:
                ops.append({"op": "change", "id": schedule.pk, "fields": fields})
        day, start, end = (data.get("add_" + n) for n in ("weekday", "start_time", "end_time"))
        if day is not None or start or end:
            if day is None:
                self.add_error("add_weekday", _("Choose the day of the new meeting time."))
            if not start:
                self.add_error("add_start_time", _("Give the start time of the new meeting time."))
            elif end and end <= start:
                self.add_error("add_end_time", _("The new meeting time must end after it starts."))
            if day is not None and start and not (end and end <= start):
                fields = {
                    "kind": Schedule.Kind.WEEKLY,
                    "weekday": day,
                    "start_time": _hhmm(start),
                    "timezone": self._zone(),
                }
                if end:
                    fields["end_time"] = _hhmm(end)
                ops.append({"op": "add", "fields": fields})
        return ops

    def changes(self) -> dict:
        """Proposed values that differ from the listing (blank required fields mean no change)."""
        proposed = self.proposal_values()
        changes = {}
        for key, value in proposed.items():
            if value == self.current.get(key, ""):
                continue
            if value in ("", None) and key in {"name", "support_type", "cost", "attendance"}:
                continue
            changes[key] = value
        if self._schedule_ops:
            changes["schedules"] = self._schedule_ops
        return changes

    def proposal(self) -> dict:
        if self.cleaned_data.get("kind") == Submission.Kind.CLOSURE:
            return {}
        return self.changes()
