"""``{{ support_type|localised:"name" }}``: a model's text in the page's language (its
``<field>_es`` copy on Spanish pages, the source English where there is none)."""

from django import template
from django.conf import settings
from django.utils import translation
from django.utils.html import format_html

register = template.Library()


@register.filter
def localised(instance, field: str) -> str:
    if instance is None or instance == "":
        return ""
    if hasattr(instance, "localised"):
        return instance.localised(field)
    return getattr(instance, field, "")


@register.filter
def in_its_language(listing, field: str = "name") -> str:
    """A listing's own text (as curators and feeds wrote it) with a ``lang`` attribute when its
    language (``Listing.text_language``) is not the page's, as cards and the listing page do:
    ``<span lang="es">Grupo Esperanza</span>`` on an English page, the plain (escaped) text
    otherwise. Safe inside ``{% blocktranslate with name=listing|in_its_language %}``."""
    text = getattr(listing, field, "") or ""
    language = listing.text_language()
    if language == (translation.get_language() or settings.LANGUAGE_CODE)[:2]:
        return text  # autoescaped by the template
    return format_html('<span lang="{}">{}</span>', language, text)
