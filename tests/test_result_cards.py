"""The result cards are written in Python (``directory/templatetags/cards.py``) for speed: every
value a listing's editors, feeds or visitors control must reach the page as text, never as
markup, in both languages."""

from __future__ import annotations

import datetime as dt
import random
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from directory.scheduling.clock import page_clock
from directory.search.cards import Card
from directory.templatetags import cards

HOSTILE = [
    "<script>alert(1)</script>",
    'O\'Brien & "Co" <b>',
    '" onmouseover="x',
    "' autofocus onfocus='x",
    "{0} {name} %s %(date)s",
    "&amp; &lt;not markup&gt;",
    "</article><article>",
    "Serenidad – Grupo Ñandú",
]
ELEMENTS = {"article", "h3", "a", "span", "p", "strong", "time", "ul", "li"}
ATTRIBUTES = {"class", "aria-labelledby", "id", "href", "lang", "datetime", "aria-label"}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def _card(rng: random.Random, words: list[str]) -> Card:
    return Card(
        pk=rng.randint(1, 10**6),
        name=words[0],
        slug=rng.choice(["a-b", "ñ-x", "x'y", "100%", 'q"<']),
        is_demo=rng.random() < 0.5,
        attendance=rng.choice(["in_person", "online", "hybrid", "inactive"]),
        last_verified_at=rng.choice([None, dt.datetime(2026, 3, 4, 5, tzinfo=dt.UTC)]),
        support_type_name=words[1],
        has_location=True,
        city=words[2],
        region=words[3],
        distance=rng.choice([None, 0.0, 3.14159]),
        features=words[4:7],
        next_start=rng.choice(
            [None, dt.datetime(2026, 12, 8, 19, 30, tzinfo=ZoneInfo("America/Chicago"))]
        ),
        happening_now=rng.random() < 0.3,
        by_appointment=rng.random() < 0.3,
        text_language=rng.choice(["en", "es", 'fr" onclick="x']),
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_whatever_a_listing_holds_a_card_shows_it_as_text(language):
    rng = random.Random(language)
    pattern = "/resources/slug-mark/"
    with translation.override(language):
        for _ in range(300):
            words = [rng.choice(HOSTILE) for _ in range(7)]
            card = _card(rng, words)
            html = cards.render_card(card, "Europe/London", pattern, page_clock(language))
            reader = _Reader()
            reader.feed(html)
            reader.close()
            assert set(reader.elements) <= ELEMENTS, html
            assert reader.elements.count("article") == 1, html
            assert {name for name, _ in reader.attributes} <= ATTRIBUTES, html
            text = "".join(reader.text)
            place = [card.city] if card.attendance != "online" else []
            for shown in [card.name, card.support_type_name, *place, *card.features]:
                assert shown in text, (shown, html)
            href = dict(reader.attributes)["href"]
            assert href.startswith("/resources/") and "<" not in href and '"' not in href
