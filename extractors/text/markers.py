"""Footnote markers: the patterns every format uses to see and carry them.

* Inline placeholders: extractors write a marker into paragraph text as
  :func:`marker` (private-use sentinels :data:`MARK_OPEN` / :data:`MARK_CLOSE`
  that never occur in real text); :data:`MARK_RE` finds them and
  :func:`strip_markers` removes them.
* Printed markers: :data:`SUP_TAG_RE` (``<sup>N</sup>`` in Markdown/HTML-ish
  text), :data:`SUP_TAG_PATTERN` (the same element as stripped from text for
  fingerprints), :data:`FNREF_RE` / :data:`FNDEF_RE` (Markdown ``[^x]`` and
  ``[^x]:``), :data:`SUPERSCRIPTS` / :data:`SUPERSCRIPT_RE` (Unicode
  superscript digits, :func:`superscript_digits` reads them),
  :data:`GLUED_SUPERSCRIPT_RE` (superscript digits glued to a word) and the
  label shapes :data:`NOTE_LABEL_RE` (PDF) / :data:`SUP_LABEL_RE` (Markdown
  ``<sup>`` content).
* :data:`HTML_TOKEN_RE` / :func:`html_token`: the ASCII token that carries a
  marker through HTML text extraction (sentinels would not survive it).
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- inline placeholder

MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
MARK_RE = re.compile(f"{MARK_OPEN}([^{MARK_CLOSE}]*){MARK_CLOSE}")


def marker(label: str) -> str:
    """The inline placeholder for a footnote marker with ``label``."""
    return f"{MARK_OPEN}{label}{MARK_CLOSE}"


def strip_markers(text: str) -> str:
    """``text`` without inline marker placeholders."""
    return MARK_RE.sub("", text)


# ---------------------------------------------------------------- printed markers

# <sup>3</sup> as evidence of footnote markup in text
SUP_TAG_RE = re.compile(r"<sup>[^<\n]{1,12}</sup>", re.I)
# the same element, as a pattern to remove from text (may be empty, may span lines)
SUP_TAG_PATTERN = r"<sup>\s*[^<]{0,12}</sup>"
# Markdown footnote reference [^x] and definition [^x]:
FNREF_RE = re.compile(r"\[\^[^\]\s]+\](?!:)")
FNDEF_RE = re.compile(r"^\[\^[^\]\s]+\]:", re.M)

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUPERSCRIPT_TRANS = str.maketrans(SUPERSCRIPTS, "0123456789")
SUPERSCRIPT_RE = re.compile(f"[{SUPERSCRIPTS}]+")
# one to three superscript digits glued to the preceding text ("justice.¹")
GLUED_SUPERSCRIPT_RE = re.compile(rf"(?<=\S)([{SUPERSCRIPTS}]{{1,3}})")


def superscript_digits(text: str) -> str:
    """``text`` with Unicode superscript digits read as ASCII digits."""
    return text.translate(SUPERSCRIPT_TRANS)


# a whole note label as printed in PDF: 1-999, one to three symbols, or one or two letters
NOTE_LABEL_RE = re.compile(r"^(?:\d{1,3}|[*†‡§¶‖#]{1,3}|[a-z]{1,2})$")
# the content of a <sup> that is a marker label (Markdown)
SUP_LABEL_RE = re.compile(r"^\s*([0-9]{1,4}|[a-z]|[ivxlc]{1,6}|[*†‡§¶])\s*$", re.I)

# ---------------------------------------------------------------- HTML token

HTML_TOKEN_PREFIX = "ZQFN"
HTML_TOKEN_RE = re.compile(r"ZQFN(\d+)QZ")
# a run of tokens after whitespace and before punctuation (the space is dropped)
HTML_SPACE_BEFORE_TOKEN_RE = re.compile(r"\s+((?:ZQFN\d+QZ)+)(?=[.,;:!?)\]])")


def html_token(index: int) -> str:
    """The ASCII token for note reference ``index`` inside HTML text."""
    return f"ZQFN{index}QZ"
