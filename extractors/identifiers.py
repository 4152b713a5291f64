"""Document identifiers found in free text: UN symbols, NGO index numbers, DOI, ISBN.

Owned by the footnotes/citations work; this first version is deliberately
conservative (precision first).
"""

from __future__ import annotations

import re

from .record import Identifier

# UN document symbols: series letter(s) then slash-separated parts, e.g.
# A/72/322, E/CN.4/1989/26, A/RES/43/137, A/HRC/37/24, S/2019/1, CCPR/C/IRN/CO/4.
_UN_BODY = r"(?:A|E|S|ST|CCPR|CAT|CERD|CEDAW|CRC|CRPD|CMW|DP|TD|UNEP|HRI|CED)"
UN_SYMBOL_RE = re.compile(
    rf"(?<![\w/])({_UN_BODY}/(?:[A-Z][A-Za-z0-9.\-]*|\d+)(?:/[A-Za-z0-9.\-()]+)+)(?<![.,;:)])"
)
# Amnesty International style index numbers: MDE 13/6418/2023, ACT 50/001/2019.
NGO_INDEX_RE = re.compile(r"\b([A-Z]{3} \d{2}/\d{3,4}/(?:19|20)\d{2})\b")
DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;:)\]])")
ISBN_RE = re.compile(r"\bISBN(?:-1[03])?:?\s*((?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dXx])\b")


def find_identifiers(text: str) -> list[Identifier]:
    """Every identifier in ``text``, in order of appearance, without duplicates."""
    found: list[tuple[int, Identifier]] = []
    for scheme, regex in (("un-symbol", UN_SYMBOL_RE), ("ngo-index", NGO_INDEX_RE),
                          ("doi", DOI_RE), ("isbn", ISBN_RE)):
        for m in regex.finditer(text):
            value = m.group(1)
            if scheme == "isbn":
                value = re.sub(r"[\s-]", "", value).upper()
            found.append((m.start(), Identifier(scheme, value)))
    found.sort(key=lambda pair: pair[0])
    seen: set[tuple[str, str]] = set()
    result = []
    for _, ident in found:
        key = (ident.scheme, ident.value)
        if key not in seen:
            seen.add(key)
            result.append(ident)
    return result


def normalize_identifier(value: str) -> Identifier | None:
    """Recognise a whole string as one identifier (for ``archivist cites``)."""
    value = value.strip()
    value = re.sub(r"^(?:UN Doc\.?|Index:?)\s*", "", value, flags=re.I)
    for ident in find_identifiers(value):
        return ident
    return None
