"""Listing names as trigrams in memory: which names a keyword matches by similarity.

A keyword matches a listing whose lowered name is similar to it (pg_trgm: ``name % q``,
similarity at least 0.3, or ``q <% name``, word similarity at least 0.6). Through the trigram
index both re-read every listing row that shares enough trigrams with the keyword (at 100,000
listings thousands of rows for a common word). The names are few (many listings share one),
so the search index keeps each distinct lowered name's trigrams as an inverted index (trigram
-> names); a keyword's trigrams then give, per name, how many it shares (``similar``).
Similarity follows exactly from that count; word similarity is bounded below by its exact
value on each single word of the name and above by the count, so only the few names in
between are left for PostgreSQL's own operators (on just those strings, no table read), or on
SQLite for the same formulas in Python (``decide``, ``word_similarity``).

Trigrams are made as pg_trgm makes them: each word (a run of letters and digits) lowered,
padded with two spaces in front and one behind, every three consecutive characters; a
string's trigrams are a set. Names with other characters than ASCII are always left for
PostgreSQL (its idea of a letter and of lower case may differ from Python's for them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from directory.search.postings import PostingsBuilder, finish

SIMILARITY_THRESHOLD = 0.3  # pg_trgm.similarity_threshold (the default, as the database uses)
WORD_SIMILARITY_THRESHOLD = 0.6  # pg_trgm.word_similarity_threshold
_WORD = re.compile(r"[^\W_]+")  # letters and digits (underscore is not a word character)
_SLACK = 1e-6  # the bounds below are compared with a little room, never less inclusive


def word_similarity(wanted: set[str], text: str) -> np.float32:
    """pg_trgm's ``word_similarity(q, text)`` for ASCII text, where ``wanted`` is q's trigram
    set: the greatest similarity between ``wanted`` and any stretch of ``text``'s trigrams in
    order (its words' trigrams one word after another), as a float4."""
    sequence = []
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        sequence.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    a = len(wanted)
    best = (0, 1)
    for start in range(len(sequence)):
        seen: set[str] = set()
        count = 0
        for trigram in sequence[start:]:
            if trigram not in seen:
                seen.add(trigram)
                count += trigram in wanted
            union = a + len(seen) - count
            if count * best[1] > best[0] * union:
                best = (count, union)
    return np.float32(best[0]) / np.float32(best[1])


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigram set of ``text`` (``show_trgm``), for ASCII text."""
    found = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


@dataclass
class NameTrigrams:
    """Distinct lowered names, each listing's name, and trigram -> names postings."""

    names: list[str]  # distinct lowered names (as the database lowers them)
    listing_name: np.ndarray  # per listing position: index into ``names``
    name_trigram_count: np.ndarray  # per name: size of its trigram set
    name_always: np.ndarray  # per name: not plain ASCII, so always a candidate
    vocabulary: dict[str, int]  # trigram -> row of ``offsets``
    offsets: np.ndarray  # postings of trigram t: ``postings[offsets[t]:offsets[t + 1]]``
    postings: np.ndarray  # name indexes
    # The names' distinct words, for a lower bound of word similarity (``similar``): each
    # name's words (``name_words[name_word_starts[n]:...]``, -1 for a name without words) and
    # trigram -> words postings. Computed from ``names`` unless given (a saved index has them).
    words: list[str] | None = None
    name_word_starts: np.ndarray | None = None
    name_words: np.ndarray | None = None
    word_trigrams: dict[str, int] | None = None
    word_offsets: np.ndarray | None = None
    word_postings: np.ndarray | None = None

    ARRAYS = ("listing_name", "name_trigram_count", "name_always", "offsets", "postings")
    ARRAYS += ("name_word_starts", "name_words", "word_offsets", "word_postings")

    @classmethod
    def build(cls, lowered_names: list[str], previous: NameTrigrams | None = None) -> NameTrigrams:
        """From each listing's lowered name; the trigrams of names ``previous`` (the last
        build) had are taken from it, not computed again."""
        code_of: dict[str, int] = {}
        listing_name = np.fromiter(
            (code_of.setdefault(name, len(code_of)) for name in lowered_names),
            dtype=np.int32,
            count=len(lowered_names),
        )
        names = list(code_of)
        counts = np.zeros(len(names), dtype=np.int32)
        pairs = PostingsBuilder(dict(previous.vocabulary) if previous is not None else {})
        fresh = names
        if previous is not None:
            new_code = np.array([code_of.get(name, -1) for name in previous.names], np.intp)
            pairs.keep(previous.offsets, previous.postings, new_code)
            kept = new_code >= 0
            counts[new_code[kept]] = previous.name_trigram_count[kept]
            known = set(previous.names)
            fresh = [name for name in names if name not in known]
        found = [trigrams(name) for name in fresh]
        counts[[code_of[name] for name in fresh]] = pairs.add_chunk(
            [code_of[name] for name in fresh], found
        )
        vocabulary, [(offsets, postings)] = finish(pairs.vocabulary, pairs.grouped())
        return cls(
            names=names,
            listing_name=listing_name,
            name_trigram_count=counts,
            name_always=np.array([not name.isascii() for name in names], dtype=bool),
            vocabulary=vocabulary,
            offsets=offsets,
            postings=postings,
            **(_words_kept(names, previous) if previous is not None else {}),
        )

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.ARRAYS)

    def __post_init__(self):
        if self.words is not None:
            return
        words: dict[str, int] = {}
        name_words, starts = [], []
        for name in self.names:
            starts.append(len(name_words))
            found = {words.setdefault(w, len(words)) for w in _WORD.findall(name)} or {-1}
            name_words.extend(sorted(found))  # -1: a name without words
        self.words = list(words)
        self.name_word_starts = np.array(starts, dtype=np.int64)
        self.name_words = np.array(name_words, dtype=np.int32)
        pairs = PostingsBuilder({})
        pairs.add_chunk(range(len(self.words)), [trigrams(word) for word in self.words])
        self.word_trigrams, [(self.word_offsets, self.word_postings)] = finish(
            pairs.vocabulary, pairs.grouped()
        )

    def _words_with(self, trigram: str) -> np.ndarray:
        row = self.word_trigrams.get(trigram)
        if row is None:
            return self.word_postings[:0]
        return self.word_postings[self.word_offsets[row] : self.word_offsets[row + 1]]

    def _shared(self, wanted: set[str]) -> np.ndarray:
        """Per name, how many of ``wanted`` trigrams it has."""
        rows = [self.vocabulary[t] for t in wanted if t in self.vocabulary]
        if not rows:
            return np.zeros(len(self.names), dtype=np.int64)
        postings = np.concatenate(
            [self.postings[self.offsets[r] : self.offsets[r + 1]] for r in rows]
        )
        return np.bincount(postings, minlength=len(self.names))

    def similar(self, lowered: str) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """(indexes and similarities of the ASCII names that surely match ``lowered``, the
        names (name -> index) PostgreSQL must decide).

        Similarity is computed exactly from the shared trigram count, as pg_trgm does (float4
        division). Word similarity is bounded below by its value on each single word of the
        name (a word's trigrams are a stretch of the name's), computed exactly here for the
        few words that can reach the threshold, and above by s / a: a name above the threshold
        by the lower bound matches, one below it by the upper bound does not, and the few in
        between, like every name with other characters than ASCII, go to the database.
        """
        wanted = trigrams(lowered)
        ask = self.name_always.copy()
        if not wanted:
            nothing = np.zeros(0, dtype=np.intp)
            return nothing, nothing.astype(np.float64), self._named(ask)
        a = len(wanted)
        shared = self._shared(wanted)
        union = (a + self.name_trigram_count - shared).astype(np.float32)
        similarity = np.divide(
            shared.astype(np.float32), union, out=np.zeros(len(shared), np.float32), where=union > 0
        )
        by_similarity = (similarity >= SIMILARITY_THRESHOLD) & (shared > 0)
        possible = shared >= WORD_SIMILARITY_THRESHOLD * a - _SLACK
        word_bound = np.zeros(len(self.words) + 1, dtype=np.float32)  # last: no word (-1)
        word_shared: dict[int, int] = {}
        for trigram in wanted:
            for code in self._words_with(trigram).tolist():
                word_shared[code] = word_shared.get(code, 0) + 1
        for code, count in word_shared.items():
            if count >= WORD_SIMILARITY_THRESHOLD * a - _SLACK:
                word_bound[code] = word_similarity(wanted, self.words[code])
        lower_bound = np.maximum.reduceat(word_bound[self.name_words], self.name_word_starts)
        by_word = (lower_bound >= WORD_SIMILARITY_THRESHOLD) & possible
        sure = (by_similarity | by_word) & ~self.name_always
        ask |= possible & ~sure & ~by_similarity
        codes = np.flatnonzero(sure)
        return codes, similarity[codes].astype(np.float64), self._named(ask)

    def _named(self, mask: np.ndarray) -> dict[str, int]:
        return {self.names[i]: i for i in np.flatnonzero(mask).tolist()}

    def decide(self, lowered: str, names: dict[str, int]) -> dict[int, float]:
        """{name index: similarity} of those ``names`` that match ``lowered`` by either
        similarity, computed here (SQLite, which has no pg_trgm)."""
        wanted = trigrams(lowered)
        found = {}
        for name, code in names.items():
            have = trigrams(name)
            shared = len(wanted & have)
            union = len(wanted) + len(have) - shared
            similarity = np.float32(shared) / np.float32(union) if shared else np.float32(0)
            if similarity >= SIMILARITY_THRESHOLD or (
                wanted and word_similarity(wanted, name) >= WORD_SIMILARITY_THRESHOLD
            ):
                found[code] = float(similarity)
        return found

    def code_of(self, lowered: str) -> int | None:
        """The index of this lowered name, if a listing has it."""
        codes = self.__dict__.get("_codes")
        if codes is None:
            codes = self.__dict__["_codes"] = {name: i for i, name in enumerate(self.names)}
        return codes.get(lowered)

    def listings_named(self, codes: list[int]) -> np.ndarray:
        """Mask of the listings whose lowered name is one of ``codes``."""
        table = np.zeros(len(self.names), dtype=bool)
        table[codes] = True
        return table[self.listing_name]


