"""The search query language: one parser, one tree, compiled to FTS5 MATCH and to a PostgreSQL tsquery.

Grammar (``OR`` binds looser than the implicit AND)::

    query   := any ("OR" any)*
    any     := unary+                      every part must match
    unary   := "-" atom | atom             "-" excludes
    atom    := [field ":"] (word | word "*" | '"' phrase '"' | "(" query ")")
    field   := title | note | id

Words are normalised with :mod:`storage.search.normalize`; a word that
normalises to several tokens (``A/HRC/37/24``) is a phrase of them. Both
compilers build flat expressions from the same tree, so SQLite and
PostgreSQL give the same documents; the size caps keep every query small
(no 2000-term trees, no ``stack depth limit exceeded``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.errors import StorageError
from storage.search.normalize import tokens

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MAX_DEPTH = 4

# Field filter → FTS5 column and tsvector weight (see storage.search.index).
FIELDS = {"title": ("title", "A"), "id": ("ids", "B"), "note": ("notes", "C")}


class SearchQueryError(StorageError):
    """A malformed or oversized search query (the message is one line for the user)."""


@dataclass(frozen=True)
class Term:
    """A word (one token), a phrase (several, in order) or a prefix (last token is a prefix)."""

    tokens: tuple[str, ...]
    prefix: bool = False
    field: str | None = None


@dataclass
class AllOf:
    """Every ``include`` part matches and no ``exclude`` part does."""

    include: list[Node] = field(default_factory=list)
    exclude: list[Node] = field(default_factory=list)


@dataclass
class AnyOf:
    """At least one part matches."""

    parts: list[Node] = field(default_factory=list)


Node = Term | AllOf | AnyOf

_LEXEME_RE = re.compile(r'\s*(?:(-)?(?:(\w+):)?(?:"([^"]*)("?)|(\()|([^\s()"]+))|(\)))')


@dataclass
class _Lexeme:
    negate: bool
    field: str | None
    phrase: str | None
    word: str | None
    open: bool
    close: bool


def _lex(query: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    pos = 0
    query = query.rstrip()
    while pos < len(query):
        m = _LEXEME_RE.match(query, pos)
        if m is None or m.end() == pos:
            raise SearchQueryError(f"cannot read the query at {query[pos:pos + 20]!r}")
        negate, fld, phrase, closed, opener, word, closer = m.groups()
        if phrase is not None and not closed:
            raise SearchQueryError('unbalanced quote: close the phrase with "')
        if fld is not None and fld.lower() not in FIELDS:
            if word is None or (fld.isalpha() and not word.startswith("/")):
                raise SearchQueryError(f"unknown field {fld!r}: the fields are title:, note: and id:")
            word, fld = f"{fld}:{word}", None  # "https://…", "12:30": a word, not a field
        out.append(_Lexeme(bool(negate), fld.lower() if fld else None, phrase, word, bool(opener), bool(closer)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, lexemes: list[_Lexeme]):
        self.lexemes = lexemes
        self.pos = 0
        self.terms = 0

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.pos] if self.pos < len(self.lexemes) else None

    def parse_or(self, depth: int, fld: str | None) -> Node | None:
        if depth > MAX_DEPTH:
            raise SearchQueryError(f"too many nested parentheses (at most {MAX_DEPTH})")
        parts = [self.parse_all(depth, fld)]
        while (lx := self.peek()) is not None and lx.word == "OR" and not lx.negate and lx.field is None:
            self.pos += 1
            if self.peek() is None or self.peek().close:
                raise SearchQueryError("OR needs a word on both sides")
            parts.append(self.parse_all(depth, fld))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else AnyOf(parts)

    def parse_all(self, depth: int, fld: str | None) -> Node | None:
        node = AllOf()
        while (lx := self.peek()) is not None and not lx.close and not (lx.word == "OR" and not lx.negate):
            self.pos += 1
            part = self.parse_atom(lx, depth, lx.field or fld)
            if part is not None:
                (node.exclude if lx.negate else node.include).append(part)
        if node.exclude and not node.include:
            raise SearchQueryError("a query needs at least one word that is not excluded with -")
        if not node.include:
            if self.peek() is not None and self.peek().word == "OR" and self.pos == 0:
                raise SearchQueryError("OR needs a word on both sides")
            return None
        return node.include[0] if len(node.include) == 1 and not node.exclude else node

    def parse_atom(self, lx: _Lexeme, depth: int, fld: str | None) -> Node | None:
        if lx.open:
            inner = self.parse_or(depth + 1, fld)
            closer = self.peek()
            if closer is None or not closer.close:
                raise SearchQueryError("unbalanced parenthesis: missing )")
            self.pos += 1
            return inner
        text = lx.phrase if lx.phrase is not None else lx.word or ""
        prefix = lx.phrase is None and text.endswith("*")
        toks = tuple(tokens(text.rstrip("*") if prefix else text))
        if not toks:
            return None
        self.terms += len(toks)
        if self.terms > MAX_TERMS:
            raise SearchQueryError(f"query too long: at most {MAX_TERMS} words")
        return Term(toks, prefix, fld)


def parse(query: str) -> Node:
    """The tree of ``query``; :class:`SearchQueryError` when it is malformed, too long or empty."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"query too long: {len(query)} characters (at most {MAX_QUERY_CHARS})")
    parser = _Parser(_lex(query))
    node = parser.parse_or(0, None)
    if parser.peek() is not None:
        raise SearchQueryError("unbalanced parenthesis: unexpected )")
    if node is None:
        raise SearchQueryError("nothing to search for: the query has no words")
    return node


