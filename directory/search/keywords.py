"""Full-text keyword matching in memory: PostgreSQL's own words, matched without a table scan.

A keyword search has two halves (``directory.search.text``): the full text (the stored
``search_document``, ``to_tsvector('english', name || ' ' || description)``, matched against
``websearch_to_tsquery('english', q)``) and two trigram similarities on the name. Through the
GIN index the full-text half costs as much as the number of listings a word matches, and
ranking every match with ``ts_rank`` costs more: a common word ("group", "meeting") took a
second at 100,000 listings where a rare one took 10 ms.

So the search index keeps the full text as an inverted index, built with the rest of the index
(one version, one freshness): each listing's lexemes exactly as PostgreSQL made them
(``tsvector_to_array`` of the stored document, and of the name alone), coded into a vocabulary
with, per lexeme, the sorted positions (in the index) of the listings that have it. A query is
parsed by PostgreSQL (``websearch_to_tsquery(...)::text``, so stemming, stop words and the
websearch syntax are the database's own) and evaluated here as boolean masks: the same
listings match as ``document @@ query``, whatever the word, at the cost of the postings of the
query's few lexemes. A phrase (``<->``, from quotes or hyphenated words) needs word positions,
which the index does not keep: the phrase is relaxed to "both words" to find candidates and
the database checks just those (``id = ANY(...) AND document @@ query``).

The rank (``rank``) is computed here for every match, with numpy, and only the page shown is
sorted (``listings.OrderedPositions``). It deliberately differs from ``ts_rank``: see
``rank``'s docstring.

SQLite has no ``search_document``: this module is only used on PostgreSQL; SQLite keeps its
plain LIKE search (``text.keyword_filter_and_rank``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from directory.search.analysis import stem
from directory.search.postings import PostingsBuilder, finish
from directory.search.tsquery import And, Lexeme, Not, Or, Phrase, has_phrase

# --- typing slips --------------------------------------------------------------------------

TYPO_MIN_LENGTH = 4  # shorter words have too many neighbours one slip away
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo_alternatives(lexeme: str, known) -> list[str]:
    """The lexemes listings have (``known``: a container) one typing slip from ``lexeme``.

    A slip is one letter dropped, added, changed, or two neighbours swapped; each variant is
    stemmed as its word would be ("grup" -> group, "meetng" -> meeting -> meet, "recovri" ->
    recoveri). Only for plain lowercase words of 4 letters or more.
    """
    if len(lexeme) < TYPO_MIN_LENGTH or not (lexeme.isascii() and lexeme.isalpha()):
        return []
    variants = set()
    for i in range(len(lexeme) + 1):
        head, tail = lexeme[:i], lexeme[i:]
        if tail:
            variants.add(head + tail[1:])
        if len(tail) > 1:
            variants.add(head + tail[1] + tail[0] + tail[2:])
        for letter in _ASCII_LETTERS:
            variants.add(head + letter + tail)
            if tail:
                variants.add(head + letter + tail[1:])
    variants.discard(lexeme)
    found = {stem(variant) for variant in variants} | variants
    return sorted(word for word in found if word != lexeme and word in known)


def expand_typos(tree, known) -> tuple[object, list[list[str]]]:
    """``tree`` with each positive lexeme no listing has replaced by the lexemes one typing
    slip away that listings do have (an OR of them), and the query's words for the rank: per
    positive lexeme, the lexemes that count as it."""
    groups: list[list[str]] = []
    seen: set[str] = set()

    def walk(node, negated: bool):
        if isinstance(node, Lexeme):
            if negated:
                return node
            alternatives = [node.word]
            if node.word not in known:
                alternatives = typo_alternatives(node.word, known) or alternatives
            if node.word not in seen:
                seen.add(node.word)
                groups.append(alternatives)
            return functools.reduce(Or, map(Lexeme, alternatives))
        if isinstance(node, Not):
            return Not(walk(node.operand, not negated))
        if isinstance(node, Phrase):
            return Phrase(walk(node.left, negated), walk(node.right, negated), node.distance)
        if isinstance(node, And | Or):
            return type(node)(walk(node.left, negated), walk(node.right, negated))
        return node

    return walk(tree, False), groups


# --- the inverted index --------------------------------------------------------------------


@dataclass
class KeywordIndex:
    """Lexeme -> listing positions, for the whole document and for the name alone."""

    vocabulary: dict[str, int]  # lexeme -> row of the offsets
    offsets: np.ndarray  # postings of lexeme r: ``postings[offsets[r]:offsets[r + 1]]``
    postings: np.ndarray  # listing positions (in no particular order within a lexeme)
    name_offsets: np.ndarray
    name_postings: np.ndarray

    ARRAYS = ("offsets", "postings", "name_offsets", "name_postings")

    @classmethod
    def builder(cls, previous: KeywordIndex | None = None) -> _Builder:
        return _Builder(previous)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.ARRAYS)

    def _listings(self, lexeme: str, offsets, postings) -> np.ndarray:
        row = self.vocabulary.get(lexeme)
        if row is None:
            return postings[:0]
        return postings[offsets[row] : offsets[row + 1]]

    def listings_with(self, lexeme: str) -> np.ndarray:
        return self._listings(lexeme, self.offsets, self.postings)

    def listings_named_with(self, lexeme: str) -> np.ndarray:
        return self._listings(lexeme, self.name_offsets, self.name_postings)

    def matches(self, tree, size: int) -> tuple[np.ndarray, bool]:
        """(mask, exact) of the listings whose document matches the tsquery ``tree``.

        Exact unless the query has a phrase: then the mask is a superset (each phrase as both
        its sides; a negated phrase as "no listing has it") for the database to check.
        """

        def mask_of(node, negated: bool) -> np.ndarray:
            if isinstance(node, Lexeme):
                mask = np.zeros(size, dtype=bool)
                mask[self.listings_with(node.word)] = True
                return mask
            if isinstance(node, Not):
                return ~mask_of(node.operand, not negated)
            if isinstance(node, Phrase):
                if negated:  # relaxed to "never": its negation then keeps every listing
                    return np.zeros(size, dtype=bool)
                return mask_of(node.left, negated) & mask_of(node.right, negated)
            if isinstance(node, And):
                return mask_of(node.left, negated) & mask_of(node.right, negated)
            return mask_of(node.left, negated) | mask_of(node.right, negated)

        if tree is None:  # only stop words: PostgreSQL matches nothing
            return np.zeros(size, dtype=bool), True
        return mask_of(tree, False), not has_phrase(tree)

    def __contains__(self, lexeme: str) -> bool:
        return lexeme in self.vocabulary

    def coverage(self, groups: list[list[str]], size: int, *, in_name: bool) -> np.ndarray:
        """Per listing, how many of the query's words (each a group of lexemes that count as
        it) its document (or name) has."""
        counts = np.zeros(size, dtype=np.int32)
        listings = self.listings_named_with if in_name else self.listings_with
        for group in groups:
            if len(group) == 1:
                counts[listings(group[0])] += 1  # a listing is once in a lexeme's postings
            else:
                has = np.zeros(size, dtype=bool)
                for lexeme in group:
                    has[listings(lexeme)] = True
                counts += has
        return counts


class _Builder:
    """Collects the listings' lexemes, then groups them into postings.

    A chunk of listings at a time becomes arrays at once (``add_chunk``): a whole table's
    lexemes as Python integers would cost a process ~70 MB it keeps at 100,000 listings. With
    a previous index, its lexemes of the listings that did not change are kept (``keep``).
    """

    def __init__(self, previous: KeywordIndex | None = None):
        vocabulary = dict(previous.vocabulary) if previous is not None else {}
        self._previous = previous
        self._documents = PostingsBuilder(vocabulary)
        self._names = PostingsBuilder(vocabulary)

    def keep(self, new_position: np.ndarray) -> None:
        """The previous index's lexemes of its listings still valid: ``new_position`` maps its
        positions to this index's (-1: the listing is gone or changed)."""
        previous = self._previous
        self._documents.keep(previous.offsets, previous.postings, new_position)
        self._names.keep(previous.name_offsets, previous.name_postings, new_position)

    def add_chunk(self, positions, documents, names) -> None:
        """Some listings' positions and their distinct lexemes (a tsvector's are distinct
        already), of their documents and of their names."""
        self._documents.add_chunk(positions, documents)
        self._names.add_chunk(positions, names)

    def build(self) -> KeywordIndex:
        vocabulary, [(offsets, postings), (name_offsets, name_postings)] = finish(
            self._documents.vocabulary, self._documents.grouped(), self._names.grouped()
        )
        return KeywordIndex(vocabulary, offsets, postings, name_offsets, name_postings)


