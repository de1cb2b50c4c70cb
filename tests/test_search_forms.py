"""/find/'s form shares its fields between instances (``forms.SharedFields``): reading any
query string with them gives what a form of its own, deep-copied fields gives, and leaves the
shared fields as they were."""

from __future__ import annotations

import copy
import pickle

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings

from directory.search.forms import ListingSearchForm, SharedFields
from tests.hostile import LISTING_PARAMS, query_strings

pytestmark = pytest.mark.django_db


class CopiedFieldsForm(ListingSearchForm):
    """The same form as Django makes it: each instance deep-copies its class's fields."""


CopiedFieldsForm.base_fields = dict(ListingSearchForm.base_fields)


def fields_state() -> bytes:
    return pickle.dumps(
        {name: (type(field), vars(field)) for name, field in ListingSearchForm.base_fields.items()}
    )


def test_instances_share_the_class_fields():
    assert isinstance(ListingSearchForm.base_fields, SharedFields)
    assert ListingSearchForm({}).fields is ListingSearchForm({"q": "hope"}).fields
    assert CopiedFieldsForm({}).fields is not CopiedFieldsForm({}).fields


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=query_strings(LISTING_PARAMS))
def test_shared_fields_read_every_query_string_as_copied_fields_do(reference, query):
    before = fields_state()
    data = QueryDict(query)
    shared, copied = ListingSearchForm(data), CopiedFieldsForm(data)
    assert shared.to_query() == copied.to_query()
    assert shared.errors == copied.errors
    assert fields_state() == before
    # A form made after it reads the next query string as if it were the first.
    assert ListingSearchForm(QueryDict("")).to_query() == CopiedFieldsForm(QueryDict("")).to_query()


def test_deep_copying_a_form_class_fields_gives_them_back():
    fields = ListingSearchForm.base_fields
    assert copy.deepcopy(fields) is fields
