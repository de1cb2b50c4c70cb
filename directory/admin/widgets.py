"""Admin widgets adjusted for accessibility."""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteSelectMultiple


class ChoicesAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    """Django's multiple autocomplete without select2's "remove all items" cross.

    select2 draws that cross as a ``<span>`` inside the ``<ul>`` of chosen items, which is
    not a list item (axe rule ``list``: screen readers then miscount or skip the list). Each
    chosen item keeps its own remove button, so nothing is lost.
    """

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-allow-clear"] = "false"
        return attrs
