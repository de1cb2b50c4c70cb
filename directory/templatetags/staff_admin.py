"""Template tags for the staff admin."""

from django import template

from directory.admin.dashboard import attention_counts as _attention_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def attention_counts(context):
    request = context.get("request")
    return _attention_counts(request) if request is not None else []


@register.filter
def changed_fields(diff, headers):
    """(column, diff HTML) for the fields an import row changes; see ClassedDiff."""
    return [(header, cell) for header, cell in zip(headers, diff or [], strict=False) if cell]
