"""``{{ support_type|localised:"name" }}``: a model's text in the page's language (its
``<field>_es`` copy on Spanish pages, the source English where there is none)."""

from django import template

register = template.Library()


@register.filter
def localised(instance, field: str) -> str:
    if instance is None or instance == "":
        return ""
    if hasattr(instance, "localised"):
        return instance.localised(field)
    return getattr(instance, field, "")
