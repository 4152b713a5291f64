"""The match rules of the citation graph: when a citation names an archived document.

Pure functions over match keys (:class:`CitKeys`, :class:`DocKeys`, loaded by
``storage.citations.lookups``); no database. A citation matches a document in
one of three ways, from strongest to weakest:

3. **identifier**: a citation identifier equal to one of the document's own
   identifiers (same scheme; compared by ``extractors.text.identifiers.identifier_key``:
   case and whitespace, a "UN Doc." / "Index:" / "doi:" prefix, two- or
   four-digit years and zero padding of NGO index numbers, ISBN-10 against
   ISBN-13 do not matter);
2. **url**: a citation URL equal to the document's source URL, final URL after
   redirects (``fetches.final_url``) or ``metadata.canonical_url``, compared by
   ``extractors.text.urls.url_key`` (scheme, ``www.``, trailing slash, fragment,
   tracking parameters and query order do not matter);
1. **title**: both titles have at least 4 words, ``token_set_ratio`` of the
   normalized titles is at least 92, their word counts are within a factor of
   two, the dates are compatible (same year; same month and within 3 days when
   both are that precise) and the two do not carry *different* identifiers of
   the same scheme.

When several documents match, the strongest match wins, then the lowest
document id (the first archived rendition) (:func:`best_match`). A document is
never linked to itself, nor to another version or rendition of its own work.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date as Date
from functools import lru_cache

from rapidfuzz import fuzz

from extractors.text.identifiers import identifier_key
from extractors.text.urls import url_key

IDENTIFIER, URL, TITLE = 3, 2, 1
VIA = {IDENTIFIER: "identifier", URL: "url", TITLE: "title"}
TITLE_MIN_WORDS = 4
TITLE_MIN_SCORE = 92.0


@lru_cache(maxsize=1 << 16)  # the same titles come back: each stored document is matched against many citations
def title_key(title: str | None) -> str:
    """Case-folded title: marks, apostrophes and punctuation dropped."""
    if not title:
        return ""
    text = unicodedata.normalize("NFKC", title).casefold()
    text = re.sub(r"['’‘ʼ`´]", "", text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[\W_]+", " ", text).strip()


def date_parts(value: str | None) -> tuple[int, ...]:
    """``(year[, month[, day]])`` of an ISO date prefix; empty when there is none."""
    m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value or "")
    if not m:
        return ()
    return tuple(int(g) for g in m.groups() if g)


def dates_compatible(a: str | None, b: str | None) -> bool:
    """Same year; same month when both say; within 3 days when both give the day."""
    pa, pb = date_parts(a), date_parts(b)
    if not pa or not pb:
        return True
    if pa[0] != pb[0]:
        return False
    if len(pa) == 3 and len(pb) == 3:
        try:
            return abs((Date(*pa) - Date(*pb)).days) <= 3
        except ValueError:
            return pa == pb
    if len(pa) >= 2 and len(pb) >= 2:
        return pa[1] == pb[1]
    return True


def titles_match(a: str, b: str) -> bool:
    """``a`` and ``b`` are title keys (:func:`title_key`)."""
    wa, wb = a.split(), b.split()
    if len(wa) < TITLE_MIN_WORDS or len(wb) < TITLE_MIN_WORDS:
        return False
    if min(len(wa), len(wb)) * 2 < max(len(wa), len(wb)):
        return False
    return fuzz.token_set_ratio(a, b) >= TITLE_MIN_SCORE


# ---------------------------------------------------------------- keys


@dataclass
class DocKeys:
    id: int
    work_id: int
    title: str = ""
    date: str | None = None
    idents: set[tuple[str, str]] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)


@dataclass
class CitKeys:
    id: int
    document_id: int
    work_id: int
    current: int | None = None
    title: str = ""
    date: str | None = None
    idents: set[tuple[str, str]] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    raw_idents: list[tuple[str, str]] = field(default_factory=list)
    raw_urls: list[str] = field(default_factory=list)

    def add_urls(self, urls: Iterable[str] | None) -> None:
        """The citation's URLs (those with a :func:`url_key`)."""
        for u in urls or []:
            k = url_key(u)
            if k:
                self.urls.add(k)
                self.raw_urls.append(u)

    def add_identifier(self, scheme: str, value: str) -> None:
        """One of the citation's identifiers (a ``url`` one counts as a URL)."""
        key = identifier_key(scheme, value)
        if not key:
            return
        if scheme == "url":
            self.urls.add(key)
            self.raw_urls.append(value)
        else:
            self.idents.add((scheme, key))
            self.raw_idents.append((scheme, value))


def match_strength(cit: CitKeys, doc: DocKeys) -> int:
    """How ``cit`` matches ``doc``: IDENTIFIER, URL, TITLE or 0."""
    if doc.id == cit.document_id or doc.work_id == cit.work_id:
        return 0
    if cit.idents & doc.idents:
        return IDENTIFIER
    if cit.urls & doc.urls:
        return URL
    if cit.title and doc.title and dates_compatible(cit.date, doc.date) and titles_match(cit.title, doc.title):
        schemes = {s for s, _ in cit.idents} & {s for s, _ in doc.idents}
        if schemes:  # both carry e.g. an index number, and not the same one
            return 0
        return TITLE
    return 0


def best_match(cit: CitKeys, docs: Iterable[DocKeys]) -> tuple[int, int] | None:
    """(strength, document id) of the best match, or None."""
    best: tuple[int, int] | None = None
    for d in docs:
        s = match_strength(cit, d)
        if s and (best is None or (s, -d.id) > (best[0], -best[1])):
            best = (s, d.id)
    return best
