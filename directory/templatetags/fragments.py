"""Fragments that read nothing but the page's language: rendered once per language.

``{% per_language "includes/find_messages.html" %}`` is ``{% include %}`` of a template whose
output depends only on the active language and the site's address prefix (translated words,
reversed URLs, no context variable): its HTML is kept per process, so a results page does not
render its eight translated messages again for every search. Off with DEBUG, so an edited
template shows at once in development.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import mark_safe

register = template.Library()

_rendered: dict[tuple[str, str, str], str] = {}


@register.simple_tag
def per_language(template_name: str) -> str:
    key = (template_name, translation.get_language() or "", get_script_prefix())
    html = _rendered.get(key)
    if html is None:
        html = render_to_string(template_name)  # no context: it may read nothing else
        if not settings.DEBUG:
            _rendered[key] = html
    return mark_safe(html)  # noqa: S308 - the template's own output, escaped by it
