"""PostgreSQL's tsquery text (``websearch_to_tsquery(...)::text``) as a tree, and back.

Lexemes, NOT, AND, OR and phrases (``<->``, ``<N>``); ``parse_tsquery`` reads the text
PostgreSQL prints, ``tsquery_text`` writes a tree back as text PostgreSQL reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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
