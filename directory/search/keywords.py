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
import re
from dataclasses import dataclass

import numpy as np

from directory.search.postings import PostingsBuilder, finish

# --- PostgreSQL's tsquery text, parsed -----------------------------------------------------


@dataclass(frozen=True)
class Lexeme:
    word: str


@dataclass(frozen=True)
class Not:
    operand: object


@dataclass(frozen=True)
class And:
    left: object
    right: object


@dataclass(frozen=True)
class Or:
    left: object
    right: object


@dataclass(frozen=True)
class Phrase:  # left <distance> right
    left: object
    right: object
    distance: int


_TOKEN = re.compile(r"\s*(?:'((?:[^'\\]|''|\\.)*)'(?::[*A-D]+)?|(<->|<\d+>)|([&|!()]))")


class TsQuerySyntaxError(ValueError):
    pass


def parse_tsquery(text: str):
    """The tree of a tsquery as PostgreSQL writes it (``'a' & ( 'b' | !'c' ) <-> 'd'``), or
    None for an empty query (only stop words). Precedence as PostgreSQL's: ``!`` binds
    tightest, then ``<->``, then ``&``, then ``|``."""
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise TsQuerySyntaxError(f"unexpected text in tsquery at {position}: {text!r}")
        word, phrase, operator = found.groups()
        if word is not None:
            tokens.append(("lexeme", re.sub(r"''|\\(.)", lambda m: m.group(1) or "'", word)))
        elif phrase is not None:
            tokens.append(("phrase", 1 if phrase == "<->" else int(phrase[1:-1])))
        else:
            tokens.append((operator, None))
        position = found.end()
        while position < len(text) and text[position].isspace():
            position += 1
    if not tokens:
        return None
    parser = _Parser(tokens)
    tree = parser.expression(0)
    if parser.position != len(tokens):
        raise TsQuerySyntaxError(f"unexpected operator in tsquery: {text!r}")
    return tree


_BINDING = {"|": 1, "&": 2, "phrase": 3}


