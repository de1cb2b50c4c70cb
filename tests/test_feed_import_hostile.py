"""Hostile Meeting Guide feeds: whatever a row holds, parsing gives a listing the model accepts
or a reason; a feed too big or nested too deeply changes nothing and says why; control and
text-direction characters never reach a listing (issue 22)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.meeting_guide.addresses import Context
from directory.models import Listing, Location
from tests.feed_import_helpers import (
    row,
    source_fixture,  # noqa: F401 - the fixture "source"
    sync,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- any row


text_values = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=10), max_size=3),
    st.sampled_from(["&amp;", "<b>x</b>", "&#039;", "+1 555 0100,,123#", "https://x.example/j"]),
)
messy_rows = st.fixed_dictionaries(
    {
        "name": st.one_of(st.text(min_size=1, max_size=400), st.just("Meeting")),
        "slug": st.one_of(st.text(min_size=1, max_size=300), st.integers(0, 10**9)),
        "day": st.one_of(st.integers(0, 6), st.sampled_from(["Monday", "3", [1, 2]])),
        "time": st.sampled_from(["19:00", "7:30 PM", "7:30pm", "07:30:00"]),
    },
    optional=dict.fromkeys(
        [
            "end_time",
            "notes",
            "location",
            "location_notes",
            "address",
            "city",
            "state",
            "postal_code",
            "country",
            "formatted_address",
            "conference_url",
            "conference_url_notes",
            "conference_phone",
            "conference_phone_notes",
            "contact_1_name",
            "contact_1_email",
            "contact_1_phone",
            "website",
            "email",
            "phone",
            "group",
            "group_notes",
            "district",
            "region",
            "sub_region",
            "regions",
            "attendance_option",
            "approximate",
            "url",
            "feedback_url",
            "latitude",
            "longitude",
            "types",
        ],
        text_values,
    ),
)


@given(messy_rows)
@settings(max_examples=150, deadline=None)
def test_whatever_a_row_holds_parsing_gives_a_valid_listing_or_a_reason(data):
    """New listings are bulk-created without clean_fields: parse_row must hold every field
    to the model's rules itself."""
    from directory.meeting_guide.rows import parse_row
    from directory.meeting_guide.values import RowError

    context = Context(fallback_timezone="UTC")
    try:
        parsed = parse_row(data, context)
    except RowError:
        return
    listing = Listing(slug="x", support_type_id=1, **parsed.listing)
    listing.clean_fields(exclude=["support_type", "organization", "location", "slug"])
    if parsed.location is not None:
        Location(**parsed.location).clean_fields()
    if listing.attendance in {"online", "hybrid"}:
        assert listing.conference_url or listing.conference_phone
    assert len(parsed.feed_slug) <= 255


# ----------------------------------------------------------------------------- issue 22


def test_a_feed_too_big_or_too_deep_changes_nothing_and_says_why(source, settings, tmp_path):
    from directory.meeting_guide.reading import FeedReadError, parse_feed

    settings.DIRECTORY_FEED_MAX_ROWS = 10
    with pytest.raises(FeedReadError, match="11 rows, more than the 10"):
        parse_feed(json.dumps([row(f"m{i}") for i in range(11)]))
    with pytest.raises(FeedReadError, match="nested too deeply"):
        parse_feed("[" * 100_000 + "]" * 100_000)


def test_control_and_text_direction_characters_never_reach_a_listing(source):
    """Issue 22, 7: feeds' names carried them into the curator e-mail and calendars."""
    sync(
        source,
        [
            row(
                "odd",
                name="Hope\u202e group\x07\r\nTuesday",
                notes="Line one\x00\r\nLine\u2066 two",
            )
        ],
    )
    listing = Listing.objects.get()
    assert listing.name == "Hope group Tuesday"
    assert listing.description == "Line one\nLine two"
