"""A Cypher tokenizer that respects strings, quoted names and comments.

Why our own: no maintained Cypher parser for Python emits text back from its tree (the
libcypher-parser bindings and antlr4-cypher date from 2017-2019 and a single 2025 release),
and mutants only need token-level rewrites whose results the server itself then checks
with EXPLAIN. Joining the texts of the tokens gives back the query byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"(?P<comment>//[^\n]*|/\*.*?\*/)"
    r"|(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<name>`[^`]*`)"
    r"|(?P<ws>\s+)"
    r"|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<param>\$\w+)"
    r"|(?P<word>[A-Za-z_][\w]*)"
    r"|(?P<op><>|<=|>=|=~|->|<-|\.\.|[-+*/%^=<>(){}\[\],.:;|!])"
    r"|(?P<other>.)",
    re.S,
)
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}


@dataclass(frozen=True)
class Token:
    kind: str  # comment | string | name | ws | number | param | word | op | other
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text

    @property
    def significant(self) -> bool:
        return self.kind not in ("ws", "comment")


def tokenize(query: str) -> list[Token]:
    return [Token(m.lastgroup or "other", m.group(0)) for m in _TOKEN.finditer(query)]


def render(tokens: list[Token]) -> str:
    return "".join(t.text for t in tokens)


def string_value(token: Token) -> str:
    """The value of a string literal token (escapes undone)."""
    body = token.text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def string_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def depths(tokens: list[Token]) -> list[int]:
    """Bracket depth of every token (an opener has the outer depth, as does its closer)."""
    out, depth = [], 0
    for token in tokens:
        if token.kind == "op" and token.text in CLOSERS:
            depth -= 1
        out.append(depth)
        if token.kind == "op" and token.text in OPENERS:
            depth += 1
    return out


def matching(tokens: list[Token], index: int) -> int | None:
    """Index of the bracket closing the opener at `index`."""
    opener = tokens[index].text
    closer, depth = OPENERS[opener], 0
    for j in range(index, len(tokens)):
        if tokens[j].kind != "op":
            continue
        if tokens[j].text == opener:
            depth += 1
        elif tokens[j].text == closer:
            depth -= 1
            if depth == 0:
                return j
    return None


def next_significant(tokens: list[Token], index: int, step: int = 1) -> int | None:
    j = index + step
    while 0 <= j < len(tokens):
        if tokens[j].significant:
            return j
        j += step
    return None
