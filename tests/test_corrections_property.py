"""Property: approving a correction applies exactly the proposal, and the diff lists it all.

Random listings with 0-7 meeting times of every kind (weekly, monthly by position, every N
weeks), random corrections to the listing's fields and to its times (change, add, remove).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from directory.models import Listing, Schedule, Submission
from directory.submissions import proposals
from directory.submissions import review as submission_review
from directory.submissions import services as submissions
from directory.submissions.proposals import schedule_json
from tests import factories as f

ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "Europe/London"]
FIELD_CHOICES = {
    "name": st.text(alphabet="abcdefgh XYZ'", min_size=1, max_size=40).map(str.strip).filter(bool),
    "description": st.text(alphabet="abc .,\n", max_size=60).map(str.strip),
    "cost": st.sampled_from(["free", "donation", "fee"]),
    "contact_name": st.sampled_from(["", "Sam", "J.", "Ana"]),
    "website": st.sampled_from(["", "https://example.org/a", "https://example.org/b"]),
}
LISTING_KEYS = list(FIELD_CHOICES)


@st.composite
def schedule_values(draw) -> dict:
    """A valid schedule in JSON form (what a schedule operation carries)."""
    kind = draw(st.sampled_from(["weekly", "monthly", "interval"]))
    weekday = draw(st.integers(0, 6))
    start = draw(st.integers(0, 22 * 4)) * 15
    end = draw(st.one_of(st.none(), st.integers(start // 15 + 1, 23 * 4 + 3).map(lambda q: q * 15)))
    values = dict.fromkeys(proposals.SCHEDULE_OP_FIELDS)
    values.update(
        kind=kind,
        weekday=weekday,
        start_time=f"{start // 60:02d}:{start % 60:02d}",
        end_time=None if end is None else f"{end // 60:02d}:{end % 60:02d}",
        timezone=draw(st.sampled_from(ZONES)),
        notes=draw(st.sampled_from(["", "Side door", "Bring a mug"])),
    )
    if kind == "monthly":
        values["week_of_month"] = draw(st.sampled_from([1, 2, 3, 4, -1]))
    if kind == "interval":
        values["interval_weeks"] = draw(st.integers(2, 6))
        # 2026-01-04 is a Sunday: add whole weeks plus the weekday.
        anchor = dt.date(2026, 1, 4) + dt.timedelta(weeks=draw(st.integers(0, 60)), days=weekday)
        values["anchor_date"] = anchor.isoformat()
    if draw(st.booleans()):
        first = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 300)))
        values["valid_from"] = first.isoformat()
        if draw(st.booleans()):
            values["valid_to"] = (first + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat()
    return values


@st.composite
def scenarios(draw):
    existing = draw(st.lists(schedule_values(), max_size=7))
    fields = draw(
        st.dictionaries(st.sampled_from(LISTING_KEYS), st.none(), max_size=len(LISTING_KEYS))
    )
    fields = {key: draw(FIELD_CHOICES[key]) for key in fields}
    fates = [draw(st.sampled_from(["keep", "change", "remove"])) for _ in existing]
    targets = [draw(schedule_values()) if fate == "change" else None for fate in fates]
    added = draw(st.lists(schedule_values(), max_size=2))
    return existing, fields, fates, targets, added


class ApprovalAppliesExactlyTheProposal(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.curator = get_user_model().objects.create_user("prop-curator", is_staff=True)
        cls.support_type = f.support_type()

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenarios())
    def test_approval_applies_exactly_the_proposal(self, scenario):
        existing, fields, fates, targets, added = scenario
        listing = f.listing(
            name="Original name",
            description="Original description",
            cost="free",
            support_type=self.support_type,
            contact_name="Kim",
            website="https://example.org/original",
        )
        schedules = []
        for values in existing:
            schedule = Schedule(listing=listing)
            for name, value in proposals._parse_schedule_fields(values).items():
                setattr(schedule, name, value)
            schedule.full_clean()
            schedule.save()
            schedules.append(schedule)
        before_listing = {k: getattr(listing, k) for k in [*LISTING_KEYS, "support_type_id"]}
        before_listing["location_id"] = listing.location_id
        before = {s.pk: schedule_json(s) for s in schedules}

        ops = []
        expected = []
        for schedule, fate, target in zip(schedules, fates, targets, strict=True):
            if fate == "remove":
                ops.append({"op": "remove", "id": schedule.pk})
            elif fate == "change":
                change = {k: v for k, v in target.items() if before[schedule.pk][k] != v}
                if change:
                    ops.append({"op": "change", "id": schedule.pk, "fields": change})
                expected.append(target)
            else:
                expected.append(before[schedule.pk])
        for values in added:
            op = {"op": "add", "fields": {k: v for k, v in values.items() if v is not None}}
            if op in ops:  # the same meeting time proposed twice is added once (unique_ops)
                continue
            ops.append(op)
            expected.append({**values, "notes": values["notes"] or ""})
        proposed = dict(fields)
        if ops:
            proposed["schedules"] = ops
        submission = Submission.objects.create(
            kind="correction", listing=listing, proposed=proposed
        )

        rows = submission_review.diff(submission)
        changed_rows = [row for row in rows if row["changed"]]
        field_changes = {k for k, v in fields.items() if v != before_listing[k]}
        assert {row["key"] for row in changed_rows if row["key"] != "schedules"} == field_changes
        schedule_rows = [row for row in rows if row["key"] == "schedules" and row["changed"]]
        assert len(schedule_rows) == len(ops)
        for row in schedule_rows:
            assert row["current"] != row["proposed"]
        kept_rows = [row for row in rows if row["label"] == "Meeting time (kept)"]
        assert len(kept_rows) == fates.count("keep") + sum(
            1
            for schedule, fate in zip(schedules, fates, strict=True)
            if fate == "change" and not any(op.get("id") == schedule.pk for op in ops)
        )

        submissions.approve(submission, by=self.curator)

        listing = Listing.objects.get(pk=listing.pk)
        after_listing = {k: getattr(listing, k) for k in [*LISTING_KEYS, "support_type_id"]}
        after_listing["location_id"] = listing.location_id
        assert after_listing == {**before_listing, **fields}
        after = [schedule_json(s) for s in listing.schedules.all()]
        as_key = lambda d: tuple(sorted((k, str(v)) for k, v in d.items()))  # noqa: E731
        assert Counter(map(as_key, after)) == Counter(map(as_key, expected))
        # Kept schedules are the very same rows, untouched.
        for schedule, fate in zip(schedules, fates, strict=True):
            if fate == "keep":
                assert schedule_json(Schedule.objects.get(pk=schedule.pk)) == before[schedule.pk]
            if fate == "remove":
                assert not Schedule.objects.filter(pk=schedule.pk).exists()
