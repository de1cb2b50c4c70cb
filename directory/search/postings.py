"""Postings lists (term -> items) as two arrays, built from scratch or from a previous build.

Both inverted indexes of the search index have this shape: the keyword lexemes (term: a
lexeme, item: a listing position; ``keywords``) and the name trigrams (term: a trigram, item:
a distinct name; ``names``). A term's items are ``items[offsets[t]:offsets[t + 1]]``, in no
particular order.

A rebuild after a staff edit changes a handful of listings out of 100,000, so the builder
keeps the previous build's (term, item) pairs for every item that did not change, moved to
its new number, and computes terms only for the rest (``PostingsBuilder.keep``): reading and
coding every listing's lexemes again was half of a build's time.
"""

from __future__ import annotations

import numpy as np


def entries(offsets: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (term, item) pair of a postings list, grouped by term (terms ascending)."""
    terms = np.repeat(np.arange(len(offsets) - 1, dtype=np.int32), np.diff(offsets))
    return terms, items


class PostingsBuilder:
    """(term, item) pairs gathered from a previous build and from new items, then grouped."""

    def __init__(self, vocabulary: dict[str, int]):
        # Shared by the columns of one index (the keywords' documents and names) and extended
        # in place: start it as a copy of the previous build's, whose kept pairs' codes stay
        # valid.
        self.vocabulary = vocabulary
        self._kept: tuple[np.ndarray, np.ndarray] | None = None
        self._terms: list[np.ndarray] = []
        self._items: list[np.ndarray] = []

    def keep(self, offsets: np.ndarray, items: np.ndarray, new_item: np.ndarray) -> None:
        """The previous build's pairs (its ``offsets``/``items``, whose vocabulary this one's
        started from) of every item still valid: ``new_item`` maps its item numbers to this
        build's (-1: dropped, its terms come again through ``add_chunk``)."""
        terms, old = entries(offsets, items)
        moved = new_item[old]
        kept = moved >= 0
        self._kept = (terms[kept], moved[kept].astype(np.int32))

    def add_chunk(self, items, word_lists) -> list[int]:
        """The terms of some items (``word_lists``: per item, its distinct terms); per item,
        how many."""
        setdefault = self.vocabulary.setdefault
        codes: list[int] = []
        counts: list[int] = []
        for words in word_lists:
            codes.extend([setdefault(word, len(self.vocabulary)) for word in words])
            counts.append(len(words))
        self._terms.append(np.array(codes, dtype=np.int32))
        self._items.append(np.repeat(np.asarray(items, dtype=np.int32), counts))
        return counts

    def grouped(self) -> tuple[np.ndarray, np.ndarray]:
        """(terms, items), grouped by term: the pairs added are sorted (stable: items added in
        ascending order stay so) and merged into the kept ones, which are grouped already."""
        added_terms = np.concatenate(self._terms) if self._terms else np.zeros(0, np.int32)
        added_items = np.concatenate(self._items) if self._items else np.zeros(0, np.int32)
        order = np.argsort(added_terms, kind="stable")
        added_terms, added_items = added_terms[order], added_items[order]
        if self._kept is None or not len(self._kept[0]):
            return added_terms, added_items
        kept_terms, kept_items = self._kept
        at = np.searchsorted(kept_terms, added_terms, side="right")
        return np.insert(kept_terms, at, added_terms), np.insert(kept_items, at, added_items)


def _offsets(terms: np.ndarray, size: int) -> np.ndarray:
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=size), out=offsets[1:])
    return offsets


def finish(vocabulary: dict[str, int], *columns: tuple[np.ndarray, np.ndarray]):
    """(vocabulary, per column (offsets, items)) from grouped (terms, items) columns sharing
    one vocabulary. Terms no pair uses any more are dropped (a word edited out of the last
    listing that had it must not stay "known") and the rest renumbered in their order, so the
    vocabulary's order stays its codes' order."""
    used = np.zeros(len(vocabulary), dtype=bool)
    for terms, _ in columns:
        used[terms] = True
    if not used.all():
        renumber = np.cumsum(used) - 1
        vocabulary = {word: int(renumber[code]) for word, code in vocabulary.items() if used[code]}
        columns = tuple((renumber[terms].astype(np.int32), items) for terms, items in columns)
    return vocabulary, [(_offsets(terms, len(vocabulary)), items) for terms, items in columns]