class _Parser:
    def __init__(self, tokens):
        self.tokens, self.position = tokens, 0

    def _next(self):
        if self.position >= len(self.tokens):
            raise TsQuerySyntaxError("tsquery ends early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def operand(self):
        kind, value = self._next()
        if kind == "lexeme":
            return Lexeme(value)
        if kind == "!":
            return Not(self.operand())
        if kind == "(":
            inner = self.expression(0)
            if self._next()[0] != ")":
                raise TsQuerySyntaxError("unbalanced parenthesis in tsquery")
            return inner
        raise TsQuerySyntaxError(f"unexpected {kind!r} in tsquery")

    def expression(self, minimum: int):
        left = self.operand()
        while self.position < len(self.tokens):
            kind, value = self.tokens[self.position]
            binding = _BINDING.get(kind)
            if binding is None or binding < minimum:
                break
            self.position += 1
            right = self.expression(binding + 1)
            if kind == "|":
                left = Or(left, right)
            elif kind == "&":
                left = And(left, right)
            else:
                left = Phrase(left, right, value)
        return left


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
    found = {_stem(variant) for variant in variants} | variants
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


def tsquery_text(tree) -> str:
    """``tree`` written as a tsquery PostgreSQL reads back (``'a' & ( 'b' | 'c' )``)."""
    if isinstance(tree, Lexeme):
        return "'" + tree.word.replace("\\", "\\\\").replace("'", "''") + "'"
    if isinstance(tree, Not):
        return f"!( {tsquery_text(tree.operand)} )"
    if isinstance(tree, Phrase):
        operator = "<->" if tree.distance == 1 else f"<{tree.distance}>"
        return f"( {tsquery_text(tree.left)} {operator} {tsquery_text(tree.right)} )"
    operator = "&" if isinstance(tree, And) else "|"
    return f"( {tsquery_text(tree.left)} {operator} {tsquery_text(tree.right)} )"


def has_phrase(tree) -> bool:
    if isinstance(tree, Phrase):
        return True
    if isinstance(tree, Not):
        return has_phrase(tree.operand)
    if isinstance(tree, And | Or):
        return has_phrase(tree.left) or has_phrase(tree.right)
    return False


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


# --- the same analysis in Python (SQLite) --------------------------------------------------
#
# SQLite has no full text of its own worth matching against PostgreSQL's, so there the index's
# lexemes and a keyword's query come from here: PostgreSQL's default parser and ``english``
# configuration for the text listings carry (words in any script, hyphenated words, numbers,
# words with digits, web and e-mail addresses), PostgreSQL's English stop words, and the same
# Snowball English stemmer (PyStemmer). tests/test_search_keywords.py compares it with
# PostgreSQL's ``to_tsvector`` and ``websearch_to_tsquery`` on the demo data and on messy text.

STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will just
    don should now""".split()
)

_LETTERS = r"[^\W\d_]"
_ANALYSED = re.compile(
    rf"""
    (?P<email>[a-z0-9][\w.+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{{2,}})
    | (?P<url>https?://(?P<url_host>[a-z0-9-]+(?:\.[a-z0-9-]+)+)(?P<url_path>/[^\s'"<>]*)?)
    | (?P<host>(?:[a-z0-9-]+\.)+[a-z]{{2,}}(?![\w-]|\.\w))
    | (?P<hyphenated>{_LETTERS}[^\W_]*(?:-{_LETTERS}[^\W_]*)+)
    | (?P<decimal>\d+\.\d+)
    | (?P<signed>(?<=[\d])-\d+)
    | (?P<word>[^\W_]+)
    """,
    re.VERBOSE | re.IGNORECASE,
)


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball's C stemmers, as PostgreSQL's english_stem

    return Stemmer.Stemmer("english")


def _word_lexeme(word: str) -> str | None:
    """A plain token's lexeme: words with digits and numbers as they are, words stemmed."""
    if any(c.isdigit() for c in word):
        return word
    if word in STOP_WORDS:
        return None
    return _stem(word)


def analyse(text: str) -> list[tuple[str, int]]:
    """(lexeme, position) of ``text`` as ``to_tsvector('english', text)`` makes them."""
    found: list[tuple[str, int]] = []
    position = 0

    def emit(lexeme: str | None) -> None:
        nonlocal position
        position += 1
        if lexeme:
            found.append((lexeme, position))

    for match in _ANALYSED.finditer(text.lower()):
        kind = match.lastgroup
        token = match.group(kind if kind not in {"url_host", "url_path"} else "url")
        if kind == "email" or kind == "host" or kind == "decimal" or kind == "signed":
            emit(token)
        elif match.group("url"):
            host, path = match.group("url_host"), match.group("url_path") or ""
            emit(host + path if path else host)
            emit(host)
            if path:
                emit(path)
        elif kind == "hyphenated":
            parts = token.split("-")
            with_digits = any(c.isdigit() for c in token)
            emit(token if with_digits else (None if token in STOP_WORDS else _stem(token)))
            for part in parts:
                emit(_word_lexeme(part))
        else:
            emit(_word_lexeme(token))
    return found


def lexemes(text: str) -> list[str]:
    """The distinct lexemes of ``text``, in first-seen order (a tsvector's words)."""
    return list(dict.fromkeys(lexeme for lexeme, _ in analyse(text)))


def websearch(text: str):
    """The tree of ``websearch_to_tsquery('english', text)``.

    Chunks of text between spaces (or quotes) are ANDed; a chunk ``or`` separates
    alternatives (binding more loosely than AND; repeated, leading or trailing it is
    ignored); each ``-`` that starts a chunk negates what follows (``--`` twice); quoted text
    (to the end if the quote is not closed) is a phrase; a chunk that analyses to several
    lexemes (``12-step``, ``o'brien``, ``hope,group``) is a phrase of them; a chunk of stop
    words vanishes, with its ``-``. Other operator characters are punctuation.
    """
    alternatives: list[list] = [[]]
    negations = 0
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue
        if char == "-":
            negations += 1
            position += 1
            continue
        if char == '"':
            end = text.find('"', position + 1)
            end = len(text) if end < 0 else end
            chunk, position = text[position + 1 : end], end + 1
            node = _phrase(analyse(chunk))
        else:
            end = position
            while end < len(text) and not text[end].isspace() and text[end] != '"':
                end += 1
            chunk, position = text[position:end], end
            if chunk.lower() == "or" and not negations:
                if alternatives[-1]:
                    alternatives.append([])
                continue
            node = _phrase(analyse(chunk))
        if node is not None:
            for _ in range(negations):
                node = Not(node)
            alternatives[-1].append(node)
        negations = 0
    tree = None
    for terms in alternatives:
        if terms:
            group = functools.reduce(And, terms)
            tree = group if tree is None else Or(tree, group)
    return tree


def _phrase(analysed: list[tuple[str, int]]):
    """Lexemes at positions as one phrase (``a <-> b``, ``a <2> c`` over a stop word)."""
    node, last = None, None
    for lexeme, position in analysed:
        if node is None:
            node = Lexeme(lexeme)
        else:
            node = Phrase(node, Lexeme(lexeme), position - last)
        last = position
    return node


def tree_matches(tree, analysed: list[tuple[str, int]]) -> bool:
    """Whether a text (``analyse``'s lexemes at positions) matches ``tree`` as ``@@`` does,
    phrases included (a phrase's right side at its left side's end plus the distance)."""
    where: dict[str, set[int]] = {}
    for lexeme, position in analysed:
        where.setdefault(lexeme, set()).add(position)

    def ends(node) -> set[int]:  # where a lexeme or a phrase ends
        if isinstance(node, Lexeme):
            return where.get(node.word, set())
        if isinstance(node, Phrase):
            left = ends(node.left)
            return {p for p in ends(node.right) if p - node.distance in left}
        if isinstance(node, Or):  # the typing slips of a word in a phrase
            return ends(node.left) | ends(node.right)
        return {0} if truth(node) else set()  # not made by websearch: a plain condition

    def truth(node) -> bool:
        if isinstance(node, Not):
            return not truth(node.operand)
        if isinstance(node, And):
            return truth(node.left) and truth(node.right)
        if isinstance(node, Or):
            return truth(node.left) or truth(node.right)
        return bool(ends(node))

    return tree is not None and truth(tree)