def _words_kept(names: list[str], previous: NameTrigrams) -> dict:
    """The names' words (``NameTrigrams.words`` and the rest), those of the names ``previous``
    had taken from it. A word no name has any more stays until a build without a previous
    one: it matches no name, and costs a few bytes."""
    words = list(previous.words)
    code_of = {word: code for code, word in enumerate(words)}
    previous_code = {name: code for code, name in enumerate(previous.names)}
    ends = [*previous.name_word_starts.tolist()[1:], len(previous.name_words)]
    old_words = previous.name_words.tolist()
    starts_list = previous.name_word_starts.tolist()
    name_words: list[int] = []
    starts: list[int] = []
    for name in names:
        starts.append(len(name_words))
        old = previous_code.get(name)
        if old is not None:
            name_words.extend(old_words[starts_list[old] : ends[old]])
            continue
        found = {code_of.setdefault(w, len(code_of)) for w in _WORD.findall(name)} or {-1}
        name_words.extend(sorted(found))  # -1: a name without words
    words.extend(list(code_of)[len(words) :])
    pairs = PostingsBuilder(dict(previous.word_trigrams))
    pairs.keep(
        previous.word_offsets,
        previous.word_postings,
        np.arange(len(previous.words), dtype=np.intp),
    )
    new = range(len(previous.words), len(words))
    pairs.add_chunk(new, [trigrams(words[code]) for code in new])
    word_trigrams, [(word_offsets, word_postings)] = finish(pairs.vocabulary, pairs.grouped())
    return {
        "words": words,
        "name_word_starts": np.array(starts, dtype=np.int64),
        "name_words": np.array(name_words, dtype=np.int32),
        "word_trigrams": word_trigrams,
        "word_offsets": word_offsets,
        "word_postings": word_postings,
    }
