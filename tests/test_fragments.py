"""{% per_language %}: an include rendered once per language gives what the include gives,
in each language, on the pages that use it."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from directory.templatetags import fragments

pytestmark = pytest.mark.django_db

FRAGMENTS = ["includes/find_messages.html", "includes/meetings_feed_link.html"]


@pytest.mark.parametrize("name", FRAGMENTS)
def test_a_fragment_is_its_include_in_each_language(name):
    fragments._rendered.clear()
    for language in ("en", "es", "en"):
        with translation.override(language):
            expected = render_to_string(name)
            assert fragments.per_language(name) == expected
            assert fragments.per_language(name) == expected  # the kept copy
    spanish = fragments._rendered[(name, "es", "/")]
    assert spanish != fragments._rendered[(name, "en", "/")]


@pytest.mark.parametrize(
    ("url", "words"), [("/find/", "Show results"), ("/es/find/", "Ver resultados")]
)
def test_the_results_page_carries_the_fragments_in_its_language(client, url, words):
    html = client.get(url).content.decode()
    assert 'id="find-messages"' in html and words in html
    assert 'rel="alternate" type="application/json"' in html


def test_with_debug_a_fragment_is_rendered_every_time(settings):
    settings.DEBUG = True
    fragments._rendered.clear()
    fragments.per_language(FRAGMENTS[0])
    assert fragments._rendered == {}
