"""Times in words on every page: ``{% load wording %}``.

The visitor's zone (``visitor_tz``) and clock (``visitor_clock``, from the context processor)
come from the template context, so one page shows one zone; without a clock in the context,
the active language's (the page's, during a request).
"""

from django import template

from directory.scheduling import wording, zone_names
from directory.scheduling.clock import Clock, active_clock

register = template.Library()


def _clock(context) -> Clock:
    return context.get("visitor_clock") or active_clock()


@register.simple_tag(takes_context=True)
def moment(context, value, zone: str = "") -> str:
    """ "Tuesday, Dec 8, 7:30 pm" on the visitor's clock."""
    if value is None:
        return ""
    return wording.moment(value, zone or context.get("visitor_tz") or "UTC", _clock(context))


@register.simple_tag(takes_context=True)
def clock_time(context, value, zone: str = "") -> str:
    """ "7:30 pm" (the time of day only) on the visitor's clock."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo(zone or context.get("visitor_tz") or "UTC"))
    return wording.time_of_day(local.time(), _clock(context))


@register.simple_tag(takes_context=True)
def local_note(context, value, listing_zone: str) -> str:
    """The listing's own time ("7:30 pm Central Time") when its clock differs, else ""."""
    if value is None or not listing_zone:
        return ""
    visitor_zone = context.get("visitor_tz") or "UTC"
    return wording.local_time_note(value, listing_zone, visitor_zone, _clock(context))


@register.filter
def zone_name(zone: str) -> str:
    """ "Central Time" ("hora central" on a Spanish page: the active language's clock)."""
    return zone_names.zone_name(zone or "UTC", active_clock())


@register.simple_tag(takes_context=True)
def own_times(context, schedules) -> list[str]:
    """A listing's meeting times on its own clock, summarised, each with its zone's common
    name ("Every day, 9–10 pm Central Time"): for a handout, where times are local to each
    meeting."""
    clock = _clock(context)
    by_zone: dict[str, list] = {}
    for schedule in schedules:
        by_zone.setdefault(schedule.timezone, []).append(schedule)
    return [
        zone_names.in_zone(line, zone or "UTC", clock)
        for zone, group in by_zone.items()
        for line in wording.summarise(group, clock)
    ]
