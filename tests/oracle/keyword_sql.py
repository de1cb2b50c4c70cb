"""The oracle's keyword search: the whole match and rank in SQL, every listing read.

On PostgreSQL: ``document @@ websearch_to_tsquery('english', q) OR lower(name) % q OR
q <% lower(name)``, ranked as ``directory.search.keywords.rank`` documents (share of the
query's words in the document x 100, exact name x 10, share of the words in the name, the
name's trigram similarity where it matches by either similarity), with PostgreSQL's own
operators on every row. The query's words are the positive lexemes of PostgreSQL's parse.
On SQLite, which has neither: every listing read and tested in Python with the same
definitions (``analysis.analyse`` and ``websearch`` for the full text, pg_trgm's similarity
and word similarity for names), so the index's postings, bounds and masks are what is checked
there; the Python analysis itself is checked against PostgreSQL's in
tests/test_search_keywords.py.
"""

from __future__ import annotations

import functools

import numpy as np
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, Value, When

from directory.models import Listing
from directory.search import analysis, keywords, text, tsquery
from directory.search.names import (
    SIMILARITY_THRESHOLD,
    WORD_SIMILARITY_THRESHOLD,
    trigrams,
    word_similarity,
)


class _KeywordSQL(Func):
    """SQL over the listing's name and search_document columns, with user text as parameters
    (columns compiled by Django, so it works under any alias)."""

    def __init__(self, template: str, params: list, output_field):
        super().__init__(F("name"), F("search_document"), output_field=output_field)
        self.sql_template, self.sql_params = template, params

    def as_sql(self, compiler, connection, **extra_context):
        (name, name_params), (document, document_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = self.sql_template.format(name=name, document=document)
        return sql, [*name_params, *document_params, *self.sql_params]


def searchable():
    return Listing.objects.published().exclude(attendance=Listing.Attendance.INACTIVE)


def known_lexemes() -> set[str]:
    """Every lexeme a searchable listing has (PostgreSQL's ``ts_stat``)."""
    sql, params = searchable().values("search_document").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM ts_stat(%s)", [connection.ops.compose_sql(sql, params)])
        return {word for (word,) in cursor.fetchall()}


def query_tree(terms: str):
    """PostgreSQL's reading of the keyword, typing slips expanded, and the query's words."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery('english'::regconfig, %s)::text", [terms])
        (query_text,) = cursor.fetchone()
    return keywords.expand_typos(tsquery.parse_tsquery(query_text), known_lexemes())


def keyword_filter_and_rank(q: str):
    if connection.vendor != "postgresql":
        return _keyword_in_python(q)
    terms = text.clean_terms(q)
    lowered = terms.lower()
    similar = "(lower({name}) %% %s OR %s <%% lower({name}))"
    tree, words = query_tree(terms)
    full_text = "FALSE" if tree is None else "{document} @@ %s::tsquery"
    matches = _KeywordSQL(
        f"({full_text} OR {similar})",
        [*([tsquery.tsquery_text(tree)] if tree is not None else []), lowered, lowered],
        BooleanField(),
    )
    lexemes = [
        tsquery.tsquery_text(functools.reduce(tsquery.Or, map(tsquery.Lexeme, group)))
        for group in words
    ]
    share = float(max(len(lexemes), 1))
    document_hits = " + ".join(["({document} @@ %s::tsquery)::int"] * len(lexemes)) or "0"
    name_hits = (
        " + ".join(
            ["(to_tsvector('english'::regconfig, coalesce({name}, '')) @@ %s::tsquery)::int"]
            * len(lexemes)
        )
        or "0"
    )
    rank = _KeywordSQL(
        f"({keywords.ALL_WORDS_WEIGHT}::float8 * (({document_hits})::float8 / %s::float8)"
        f" + {keywords.EXACT_NAME_WEIGHT}::float8 * (lower({{name}}) = %s)::int::float8"
        f" + ({name_hits})::float8 / %s::float8"
        f" + CASE WHEN {similar}"
        "  THEN similarity(lower({name}), %s)::float8"
        "  ELSE 0::float8 END)",
        [*lexemes, share, lowered, *lexemes, share, lowered, lowered, lowered],
        FloatField(),
    )
    return Q(matches), rank


def _keyword_in_python(q: str):
    terms = text.clean_terms(q)
    lowered = terms.lower()
    rows = list(searchable().values_list("pk", "name", "description"))
    analysed_rows = [
        (pk, name, analysis.analyse(f"{name} {description}")) for pk, name, description in rows
    ]
    known = {lexeme for _, _, analysed in analysed_rows for lexeme, _ in analysed}
    tree, words = keywords.expand_typos(analysis.websearch(terms), known)
    share = float(max(len(words), 1))
    wanted = trigrams(lowered)
    ranks = {}
    for pk, name, analysed in analysed_rows:
        lowered_name = name.lower()
        have = trigrams(lowered_name)
        shared = len(wanted & have)
        similarity = (
            np.float32(shared) / np.float32(len(wanted) + len(have) - shared) if shared else 0.0
        )
        similar = similarity >= SIMILARITY_THRESHOLD or bool(
            wanted and word_similarity(wanted, lowered_name) >= WORD_SIMILARITY_THRESHOLD
        )
        if not (analysis.tree_matches(tree, analysed) or similar):
            continue
        in_document = {lexeme for lexeme, _ in analysed}
        in_name = set(analysis.lexemes(name))
        ranks[pk] = (
            keywords.ALL_WORDS_WEIGHT * (sum(bool(in_document & set(g)) for g in words) / share)
            + keywords.EXACT_NAME_WEIGHT * (lowered_name == lowered)
            + sum(bool(in_name & set(g)) for g in words) / share
            + (float(similarity) if similar else 0.0)
        )
    rank = Case(
        *(When(pk=pk, then=Value(value)) for pk, value in ranks.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return Q(pk__in=list(ranks)), rank
