"""Format evidence shared by the text-like formats (Markdown, wikitext).

Each format counts its own features in the text (:func:`markdown_evidence`,
:func:`wikitext_evidence`), and :func:`scaled_score` turns ``(kinds, points)``
into a content score. Both formats compare the two, so the counters live here,
where both can import them.
"""

from __future__ import annotations

import re

from extractors.base import CONTENT
from extractors.text.decoding import head_text, looks_binary
from extractors.text.markers import FNDEF_RE, FNREF_RE, SUP_TAG_RE

# An HTML document (not a fragment): neither Markdown nor wikitext.
HTML_DOC_RE = re.compile(r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)

# ---------------------------------------------------------------------------
# Markdown

_MD_FEATURES: dict[str, re.Pattern[str]] = {
    "atx": re.compile(r"^ {0,3}#{1,6}[ \t]+\S.*$", re.M),
    "link": re.compile(r"(?<!\!)\[[^\]\n]+\]\((?:https?://|mailto:|/|#|\.{0,2}/?[\w-]+\.)[^)\s]*(?:\s+\"[^\"]*\")?\)"),
    "fnref": FNREF_RE,
    "fndef": FNDEF_RE,
    "sup": SUP_TAG_RE,
    "strong": re.compile(r"(?<![*\w])\*\*[^*\s][^*\n]*?\*\*(?![*\w])|(?<![_\w])__[^_\s][^_\n]*? [^_\n]*?__(?![_\w])"),
    "em": re.compile(r"(?<![*\w])\*[^*\s][^*\n]*?(?<!\s)\*(?![*\w])|(?<![_\w])_[^_\s][^_\n]*?(?<!\s)_(?![_\w])"),
    "fence": re.compile(r"^ {0,3}(?:```|~~~)", re.M),
    "code": re.compile(r"`[^`\n]+`"),
    "table": re.compile(r"^ {0,3}\|?\s*:?-{3,}:?\s*\|\s*:?-{3,}", re.M),
    "quote": re.compile(r"^ {0,3}> \S", re.M),
    "image": re.compile(r"!\[[^\]\n]*\]\([^)\s]+\)"),
    "rule": re.compile(r"^ {0,3}(?:-{3,}|\*{3,}|_{3,})\s*$", re.M),
}
# Weight of each feature kind, and the cap on how many hits count.
_MD_WEIGHTS = {"atx": 3, "link": 3, "fnref": 4, "fndef": 4, "sup": 2, "strong": 1, "em": 1,
               "fence": 3, "code": 1, "table": 4, "quote": 1, "image": 3, "rule": 1}


_SOURCE_CODE_RE = re.compile(
    r"^\s*(?:def \w+\(|class \w+[(:]|import \w|from [\w.]+ import |return\b|#include\b|"
    r"(?:public|private|static|const|let|var|function)\s+\w+|}\s*$|[\w.]+\s*=\s*[\w\[{(\"'])",
    re.M,
)


def markup_head(data: bytes) -> str | None:
    """The decoded start of ``data`` when it may be a lightweight markup (Markdown, wikitext), else None:
    empty, binary or an HTML document is neither."""
    if not data.strip() or looks_binary(data):
        return None
    text = head_text(data)
    return None if HTML_DOC_RE.search(text[:4096]) else text


def looks_like_source_code(text: str) -> bool:
    """True for program text (Python, C-like, JS), whose comments look like headings."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 5:
        return False
    code = len(_SOURCE_CODE_RE.findall(text))
    return code >= 5 and code / len(lines) > 0.15


def markdown_evidence(text: str) -> tuple[int, int]:
    """``(kinds, points)``: how many distinct Markdown features occur, and a weighted count."""
    if looks_like_source_code(strip_fences(text)):
        return 0, 0
    kinds = 0
    points = 0
    for name, regex in _MD_FEATURES.items():
        hits = len(regex.findall(text))
        if name == "rule" and hits < 2:
            hits = 0
        if name in ("em", "strong", "code", "quote") and hits < 2:
            hits = 0
        if hits:
            kinds += 1 if name not in ("rule", "em", "code", "quote") else 0
            points += _MD_WEIGHTS[name] * min(hits, 10)
    return kinds, points


_FENCED_RE = re.compile(r"^ {0,3}(```|~~~)[^\n]*\n.*?^ {0,3}\1[ \t]*$", re.M | re.S)


def strip_fences(text: str) -> str:
    """Text without fenced code blocks (code inside Markdown is not a sign of a program)."""
    return _FENCED_RE.sub("", text)


def scaled_score(kinds: int, points: int) -> int:
    """A content score from evidence: 0 without several features, up to CONTENT."""
    if kinds < 2 or points < 12:
        return 0
    return max(CONTENT // 3, min(CONTENT, CONTENT * points // 60))


# ---------------------------------------------------------------------------
# Wikitext

_WIKI_FEATURES: dict[str, re.Pattern[str]] = {
    "heading": re.compile(r"^(={1,6})[ \t]*[^=\s][^\n]*?[ \t]*\1[ \t]*$", re.M),
    "ref": re.compile(r"<ref[\s>/]|<references\b|</references>|\{\{\s*(?:reflist|notelist|sfn|efn)\b", re.I),
    "template": re.compile(r"\{\{[^{}\n|]{1,80}(?:\||\}\})"),
    # Not a bare "[[name]]" line: that is a TOML array-of-tables header.
    "link": re.compile(r"(?!^\[\[[\w.\-]+\]\][ \t]*$)\[\[[^\[\]\n]{1,250}\]\]", re.M),
    "bold": re.compile(r"'''[^'\n]{1,200}'''|(?<!')''[^'\n]{1,200}''(?!')"),
    "table": re.compile(r"^\{\|", re.M),
    "category": re.compile(r"\[\[\s*Category\s*:", re.I),
    "infobox": re.compile(r"^Infobox[^\n]*\n(?:[-*•][ \t]*[^:\n]{1,60}:[^\n]*\n){2,}", re.M),
}
_WIKI_WEIGHTS = {"heading": 3, "ref": 4, "template": 3, "link": 2, "bold": 2, "table": 4,
                 "category": 3, "infobox": 10}


def wikitext_evidence(text: str) -> tuple[int, int]:
    """``(kinds, points)``: how many distinct wikitext features occur, and a weighted count."""
    if looks_like_source_code(text):
        return 0, 0
    kinds = 0
    points = 0
    for name, regex in _WIKI_FEATURES.items():
        hits = len(regex.findall(text))
        if name == "heading" and hits < 2:
            hits = 0
        if hits:
            kinds += 1
            points += _WIKI_WEIGHTS[name] * min(hits, 10)
    return kinds, points
