"""English text as PostgreSQL's ``english`` configuration analyses it, in Python.

SQLite has no full text of its own worth matching against PostgreSQL's, so there the index's
lexemes and a keyword's query come from here: PostgreSQL's default parser and ``english``
configuration for the text listings carry (words in any script, hyphenated words, numbers,
words with digits, web and e-mail addresses), PostgreSQL's English stop words, and the same
Snowball English stemmer (PyStemmer). tests/test_search_keywords.py compares it with
PostgreSQL's ``to_tsvector`` and ``websearch_to_tsquery`` on the demo data and on messy text.
"""

from __future__ import annotations

import functools
import re

from directory.search.tsquery import And, Lexeme, Not, Or, Phrase

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
def stem(word: str) -> str:
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
    return stem(word)


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
            emit(token if with_digits else (None if token in STOP_WORDS else stem(token)))
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
