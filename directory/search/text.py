"""Reading a keyword: what it means as full text, and which names it matches by similarity.

On PostgreSQL the database reads it (``parse_keyword``: its ``websearch_to_tsquery`` and the
names it matches by trigram similarity, in one statement) and checks phrases
(``full_text_matches``); on SQLite, which has neither full text nor trigrams, Python does the
same (``directory.search.analysis.websearch``, ``NameTrigrams.decide``), checked against
PostgreSQL in the tests. Matching and ranking then happen on the search index
(``directory.search.query.keyword_mask``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db import connection

from directory.models import Listing
from directory.search import analysis, tsquery
from directory.search.names import NameTrigrams

MAX_TERMS = 8


def clean_terms(text: str) -> str:
    return " ".join(text.split()[:MAX_TERMS])[:200].replace("\x00", "")


# The name's part of the rank where it matches by either similarity (float4, as the oracle).
NAME_SIMILARITY_SQL = "similarity({name}, %s)::float8"


@dataclass
class ParsedKeyword:
    """A keyword read: its tsquery (a tree of ``directory.search.keywords``), and the names it
    matches by similarity, each with its similarity rank (None without ranking)."""

    tree: object
    name_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    name_ranks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    ids: list[tuple[int, float | None]] = field(default_factory=list)  # non-ASCII: by id


class _ParsedKeywords:
    """Keywords already read, per set of names: what visitors type repeats (a few hundred
    words make most searches), and reading one costs a statement that, for a common word,
    checks thousands of names (3 ms; 17 ms for two common words).

    A keyword's reading depends only on its text, on whether it is ranked and on the names
    it is compared with (``NameTrigrams``, which a new search index replaces when a name
    changes), so it is exactly as fresh as the index. Bounded: emptied when full.
    """

    LIMIT = 2_000  # keywords; each a small tree and the codes of the names it matches

    def __init__(self):
        self.names: NameTrigrams | None = None
        self.parsed: dict[tuple[str, bool], ParsedKeyword] = {}

    def for_names(self, names: NameTrigrams) -> dict[tuple[str, bool], ParsedKeyword]:
        if self.names is not names or len(self.parsed) >= self.LIMIT:
            # A new dict: a thread reading the old one is fine.
            self.names, self.parsed = names, {}
        return self.parsed


_parsed_keywords = _ParsedKeywords()

# Keywords read by any process of the site, in the shared cache (Redis in production): a word
# one worker has read is not read again by the others, nor after a rebuild that kept every name.
# Only plain-ASCII keywords: what they read depends on nothing but their text and the names
# (an other keyword also names listings by id, which the names do not pin down).
SHARED_SECONDS = 600  # short: what visitors type cannot fill the cache (docs/search.md)
_shared_namespace = "keyword:1"  # forget_read_keywords() changes it in this process


def names_fingerprint(names: NameTrigrams) -> str:
    """A digest of the distinct names in their order (the codes a reading refers to)."""
    found = getattr(names, "fingerprint", None)
    if found is None:
        digest = hashlib.blake2b(digest_size=16)
        for name in names.names:
            digest.update(name.encode("utf-8", "surrogatepass") + b"\x00")
        found = names.fingerprint = digest.hexdigest()
    return found


def _shared_key(names: NameTrigrams, terms: str, with_rank: bool) -> str:
    text_digest = hashlib.blake2b(terms.encode("utf-8", "surrogatepass"), digest_size=16)
    # The database's own reading on PostgreSQL, Python's on SQLite: never mixed.
    return (
        f"{_shared_namespace}:{connection.vendor}:{names_fingerprint(names)}:{int(with_rank)}:"
        f"{text_digest.hexdigest()}"
    )


def forget_read_keywords() -> None:
    """This process reads every keyword again, as if no process had read it (the benchmark's
    cold requests)."""
    global _parsed_keywords, _shared_namespace
    _parsed_keywords = _ParsedKeywords()
    _shared_namespace = f"keyword:1:{secrets.token_hex(8)}"


def parse_keyword(text: str, *, with_rank: bool, names: NameTrigrams) -> ParsedKeyword:
    """The keyword read by the database, or on SQLite by Python; each text read once per set
    of names (``_ParsedKeywords``), and an ASCII one once for every process of the site (the
    shared cache). The result is shared: its arrays are read-only."""
    key = (clean_terms(text), with_rank)
    parsed = _parsed_keywords.for_names(names)
    found = parsed.get(key)
    if found is None:
        shared = key[0].isascii()
        if shared:
            shared_key = _shared_key(names, *key)
            found = cache.get(shared_key)
        if not isinstance(found, ParsedKeyword):
            found = _read_keyword(text, with_rank=with_rank, names=names)
            if shared:
                cache.set(shared_key, found, SHARED_SECONDS)
        for array in (found.name_codes, found.name_ranks):
            array.setflags(write=False)
        parsed[key] = found
    return found


def _read_keyword(text: str, *, with_rank: bool, names: NameTrigrams) -> ParsedKeyword:
    if connection.vendor != "postgresql":
        lowered = clean_terms(text).lower()
        codes, ranks, ask = names.similar(lowered)
        decided = names.decide(lowered, ask)
        return ParsedKeyword(
            analysis.websearch(clean_terms(text)),
            np.concatenate((codes, np.array(list(decided), dtype=np.intp))),
            np.concatenate((ranks, np.array(list(decided.values()), dtype=np.float64))),
        )
    return _parse_keyword_postgresql(text, with_rank=with_rank, names=names)


def _parse_keyword_postgresql(text: str, *, with_rank: bool, names: NameTrigrams):
    """One statement: ``websearch_to_tsquery('english', q)`` as text, and the names that
    match ``lower(name) % q OR q <% lower(name)``.

    For an ASCII keyword the search index's trigrams decide most names exactly
    (``NameTrigrams.similar``) and PostgreSQL's own operators test the few left, on just
    those strings; for any other keyword (PostgreSQL's letters and lower case may differ from
    Python's) the trigram index on the table finds the listings by id.
    """
    terms = clean_terms(text)
    lowered = terms.lower()
    table = Listing._meta.db_table
    params: list = [terms]
    sql = (
        "SELECT websearch_to_tsquery('english'::regconfig, %s)::text,"
        " NULL::int, NULL::text, NULL::float8"
    )
    ascii_keyword = lowered.isascii()
    if ascii_keyword:
        sure_codes, sure_ranks, candidates = names.similar(lowered)
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
    parsed = ParsedKeyword(None)
    asked: list[tuple[int, float]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for query_text, pk, name, rank in cursor.fetchall():
            if query_text is not None:
                parsed.tree = tsquery.parse_tsquery(query_text)
            elif pk is not None:
                parsed.ids.append((pk, rank))
            elif name is not None:
                asked.append((candidates[name], rank if with_rank else 0.0))
    if ascii_keyword:
        asked_codes = np.array([code for code, _ in asked], dtype=np.intp)
        asked_ranks = np.array([rank for _, rank in asked], dtype=np.float64)
        parsed.name_codes = np.concatenate((asked_codes, sure_codes))
        parsed.name_ranks = np.concatenate((asked_ranks, sure_ranks))
    return parsed


def full_text_matches(ids: list[int], tree) -> list[int]:
    """Which of these listings' documents match the query ``tree`` (``document @@ query``):
    the check of a phrase, whose word positions the search index does not keep."""
    if connection.vendor != "postgresql":
        rows = Listing.objects.filter(pk__in=ids).values_list("pk", "name", "description")
        return [
            pk
            for pk, name, description in rows.iterator(2000)
            if analysis.tree_matches(tree, analysis.analyse(f"{name} {description}"))
        ]
    table = Listing._meta.db_table
    sql = (
        f"SELECT id FROM {table} WHERE id = ANY(%s)"  # noqa: S608 - our table
        " AND search_document @@ %s::tsquery"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, tsquery.tsquery_text(tree)])
        return [pk for (pk,) in cursor.fetchall()]
