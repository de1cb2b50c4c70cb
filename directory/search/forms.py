"""The public search pages' parameters as forms: they declare and validate every GET
parameter of /find/ and /peer-workers/.

Plain forms, not FilterSets: nothing here filters a queryset. ``to_query()`` hands the search
(``directory.search``) a plain query, and the searching itself lives there. Unknown facet
values are dropped rather than failing the whole form, so an old or hand-edited link still
works.
"""

from __future__ import annotations

import functools

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.peer_workers import search as workers
from directory.search import geo, vocabulary
from directory.search.freshness import held_index, search_index
from directory.search.query import ListingQuery
from directory.validators import known_time_zones

MAX_VALUES = 20


def page_number(raw) -> int:
    """A page number from the query string; anything but plain ASCII digits is page 1."""
    raw = str(raw)
    return max(1, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """Keeps the valid values of a multi-valued parameter and ignores the rest."""

    def __deepcopy__(self, memo):
        # Every form instance deep-copies its fields; the choices are never changed per form,
        # so the copies share them (ChoiceField would deep-copy the whole list each time).
        return forms.Field.__deepcopy__(self, memo)

    def to_python(self, value):
        values = super().to_python(value)
        return values[:MAX_VALUES]

    def validate(self, value):
        pass  # unknown values are dropped in clean()

    def clean(self, value):
        values = self.to_python(value)
        if not values:
            return []  # most searches leave most facets alone: no choices to read
        allowed = {str(key) for key, _ in self.choices}
        seen: list[str] = []
        for item in values:
            if item in allowed and item not in seen:
                seen.append(item)
        return seen


class FreeTextListField(forms.Field):
    """A repeated free-text parameter (e.g. region), each value bounded in length."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [v.strip()[:100] for v in value if v and v.strip()][:MAX_VALUES]


class PlaceField(forms.CharField):
    """A town or ZIP code: it must contain a letter or a digit (a place made only of commas or
    dots names nothing)."""

    def clean(self, value):
        value = super().clean(value)
        if value and not any(ch.isalnum() for ch in value):
            raise forms.ValidationError(_("Type a town, city or ZIP code."))
        return value


class CoordinateField(forms.DecimalField):
    """Latitude or longitude as plain ASCII decimals ("Use my location" writes them)."""

    def to_python(self, value):
        if value not in self.empty_values and not str(value).isascii():
            raise forms.ValidationError(_("Coordinates are written with the digits 0-9."))
        return super().to_python(value)


class TimeZoneField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if value and value not in known_time_zones():
            raise forms.ValidationError(_("Unknown time zone; showing times in the site's zone."))
        return value


def _type_choices() -> list[tuple[str, str]]:
    index = held_index()  # checked by to_query()
    language = translation.get_language()
    labels = [index.types.label_in(i, language) for i in range(len(index.types.values))]
    return list(zip(index.types.values, labels, strict=True))


def _feature_choices(category: str) -> list[tuple[str, str]]:
    index = held_index()
    language = translation.get_language()
    return [
        (slug, index.features.label_in(i, language))
        for i, (slug, in_category) in enumerate(
            zip(index.features.values, index.feature_category, strict=True)
        )
        if in_category == category
    ]


def place_field() -> PlaceField:
    """Where: a town, city or ZIP code (both search pages)."""
    return PlaceField(label=gettext_lazy("Town, city or ZIP code"), max_length=120, required=False)


def radius_field() -> forms.TypedChoiceField:
    """Within how many miles of the place (both search pages)."""
    return forms.TypedChoiceField(
        label=gettext_lazy("Within"),
        choices=[(r, f"{r} miles") for r in geo.RADIUS_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )


class _ListingSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("What are you looking for?"), max_length=200, required=False
    )
    near = place_field()
    lat = CoordinateField(min_value=-90, max_value=90, widget=forms.HiddenInput, required=False)
    lon = CoordinateField(min_value=-180, max_value=180, widget=forms.HiddenInput, required=False)
    radius = radius_field()
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"), choices=list(vocabulary.SORT_CHOICES.items()), required=False
    )
    tz = TimeZoneField(label=gettext_lazy("Time zone"), max_length=64, required=False)
    # The values on offer come from the search index (every support type and feature), read
    # when a form is validated, so validating a search costs no query.
    type = LenientMultipleChoiceField(
        label=gettext_lazy("Type of support"), choices=_type_choices, required=False
    )
    attendance = LenientMultipleChoiceField(
        choices=list(vocabulary.ATTENDANCE_CHOICES.items()), required=False
    )
    when = LenientMultipleChoiceField(choices=list(vocabulary.WHEN_CHOICES.items()), required=False)
    day = LenientMultipleChoiceField(choices=list(vocabulary.DAY_CHOICES.items()), required=False)
    time = LenientMultipleChoiceField(choices=list(vocabulary.TIME_CHOICES.items()), required=False)
    cost = LenientMultipleChoiceField(choices=list(vocabulary.COST_CHOICES.items()), required=False)
    org = FreeTextListField(required=False)
    region = FreeTextListField(required=False)

    def to_query(self) -> ListingQuery:
        """The validated parameters as a selector query (invalid ones are left out)."""
        search_index()  # brought up to date once; the choices read the index it leaves held
        self.is_valid()
        data = getattr(self, "cleaned_data", {})  # none for an unbound form
        selection = {
            name: [str(v) for v in data.get(name) or []]
            for name in [
                *vocabulary.FIELD_FACETS,
                *vocabulary.FEATURE_FACETS,
                *vocabulary.SCHEDULE_FACETS,
            ]
        }
        lat, lon = data.get("lat"), data.get("lon")
        return ListingQuery(
            selection=selection,
            q=(data.get("q") or "").strip(),
            near=(data.get("near") or "").strip(),
            latitude=float(lat) if lat is not None and lon is not None else None,
            longitude=float(lon) if lat is not None and lon is not None else None,
            radius=data.get("radius"),
            sort=data.get("sort") or "",
            tz=data.get("tz") or settings.TIME_ZONE,
            page=page_number(self.data.get("page", "1")),
        )


# One field per feature category (audience, language, ...), declared with the others: the
# form's metaclass collects them as if written out above.
ListingSearchForm = type(
    "ListingSearchForm",
    (_ListingSearchForm,),
    {
        category: LenientMultipleChoiceField(
            label=label, choices=functools.partial(_feature_choices, category), required=False
        )
        for category, label in vocabulary.FEATURE_FACETS.items()
    }
    | {"__module__": __name__, "__doc__": "The parameters of /find/ and its print and calendar."},
)


class SharedFields(dict):
    """A form class's fields that its instances share instead of deep-copying them (a quarter
    of a millisecond for /find/'s twenty fields, on every search). For a form that only reads
    a query string: never rendered, its fields never changed after the class is made."""

    def __deepcopy__(self, memo):
        return self


ListingSearchForm.base_fields = SharedFields(ListingSearchForm.base_fields)


class WorkerSearchForm(forms.Form):
    """The parameters of /peer-workers/; its facets' values are the workers' own."""

    q = forms.CharField(label=gettext_lazy("Name or keyword"), max_length=200, required=False)
    near = place_field()
    radius = radius_field()

    def __init__(self, data=None):
        super().__init__(data)
        self.facet_choices = workers.worker_facet_choices()
        for name in workers.FACETS:
            self.fields[name] = LenientMultipleChoiceField(
                label=workers.LEGENDS[name],
                choices=list(self.facet_choices[name].items()),
                required=False,
            )

    def to_query(self) -> workers.WorkerQuery:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})  # none for an unbound form
        return workers.WorkerQuery(
            selection={name: list(data.get(name) or []) for name in workers.FACETS},
            q=(data.get("q") or "").strip(),
            near=(data.get("near") or "").strip(),
            radius=data.get("radius"),
            page=page_number(self.data.get("page", "1")),
            choices=self.facet_choices,
        )
