"""Tokens and CRF features of one reference, shared by the tagger and its training script.

A reference is cut into tokens: a URL, a DOI, a UN document symbol or an NGO
index number is ONE token (found by the regexes of :mod:`extractors.text.urls`
and :mod:`extractors.text.identifiers`); everything else is words
(``\\w+`` with inner apostrophes and hyphens) and single punctuation marks.
Each token keeps its character span, so labelled tokens map back to the exact
text of the reference.

Features are cheap string tests: the word, its shape, capitalisation,
position, bracket and quote depth, lexicons (month names from
:mod:`extractors.text.dates`, publisher words, access-date words, locators)
and the same for the two tokens either side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.text.dates import MONTHS
from extractors.text.identifiers import DOI_RE, NGO_INDEX_RE, UN_SYMBOL_RE
from extractors.text.urls import BARE_URL_RE, URL_RE

_WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
_PUBLISHER_WORDS = frozenset(
    "press university universidad universidade université verlag éditions editions editorial editora "
    "publishers publishing books routledge springer elsevier wiley sage brill gallimard seuil "
    "harvard oxford cambridge yale princeton hart macmillan palgrave pluto zed".split()
)
_ACCESS_WORDS = frozenset(
    "retrieved accessed consulted viewed visited consulté consultado acesso acessado accedido "
    "available disponible disponível".split()
)
_LOCATOR_WORDS = frozenset("vol vols volume no nos number issue iss pp p pg pages n nº núm num t tome band bd art para paras".split())
_EDITOR_WORDS = frozenset("ed eds edited editor editors dir dirs coord org orgs trans translated".split())
_CONNECTORS = frozenset("and & et y e und in en em dans".split())
_ORG_WORDS = frozenset(
    "international watch nations united council commission committee rapporteur office ministry "
    "ministerio ministério court tribunal corte assembly bank organization organisation federation "
    "center centre institute foundation agency association human rights".split()
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a reference: its text and its ``[start, end)`` span."""

    text: str
    start: int
    end: int
    special: str = ""  # "url", "doi", "un", "ngo" for tokens found by a regex


def _special_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for regex, kind in ((URL_RE, "url"), (BARE_URL_RE, "url"), (DOI_RE, "doi"),
                        (UN_SYMBOL_RE, "un"), (NGO_INDEX_RE, "ngo")):
        for m in regex.finditer(text):
            start, end = m.span()
            end = start + len(m.group(0).rstrip(".,;:)]"))
            if end > start and not any(a < end and start < b for a, b, _ in spans):
                spans.append((start, end, kind))
    return sorted(spans)


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` in order (URLs and identifiers whole)."""
    tokens: list[Token] = []
    pos = 0
    for start, end, kind in _special_spans(text) + [(len(text), len(text), "")]:
        for m in _WORD_RE.finditer(text, pos, start):
            tokens.append(Token(m.group(0), m.start(), m.end()))
        if end > start:
            tokens.append(Token(text[start:end], start, end, kind))
        pos = max(pos, end)
    return tokens


def _shape(word: str) -> str:
    shape = re.sub(r"[A-ZÀ-Þ]", "X", word)
    shape = re.sub(r"[a-zß-ÿ]", "x", shape)
    shape = re.sub(r"\d", "d", shape)
    return re.sub(r"(.)\1{2,}", r"\1\1", shape)[:8]


def _word_features(tok: Token) -> dict[str, object]:
    word = tok.text
    low = word.lower()
    feats: dict[str, object] = {"w": low[:20], "shape": _shape(word), "suf3": low[-3:], "pre3": low[:3]}
    if tok.special:
        feats["special"] = tok.special
        return feats
    if word.isdigit():
        feats["digits"] = min(len(word), 5)
        if len(word) == 4 and 1600 <= int(word) <= 2099:
            feats["year"] = True
    elif word.isalpha():
        if word.isupper():
            feats["upper"] = True
        elif word[0].isupper():
            feats["title"] = True
        if len(word) == 1 and word.isupper():
            feats["initial"] = True
        if not word.isascii() and not any("a" <= c.lower() <= "z" or "à" <= c.lower() <= "ÿ" for c in word):
            feats["script"] = "other"
    else:
        feats["punct"] = word
    if low in MONTHS:
        feats["month"] = True
    for name, lexicon in (("pub", _PUBLISHER_WORDS), ("access", _ACCESS_WORDS), ("loc", _LOCATOR_WORDS),
                          ("editor", _EDITOR_WORDS), ("conn", _CONNECTORS), ("org", _ORG_WORDS)):
        if low in lexicon:
            feats[name] = True
    return feats


def features(tokens: list[Token]) -> list[dict[str, object]]:
    """CRF features of each token: its own, its context's, and where it stands."""
    n = len(tokens)
    own = [_word_features(t) for t in tokens]
    result = []
    depth = 0
    quoted = False
    access_seen = -99
    for i, tok in enumerate(tokens):
        feats = dict(own[i])
        feats["pos"] = min(9, i * 10 // max(n, 1))
        if i < 3:
            feats["first"] = i
        if i >= n - 3:
            feats["last"] = n - 1 - i
        if depth:
            feats["paren"] = True
        if quoted:
            feats["quoted"] = True
        if i - access_seen <= 5:
            feats["after_access"] = True
        for k in (-2, -1, 1, 2):
            j = i + k
            if 0 <= j < n:
                other = own[j]
                feats[f"{k}w"] = other["w"]
                feats[f"{k}shape"] = other["shape"]
                for key in ("year", "month", "initial", "pub", "access", "loc", "editor", "special", "title"):
                    if key in other:
                        feats[f"{k}{key}"] = other[key]
            else:
                feats[f"{k}edge"] = True
        # Whether the previous token is glued to this one ("A." vs "A .").
        if i and tokens[i - 1].end == tok.start:
            feats["glued"] = True
        # python-crfsuite reads numbers as weights: categories go in as strings.
        result.append({k: (1.0 if v is True else str(v)) for k, v in feats.items()})
        text = tok.text
        if text in "([{":
            depth += 1
        elif text in ")]}":
            depth = max(0, depth - 1)
        elif text in "“«":
            quoted = True
        elif text in "”»":
            quoted = False
        elif text == '"':
            quoted = not quoted
        if "access" in own[i]:
            access_seen = i
    return result
