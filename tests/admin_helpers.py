"""Posting admin change forms in tests: the data a browser would send for the page as shown."""

from __future__ import annotations


def _value(bound):
    value = bound.value()
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None:
        return None
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    return value


def change_form_data(response) -> dict:
    """Every field of the admin form and its inline formsets, as currently filled in."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = _value(form[name])
        if value is not None:
            data[form.add_prefix(name)] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for subform in formset.forms:
            for name in subform.fields:
                value = _value(subform[name])
                if value is not None:
                    data[subform.add_prefix(name)] = value
    return data