# --- the rank ------------------------------------------------------------------------------

ALL_WORDS_WEIGHT = 100.0
EXACT_NAME_WEIGHT = 10.0


def rank(
    *,
    document_hits: np.ndarray,
    name_hits: np.ndarray,
    word_count: int,
    exact_name: np.ndarray,
    name_similarity: np.ndarray,
) -> np.ndarray:
    """A keyword's rank per listing (higher first; ties keep name order).

    ``100 x (share of the query's words in the listing) + 10 x (the name is the query) +
    (share of the query's words in the name) + (the name's trigram similarity to the query,
    where the name matches by either similarity)``.

    Where it differs from the ``ts_rank`` it replaces, and why: listings with every word of
    the query come first (``ts_rank`` could put a listing repeating one of two words above one
    with both), a word in the name counts more than one in the description (``ts_rank``
    weighed them alike), and how often a word is repeated does not count (a description
    repeating "meeting" is not a better meeting). It needs only which listings have which
    lexemes, so it costs the postings of the query's words, not a read of every match.
    Computed in float64 in this order, as the SQL oracle does.
    """
    share = np.float64(max(word_count, 1))
    return (
        ALL_WORDS_WEIGHT * (document_hits / share)
        + EXACT_NAME_WEIGHT * exact_name
        + name_hits / share
        + name_similarity
    )
