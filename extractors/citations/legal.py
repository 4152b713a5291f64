"""Legal citation forms, recognised as their own kinds: cases, statutes and treaties.

UN documents are recognised by their symbols (:mod:`extractors.text.identifiers`),
repeats ("supra note 3", "Id. at 5", "Ibid.") by :mod:`extractors.citations.repeats`;
this module adds the kinds of the other legal forms and the "at 5" pinpoints
legal styles write.
"""

from __future__ import annotations

import re

# "Smith v. Jones", "Brown v Board of Education", "R v. Secretary of State", "Velásquez Rodríguez v. Honduras".
CASE_RE = re.compile(
    r"(?:^|[\s*_“\"‘(])(?:[A-Z][\w'’.\-]*|\d+)(?:\s+(?:[A-Z][\w'’.\-]*|of|the|de|del|and|&))*\s+v(?:s)?\.?\s+"
    r"(?:[A-Z][\w'’.\-]*)"
)
# Neutral citations and law reports: "[2019] UKSC 41", "[1990] 1 AC 109", "347 U.S. 483", "123 F.3d 456",
# "ECHR 2005-IV", "I.C.J. Reports 1986", "Series C No. 4".
REPORTER_RE = re.compile(
    r"\[(?:19|20)\d\d\]\s+(?:\d+\s+)?[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*)?\s+\d+"
    r"|\b\d+\s+(?:U\.S\.|S\.\s?Ct\.|F\.(?:2d|3d|4th)?|F\.\s?Supp\.(?:\s?2d)?|L\.\s?Ed\.)\s+\d+"
    r"|\bI\.C\.J\.\s+Reports\b|\bSeries\s+C\s+No\.\s*\d+|\bECHR\s+(?:19|20)\d\d-[IVX]+"
    r"|\bApp(?:lication)?\.?\s+No\.?\s*\d+/\d\d"
)
STATUTE_RE = re.compile(
    r"\b\d+\s+U\.S\.C\.?\s*§|§§?\s*\d|\b(?:Act|Statute|Code|Ordinance|Decree|Regulation|Law)\s+"
    r"(?:of\s+)?(?:19|20)\d\d\b|\b(?:Act|Code)\s+(?:No\.?|n[º°o]\.?)\s*\d|\bLey\s+(?:N[º°o.]\s*)?\d"
    r"|\bLei\s+(?:n[º°o.]\s*)?\d|\bLoi\s+n[º°o]"
)
TREATY_RE = re.compile(
    r"\b(?:International\s+Covenant|Convention|Covenant|Charter|Protocol|Treaty|Rome\s+Statute)\b"
    r"[^.;]{0,80}?\b(?:art(?:icle)?s?\.?\s*\d|(?:19|20)\d\d|U\.?N\.?T\.?S\.?)",
    re.I,
)
AT_PINPOINT_RE = re.compile(r"(?<![\w])at\s+(\d+[a-z]?(?:\s*[-–]\s*\d+)?(?:\s*(?:n|nn)\.?\s*\d+)?)(?![\w/])")


def legal_kind(text: str) -> str | None:
    """``"case"``, ``"statute"`` or ``"treaty"`` when ``text`` cites one, else None."""
    if CASE_RE.search(text) or REPORTER_RE.search(text):
        return "case"
    if STATUTE_RE.search(text):
        return "statute"
    if TREATY_RE.search(text):
        return "treaty"
    return None


def at_pinpoint(text: str) -> str | None:
    """The last "at 5" / "at 12–14" pinpoint of a legal citation, or None."""
    found = list(AT_PINPOINT_RE.finditer(text))
    return re.sub(r"\s+", " ", found[-1].group(0)) if found else None
