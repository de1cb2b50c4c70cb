"""RFC 5545 calendars of listings: one VEVENT with an RRULE per schedule.

- Weekly: ``FREQ=WEEKLY;BYDAY=TU``.
- Monthly by position: ``FREQ=MONTHLY;BYDAY=1SA`` (first Saturday) or ``-1FR`` (last Friday).
- Every N weeks: ``FREQ=WEEKLY;INTERVAL=N;BYDAY=..`` with DTSTART on the anchor date, so the
  calendar counts the weeks from the same date as :mod:`directory.schedules`.

Times carry the schedule's TZID and the calendar includes a VTIMEZONE for each zone, so
"19:00 every Tuesday" stays 19:00 across daylight-saving changes. ``valid_to`` becomes UNTIL
(in UTC, as RFC 5545 requires with a zoned DTSTART). DTSTART is the first meeting on or after
``valid_from`` (else the listing's creation date), so a calendar file is the same every time it
is downloaded and subscribers do not see events move.

Text comes from people (names, addresses, notes) and may hold what a calendar line cannot: a
stored name with a line break made icalendar refuse the whole file (the NAME and X-WR-CALNAME
properties are not escaped). One-line properties get ``one_line`` and the description
``plain_text`` (directory/validators.py): no control or text-direction characters reach a
calendar, and no stored value can make it fail.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
from django.utils.translation import gettext as _

from directory.meeting_guide.export import UrlBuilder
from directory.models import Listing, Schedule
from directory.scheduling import describe, duration, first_meeting_day
from directory.validators import one_line, plain_text

PRODID = "-//Peer Support Directory//Meetings//EN"
BYDAY = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
UID_NAMESPACE = uuid.UUID("7a0e5a52-4a8e-4b43-9d0e-3c1f8f3a8b61")


def rrule_for(schedule: Schedule) -> dict:
    """The RRULE of a schedule as icalendar's dict form (without UNTIL)."""
    day = BYDAY[schedule.weekday]
    if schedule.kind == Schedule.Kind.MONTHLY:
        return {"FREQ": "MONTHLY", "BYDAY": f"{schedule.week_of_month}{day}"}
    if schedule.kind == Schedule.Kind.INTERVAL:
        return {"FREQ": "WEEKLY", "INTERVAL": schedule.interval_weeks, "BYDAY": day}
    return {"FREQ": "WEEKLY", "BYDAY": day}


def schedule_uid(schedule: Schedule) -> str:
    return f"{uuid.uuid5(UID_NAMESPACE, f'schedule:{schedule.pk}')}@peer-support-directory"


def _description(listing: Listing, schedule: Schedule, page_url: str) -> str:
    lines = [describe(schedule) + f" ({schedule.timezone})"]
    if schedule.notes:
        lines.append(schedule.notes)
    if listing.is_online and listing.conference_url:
        lines.append(_("Join online: %(link)s") % {"link": listing.conference_url})
        if listing.conference_url_notes:
            lines.append(listing.conference_url_notes)
    if listing.is_online and listing.conference_phone:
        lines.append(_("Join by phone: %(phone)s") % {"phone": listing.conference_phone})
        if listing.conference_phone_notes:
            lines.append(listing.conference_phone_notes)
    if listing.description:
        lines.append("")
        lines.append(listing.description)
    if page_url:
        lines.append("")
        lines.append(_("Details: %(link)s") % {"link": page_url})
    return plain_text("\n".join(lines))


def _location_text(listing: Listing) -> str:
    location = listing.location
    if location is not None and listing.attendance != Listing.Attendance.ONLINE:
        parts = [location.name, location.formatted_address]
        return one_line(", ".join(part for part in parts if part))
    if listing.is_online:
        return one_line(listing.conference_url or listing.conference_phone)
    return ""


def event_for(
    listing: Listing, schedule: Schedule, *, urls: UrlBuilder | None = None
) -> icalendar.Event | None:
    """One recurring VEVENT, or None when the schedule has no meeting left."""
    tz = ZoneInfo(schedule.timezone)
    created = listing.created_at.astimezone(tz).date() if listing.created_at else dt.date.today()
    day = first_meeting_day(schedule, created)
    if day is None:
        return None
    start = dt.datetime.combine(day, schedule.start_time, tzinfo=tz)
    rule = rrule_for(schedule)
    if schedule.valid_to:
        last = dt.datetime.combine(schedule.valid_to, schedule.start_time, tzinfo=tz)
        rule["UNTIL"] = last.astimezone(dt.UTC)
    page_url = urls.detail_url(listing.slug) if urls is not None else ""

    event = icalendar.Event()
    event.add("uid", schedule_uid(schedule))
    event.add("dtstamp", (listing.updated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))
    event.add("summary", one_line(listing.name))
    event.add("dtstart", start)
    event.add("dtend", start + duration(schedule))
    event.add("rrule", rule)
    event.add("description", _description(listing, schedule, page_url))
    location = _location_text(listing)
    if location:
        event.add("location", location)
    if listing.is_online and listing.conference_url:
        event.add("url", one_line(listing.conference_url))
    elif page_url:
        event.add("url", page_url)
    if listing.location is not None and listing.location.has_coordinates and listing.is_in_person:
        event.add("geo", (listing.location.latitude, listing.location.longitude))
    if listing.attendance == Listing.Attendance.INACTIVE:
        event.add("status", "TENTATIVE")
    return event


def build_calendar(listings: Iterable[Listing], *, name: str, base_url: str = "") -> bytes:
    """A VCALENDAR with one recurring event per schedule of each listing.

    ``listings`` should have ``schedules`` (and ``location``) loaded already, e.g. with
    ``Listing.objects.with_card_data()``; ``base_url`` (``https://host``) adds a link to each
    listing's page.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = one_line(name)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    urls = UrlBuilder(base_url) if base_url else None
    for listing in listings:
        for schedule in listing.schedules.all():
            event = event_for(listing, schedule, urls=urls)
            if event is not None:
                calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
