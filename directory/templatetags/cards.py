"""The results page's listing cards, built in Python.

Twenty cards through ``{% include %}`` were the largest part of a results page's rendering
(each card resolves some thirty variables and filters through the template engine). The
HTML is what the template wrote: numbers and URLs go through the same filters (``floatformat``,
``urlencode``), times are written by ``directory.scheduling.wording`` on the visitor's clock,
and every interpolated text is escaped (the translated words too).

Why not ``format_html``: written with it (2026-12-07, issue 25) the cards came out byte for
byte the same on 6,000 generated cards with hostile text in every field, in both languages,
but took 3.4 ms for a page of 20 instead of 1.3 ms (Django's ``escape`` and ``format_html``
cost 3-6 µs a call against 0.4 µs for ``html.escape`` in an f-string): a tenth of a search's
time, the throughput issue 21 is about. So the f-strings stay, and
``tests/test_result_cards.py`` holds them to the rule: hostile text in every field of a card
comes out as text, never as an element or an attribute.
"""

from __future__ import annotations

import datetime as dt
import functools
from html import escape
from urllib.parse import quote

from django import template
from django.template.defaultfilters import floatformat, urlencode
from django.urls import reverse
from django.utils import translation
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from directory.models import Listing
from directory.scheduling import wording
from directory.scheduling.clock import US_CLOCK, Clock, active_clock

register = template.Library()

_SLUG_MARK = "slug-mark"
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"


def _listing_url_pattern() -> str:
    # Reversed once per page with a marker slug, which each card's slug replaces, quoted as
    # reverse() quotes it.
    return reverse("directory:listing-detail", args=[_SLUG_MARK])


@functools.lru_cache(maxsize=8)
def _card_words(language: str) -> dict[str, str]:
    """A card's own words in ``language``, looked up once per language rather than a dozen
    times per card (each gettext call reads the active language: ~10 µs; 20 cards a page).
    Catalogs do not change while a process runs. Fetched outside f-strings: makemessages
    cannot read inside them."""
    with translation.override(language):
        words = {
            "demo": escape(_("Demo")),
            "miles": _("%(distance)s miles away"),
            "now": escape(_("Happening now, since")),
            "next": escape(pgettext("next meeting", "Next:")),
            "appointment": escape(_("By appointment")),
            "features": escape(_("Features")),
            "unverified": escape(_("Not checked by our team yet")),
            "verified": _("Last verified: %(date)s"),
        }
        for value, label in Listing.Attendance.choices:
            words[f"attendance:{value}"] = escape(str(label))
        return words


def render_card(
    card, visitor_tz: str, url_pattern: str | None = None, clock: Clock = US_CLOCK
) -> str:
    """One card's HTML (``card`` is a ``directory.search.cards.Card``)."""
    page_language = (translation.get_language() or "en")[:2]
    words = _card_words(page_language)
    url_pattern = url_pattern or _listing_url_pattern()
    pk = int(card.pk)
    href = escape(url_pattern.replace(_SLUG_MARK, quote(card.slug, safe=_URL_SAFE)))
    if visitor_tz:
        href += "?tz=" + escape(urlencode(visitor_tz))
    demo = ""
    if card.is_demo:
        demo = f'<span class="demo-badge">{words["demo"]}</span>'
    place = ""
    if card.has_location and card.attendance != "online":
        region = f", {escape(card.region)}" if card.region else ""
        place = f" · <span>{escape(card.city)}{region}</span>"
    distance = ""
    if card.distance is not None and card.distance != "":
        miles = words["miles"] % {"distance": floatformat(card.distance, 1)}
        distance = f' · <span class="distance">{escape(miles)}</span>'
    # The listing's own words in another language than the page's say which (screen readers).
    text_lang = (
        f' lang="{escape(card.text_language)}"' if card.text_language != page_language else ""
    )
    parts = [
        f'\n<article class="result-card" aria-labelledby="r-{pk}">\n'
        f'  <h3 id="r-{pk}"><a href="{href}"{text_lang}>{escape(card.name)}</a>\n'
        f"    {demo}</h3>\n"
        '  <p class="meta">\n'
        f"    <span>{escape(card.support_type_name)}</span> ·\n"
        f'    <span class="attendance attendance-{escape(card.attendance)}">'
        f"{words.get(f'attendance:{card.attendance}') or escape(card.attendance_label)}</span>\n"
        f"    {place}\n"
        f"    {distance}\n"
        "  </p>\n  "
    ]
    start = card.next_start
    if start:
        lead = words["now"] if card.happening_now else words["next"]
        own_zone = wording.local_time_note(start, start.tzinfo.key, visitor_tz, clock)
        if own_zone:
            own_zone = f'<span class="muted">({escape(own_zone)})</span>'
        seen_text = wording.moment(start, visitor_tz, clock)
        parts.append(
            f'\n    <p class="next"><strong>{lead}</strong> '
            f'<time datetime="{start.astimezone(dt.UTC).isoformat()}">'  # |utc|date:'c'
            f"{escape(seen_text)}</time>\n"
            f"    {own_zone}</p>\n  "
        )
    elif card.by_appointment:
        parts.append(f'\n    <p class="next"><strong>{words["appointment"]}</strong></p>\n  ')
    parts.append("\n  ")
    if card.features:
        items = "".join(f"<li>{escape(name)}</li>" for name in card.features)
        label = words["features"]
        parts.append(f'\n    <ul class="tags" aria-label="{label}">\n      {items}\n    </ul>\n  ')
    verified = words["unverified"]
    if card.last_verified_at:
        verified = escape(
            words["verified"]
            % {"date": wording.day(template_localtime(card.last_verified_at), clock)}
        )
    parts.append(f'\n  <p class="verified muted">{verified}</p>\n</article>\n')
    return "".join(parts)


@register.simple_tag(takes_context=True)
def result_cards(context, cards, visitor_tz):
    """The ``<li>`` of every card, in order, on the visitor's clock."""
    pattern = _listing_url_pattern()
    clock = context.get("visitor_clock") or active_clock()
    html = "".join(f"<li>{render_card(card, visitor_tz, pattern, clock)}</li>" for card in cards)
    # Every interpolated value above is escaped (html.escape, quotes included) or an int.
    return mark_safe(html)  # noqa: S308
