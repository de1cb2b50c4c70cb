"""Template tags for the staff admin."""

from django import template

from directory.admin.dashboard import attention_counts as _attention_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def attention_counts(context):
    request = context.get("request")
    return _attention_counts(request) if request is not None else []
