"""Keyword search: ranked full text with typo tolerance on PostgreSQL, a plain fallback on SQLite.

The PostgreSQL expressions match the indexes created in migration 0002 exactly, so the planner
can use them: a GIN full-text index on name + description, and a trigram index on lower(name).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Case, FloatField, Q, Value, When
from django.db.models.expressions import RawSQL

MAX_TERMS = 8
FTS_DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce(\"directory_resource\".\"name\", '') || ' ' || "
    'coalesce("directory_resource"."description", \'\'))'
)


def clean_terms(text: str) -> str:
    return " ".join(text.split()[:MAX_TERMS])[:200]


def keyword_filter_and_rank(text: str):
    """(filter Q, rank expression) for a keyword search on listings."""
    terms = clean_terms(text)
    lowered = terms.lower()
    if connection.vendor == "postgresql":
        # User text is only ever passed as query parameters, never formatted into the SQL.
        matches = RawSQL(  # noqa: S611
            f"({FTS_DOCUMENT} @@ websearch_to_tsquery('english'::regconfig, %s)"
            ' OR lower("directory_resource"."name") %% %s'
            ' OR word_similarity(%s, lower("directory_resource"."name")) > 0.5)',
            [terms, lowered, lowered],
            output_field=BooleanField(),
        )
        rank = RawSQL(  # noqa: S611
            f'(CASE WHEN lower("directory_resource"."name") = %s THEN 10 ELSE 0 END'
            f" + ts_rank({FTS_DOCUMENT}, websearch_to_tsquery('english'::regconfig, %s))"
            ' + similarity(lower("directory_resource"."name"), %s)'
            ' + word_similarity(%s, lower("directory_resource"."name")))',
            [lowered, terms, lowered, lowered],
            output_field=FloatField(),
        )
        return Q(matches), rank
    q = Q()
    for word in terms.split():
        q &= Q(name__icontains=word) | Q(description__icontains=word)
    rank = Case(
        When(Q(name__iexact=terms), then=Value(10.0)),
        When(Q(name__icontains=terms), then=Value(5.0)),
        default=Value(1.0),
        output_field=FloatField(),
    )
    return q, rank
