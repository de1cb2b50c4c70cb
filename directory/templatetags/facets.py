"""The filter panel's facets, built in Python: a results page has over a hundred values in a
dozen groups, and as template nodes and includes (or format_html, escaping through lazy
wrappers) they were the largest part of the page's rendering time."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _count(count: int, results: str) -> str:
    """What ticking the value gives. A ticked value shows none: its toggle count is what
    unticking gives, which read beside it looked like the results it already shows.
    ``results`` is the word for screen readers, translated and escaped."""
    return (
        f' <span class="count">({int(count):,}<span class="visually-hidden"> {results}</span>)'
        "</span>"
    )


@register.simple_tag
def facet_values(facet):
    name = escape(facet.name)
    results = escape(_("results"))  # once per facet: a page has over a hundred values
    items = []
    for i, value in enumerate(facet.values, start=1):
        checked = " checked" if value.selected else ""
        disabled = " disabled" if value.disabled else ""
        items.append(
            f'<li><input type="checkbox" name="{name}" value="{escape(value.value)}" '
            f'id="f-{name}-{i}"{checked}{disabled} data-toggle-url="{escape(value.url)}" '
            f'data-count="{int(value.count)}"><label for="f-{name}-{i}">{escape(str(value.label))}'
            f"{'' if value.selected else _count(value.count, results)}</label></li>"
        )
    # Every interpolated value above is escaped (html.escape, quotes included) or an int.
    return mark_safe('<ul class="facet-values">\n' + "\n".join(items) + "\n</ul>")  # noqa: S308


@register.simple_tag
def filter_panel(facets):
    """The search pages' filter panel: its heading, a fieldset per facet and the button that
    applies them (the button is for pages without JavaScript; find.js applies each tick)."""
    return mark_safe(  # noqa: S308 - escaped below and in facet_groups
        '<div class="facets" id="filters" aria-labelledby="filters-title">\n'
        f'<h2 id="filters-title" class="filters-title">{escape(_("Filter results"))}</h2>\n'
        f"{facet_groups(facets)}\n"
        f'<p class="apply-filters"><button type="submit">{escape(_("Apply filters"))}</button>'
        "</p>\n</div>"
    )


@register.simple_tag
def facet_groups(facets):
    """Each facet that has values as a fieldset: its legend and its checkboxes."""
    groups = [
        f'<fieldset class="facet" id="facet-{escape(facet.name)}">\n'
        f"  <legend>{escape(str(facet.legend))}</legend>\n"
        f"  {facet_values(facet)}\n"
        "</fieldset>"
        for facet in facets
        if facet.values
    ]
    # Every interpolated value is escaped (html.escape) or built by facet_values, which is.
    return mark_safe("\n".join(groups))  # noqa: S308
