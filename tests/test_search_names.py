"""Keyword search by name similarity from the index's name trigrams (PostgreSQL only).

The index only chooses candidate names; PostgreSQL decides with its own operators. These
tests check the two things that must hold for the result to be PostgreSQL's: the trigrams
are pg_trgm's, and no name that matches is ever left out of the candidates (the result and
its rank equal the oracle's SQL run on the whole table, ``tests.oracle.keyword_sql``).
"""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import Listing
from directory.search.freshness import search_index
from directory.search.names import trigrams, word_similarity
from directory.search.query import keyword_mask
from tests import factories as f
from tests.oracle import keyword_sql

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm"),
]

ASCII_NAMES = st.text(
    alphabet=st.sampled_from(list("abcdeSERENITYgroup 0123456789-'&./_,()")), max_size=40
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=ASCII_NAMES)
def test_trigrams_are_pg_trgm_s(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm(%s)", [name])
        expected = set(cursor.fetchone()[0])
    assert trigrams(name) == expected


NAMES = [
    "Serenity Group",
    "SERENITY  group",
    "The Serenity Seekers",
    "Serene Mornings",
    "Sirenity Circle",  # a typo in the data
    "serenity",
    "Hope & Serenity (Tuesday)",
    "Al-Anon Family Group",
    "Alanon Family",
    "12-Step Serenity",
    "Group of Hope",
    "Recovery Dharma",
    "Ünïcode Serenity Café",
    "O'Brien's Hope",
    "Step",
    "A",
]
KEYWORDS = [
    "serenity",
    "Serenity Group",
    "serentiy",
    "seren",
    "al-anon family",
    "group",
    "hope",
    "12 step",
    "step",
    "'",
    "a",
    "café",  # not ASCII: the whole-table path
    "the",  # a stop word only
]


@pytest.mark.parametrize("with_rank", [True, False])
def test_name_candidates_never_lose_a_match(with_rank):
    for i, name in enumerate(NAMES):
        f.listing(name=name, description="A meeting." if i % 2 else "Serenity and hope.")
    index = search_index()
    assert index.names is not None
    for keyword in KEYWORDS:
        mask, ranks = keyword_mask(index, keyword, with_rank=with_rank)
        matches, rank = keyword_sql.keyword_filter_and_rank(keyword)
        expected = dict(Listing.objects.filter(matches).annotate(r=rank).values_list("pk", "r"))
        found = set(index.ids[mask].tolist())
        assert found == set(expected), keyword
        if with_rank:
            got = dict(zip(index.ids[mask].tolist(), ranks[mask].tolist(), strict=True))
            assert got == expected, keyword


WORDS = st.sampled_from(["recovery", "recovry", "group", "grop", "meeting", "step", "b", "ab"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keyword=st.one_of(WORDS, ASCII_NAMES.filter(lambda s: trigrams(s))),
    name=st.lists(st.one_of(WORDS, ASCII_NAMES), min_size=1, max_size=4).map(" ".join),
)
def test_word_similarity_is_pg_trgm_s(keyword, name):
    """The exact word similarity the index computes equals pg_trgm's, to the last bit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT word_similarity(%s, %s)", [keyword, name])
        expected = cursor.fetchone()[0]
    assert word_similarity(trigrams(keyword.lower()), name.lower()) == np.float32(expected)
