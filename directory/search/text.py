"""Keyword search's database half.

On PostgreSQL a keyword is read by the database (``parse_keyword``: its ``websearch_to_tsquery``
and the names it matches by trigram similarity, in one statement) and matched in memory
against the search index's lexemes (``directory.search.keywords``); the database checks only
phrases (``full_text_matches``). On SQLite, which has neither full text nor trigrams, a keyword
is each of its words in the name or description (``keyword_filter_and_rank``, LIKE).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, FloatField, Q, Value, When

from directory.models import Resource
from directory.search.names import NameTrigrams

MAX_TERMS = 8


def clean_terms(text: str) -> str:
    return " ".join(text.split()[:MAX_TERMS])[:200].replace("\x00", "")


def keyword_filter_and_rank(text: str):
    """(filter Q, rank expression) for a keyword search on SQLite: every word in the name or
    the description, ranked exact name, then name containing the keyword, then the rest."""
    terms = clean_terms(text)
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


@dataclass
class KeywordMatches:
    """What a keyword matches on SQLite: listings by id, each with its rank (None without
    ranking)."""

    ids: list[tuple[int, float | None]]


def keyword_matches(text: str, *, with_rank: bool) -> KeywordMatches:
    """The searchable listings that match ``text`` on SQLite (LIKE on name and description)."""
    matches_q, rank = keyword_filter_and_rank(text)
    listings = (
        Resource.objects.published()
        .exclude(attendance=Resource.Attendance.INACTIVE)
        .filter(matches_q)
        .order_by()
    )
    if with_rank:
        return KeywordMatches(list(listings.annotate(rank=rank).values_list("pk", "rank")))
    return KeywordMatches([(pk, None) for pk in listings.values_list("pk", flat=True)])


# The name's part of the rank where it matches by either similarity (float4, as the oracle).
NAME_SIMILARITY_SQL = "similarity({name}, %s)::float8"


@dataclass
class ParsedKeyword:
    """A keyword as PostgreSQL reads it: its tsquery (as text) and the names it matches by
    similarity, each with its similarity rank (None without ranking)."""

    tsquery: str
    names: list[tuple[int, float | None]] = field(default_factory=list)  # (name code, rank)
    ids: list[tuple[int, float | None]] = field(default_factory=list)  # non-ASCII: by id


def parse_keyword(text: str, *, with_rank: bool, names: NameTrigrams) -> ParsedKeyword:
    """One statement: ``websearch_to_tsquery('english', q)`` as text, and the names that
    match ``lower(name) % q OR q <% lower(name)``.

    For an ASCII keyword the search index's trigrams decide most names exactly
    (``NameTrigrams.similar``) and PostgreSQL's own operators test the few left, on just
    those strings; for any other keyword (PostgreSQL's letters and lower case may differ from
    Python's) the trigram index on the table finds the listings by id.
    """
    terms = clean_terms(text)
    lowered = terms.lower()
    table = Resource._meta.db_table
    params: list = [terms]
    sql = (
        "SELECT websearch_to_tsquery('english'::regconfig, %s)::text,"
        " NULL::int, NULL::text, NULL::float8"
    )
    ascii_keyword = lowered.isascii()
    if ascii_keyword:
        sure, candidates = names.similar(lowered)
        rank_sql = NAME_SIMILARITY_SQL.format(name="n") if with_rank else "NULL::float8"
        sql += (
            f" UNION ALL SELECT NULL, NULL, n, {rank_sql} FROM unnest(%s::text[]) AS n"  # noqa: S608 - no user text in it
            " WHERE n %% %s OR %s <%% n"
        )
        params += [*([lowered] if with_rank else []), list(candidates), lowered, lowered]
    else:
        rank_sql = NAME_SIMILARITY_SQL.format(name="lower(name)") if with_rank else "NULL::float8"
        # A UNION of two index scans: written as one OR, the planner reads every listing.
        sql += (
            f" UNION ALL SELECT NULL, id, NULL, {rank_sql} FROM {table} WHERE id = ANY(ARRAY("  # noqa: S608 - our table; user text is a parameter
            f"SELECT id FROM {table} WHERE lower(name) %% %s"
            f" UNION SELECT id FROM {table} WHERE %s <%% lower(name)))"
        )
        params += [*([lowered] if with_rank else []), lowered, lowered]
    parsed = ParsedKeyword("")
    if ascii_keyword:
        parsed.names = [(code, value if with_rank else None) for code, value in sure.items()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for tsquery, pk, name, rank in cursor.fetchall():
            if tsquery is not None:
                parsed.tsquery = tsquery
            elif pk is not None:
                parsed.ids.append((pk, rank))
            elif name is not None:
                parsed.names.append((candidates[name], rank))
    return parsed


def full_text_matches(ids: list[int], text: str) -> list[int]:
    """Which of these listings' documents match ``text`` (``document @@ query``): the check
    of a phrase, whose word positions the search index does not keep."""
    table = Resource._meta.db_table
    sql = (
        f"SELECT id FROM {table} WHERE id = ANY(%s)"  # noqa: S608 - our table
        " AND search_document @@ websearch_to_tsquery('english'::regconfig, %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, clean_terms(text)])
        return [pk for (pk,) in cursor.fetchall()]
