"""Finding the sentence that carries a footnote marker."""

from __future__ import annotations

import re

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "art", "arts", "no", "nos", "p", "pp", "para", "paras", "e.g", "i.e", "cf",
    "vol", "ed", "eds", "mr", "mrs", "ms", "dr", "prof", "st", "u.s", "u.k", "u.n",
    "etc", "al", "op", "cit", "ibid", "fig", "ch", "sec", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "col", "lt", "sr", "jr",
}
_END_RE = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    before = text[: match.start()]
    word = re.search(r"([\w.]+)$", before)
    if word is None:
        return True
    token = word.group(1).lower().rstrip(".")
    if match.group(0).startswith(".") and (token in _ABBREVIATIONS or len(token) == 1):
        return False
    rest = text[match.end() :].lstrip()
    return not rest[:1].islower()


def sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the sentences of one paragraph."""
    spans = []
    start = 0
    for m in _END_RE.finditer(paragraph):
        if _is_boundary(paragraph, m):
            spans.append((start, m.end()))
            start = m.end()
            while start < len(paragraph) and paragraph[start].isspace():
                start += 1
    if start < len(paragraph):
        spans.append((start, len(paragraph)))
    return spans


def sentence_at(text: str, offset: int) -> str:
    """The sentence of ``text`` that a marker at ``offset`` belongs to.

    A marker normally follows the sentence it cites ("… justice.¹ Next"), so
    the character just before the offset decides.
    """
    if not text:
        return ""
    offset = max(0, min(offset, len(text)))
    para_start = text.rfind("\n\n", 0, offset)
    para_start = 0 if para_start < 0 else para_start + 2
    para_end = text.find("\n\n", offset)
    para_end = len(text) if para_end < 0 else para_end
    paragraph = text[para_start:para_end]
    local = max(0, offset - para_start - 1)
    for start, end in sentence_spans(paragraph):
        if start <= local < end:
            return paragraph[start:end].strip()
    return paragraph.strip()
