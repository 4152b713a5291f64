"""Footnote text to citations. First version: one citation per note.

Owned by the footnotes/citations work, which splits notes into citations,
parses fields and resolves "Ibid."/"(previously cited)".
"""

from __future__ import annotations

import re

from .identifiers import find_identifiers
from .record import Citation

_URL_RE = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:)\]]")


def parse_notes(notes: list[tuple[str, str]]) -> list[list[Citation]]:
    """Citations of each ``(label, text)`` note, in the notes' order."""
    return [[parse_citation(text)] if text.strip() else [] for _, text in notes]


def parse_citation(text: str) -> Citation:
    """One citation from its text: URLs and identifiers."""
    return Citation(text=text.strip(), urls=_URL_RE.findall(text), identifiers=find_identifiers(text))