_OPERATOR_RE = re.compile(r'["*():]|(?:^|\s)-|\bOR\b')


def as_phrase(node: Node, query: str) -> Node | None:
    """Bare words only (``Death Commission``, no operator): the same words as one phrase, else ``None``."""
    if _OPERATOR_RE.search(query) or not isinstance(node, AllOf) or node.exclude or len(node.include) < 2:
        return None
    if not all(isinstance(t, Term) and not t.prefix and t.field is None for t in node.include):
        return None
    return Term(tuple(tok for t in node.include for tok in t.tokens))  # type: ignore[union-attr]


def positive_terms(node: Node) -> list[Term]:
    """The terms a match must or may contain (not the excluded ones): for snippets and note hits."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, AllOf):
        return [t for part in node.include for t in positive_terms(part)]
    return [t for part in node.parts for t in positive_terms(part)]


# -- compilers -----------------------------------------------------------------


def to_fts5(node: Node) -> str:
    """``node`` as an FTS5 MATCH expression (every token a quoted string, fully parenthesised)."""
    if isinstance(node, Term):
        phrase = '"' + " ".join(node.tokens) + '"' + ("*" if node.prefix else "")
        return f"({{{FIELDS[node.field][0]}}} : {phrase})" if node.field else phrase
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(to_fts5(p) for p in node.parts) + ")"
    expr = "(" + " AND ".join(to_fts5(p) for p in node.include) + ")"
    for part in node.exclude:
        expr = f"({expr} NOT {to_fts5(part)})"
    return expr


def to_tsquery(node: Node) -> str:
    """``node`` as PostgreSQL tsquery text (cast with ``::tsquery``, no parser in between)."""
    if isinstance(node, Term):
        weight = FIELDS[node.field][1] if node.field else ""
        lexemes = [f"'{tok}':{weight}" if weight else f"'{tok}'" for tok in node.tokens]
        if node.prefix:
            lexemes[-1] = f"'{node.tokens[-1]}':*{weight}"
        return "(" + " <-> ".join(lexemes) + ")" if len(lexemes) > 1 else lexemes[0]
    if isinstance(node, AnyOf):
        return "(" + " | ".join(to_tsquery(p) for p in node.parts) + ")"
    parts = [to_tsquery(p) for p in node.include] + [f"!{to_tsquery(p)}" for p in node.exclude]
    return "(" + " & ".join(parts) + ")"


def term_matches(term: Term, toks: list[str]) -> bool:
    """Whether the token list ``toks`` contains ``term`` (for which note, which snippet)."""
    n = len(term.tokens)
    for i in range(len(toks) - n + 1):
        if all(toks[i + k] == term.tokens[k] for k in range(n - 1)):
            last = toks[i + n - 1]
            if last == term.tokens[-1] or (term.prefix and last.startswith(term.tokens[-1])):
                return True
    return False
