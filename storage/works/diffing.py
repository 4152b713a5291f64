"""Diffs of canonical texts: paragraphs added, removed and changed, with changed sentences marked.

Diffs are computed on canonical text, so a PDF and its HTML rendition, whose
canonical texts agree, diff to nothing. Paragraphs are aligned with
difflib's matcher on normalized paragraphs; inside a replaced block, each old
paragraph is paired with the most similar new one (rapidfuzz) when they are
similar enough to be "the same paragraph, edited", else they count as removed
and added.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from rapidfuzz import fuzz

from extractors.text.sentences import sentence_spans

# Two paragraphs are "the same paragraph, edited" when at least half of the
# shorter one survives (token-set overlap is robust to reordered clauses).
SAME_PARAGRAPH = 50.0


@dataclass
class SentenceChange:
    op: str  # "equal", "added", "removed"
    text: str


@dataclass
class ParagraphChange:
    op: str  # "added", "removed", "changed"
    a_index: int | None
    b_index: int | None
    a_text: str | None
    b_text: str | None
    sentences: list[SentenceChange] = field(default_factory=list)


@dataclass
class Diff:
    a_id: int | None
    b_id: int | None
    identical: bool
    stats: dict[str, int]
    changes: list[ParagraphChange]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\u2018\u2019\u201c\u201d\"'`]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _sentences(paragraph: str) -> list[str]:
    return [paragraph[s:e].strip() for s, e in sentence_spans(paragraph) if paragraph[s:e].strip()]


def sentence_diff(a: str, b: str) -> list[SentenceChange]:
    """Sentences of ``a`` and ``b`` marked equal, removed or added."""
    sa, sb = _sentences(a), _sentences(b)
    matcher = difflib.SequenceMatcher(a=[_norm(s) for s in sa], b=[_norm(s) for s in sb], autojunk=False)
    out: list[SentenceChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += [SentenceChange("equal", s) for s in sb[j1:j2]]
            continue
        out += [SentenceChange("removed", s) for s in sa[i1:i2]]
        out += [SentenceChange("added", s) for s in sb[j1:j2]]
    return out


def _pair_block(a_pars: list[str], b_pars: list[str], i1: int, j1: int) -> list[ParagraphChange]:
    """Pair the paragraphs of one replaced block, in order, by similarity."""
    changes: list[ParagraphChange] = []
    j = 0
    for i, a in enumerate(a_pars):
        best, best_score = None, SAME_PARAGRAPH
        for k in range(j, len(b_pars)):
            score = fuzz.token_set_ratio(_norm(a), _norm(b_pars[k]))
            if score >= best_score:
                best, best_score = k, score
        if best is None:
            changes.append(ParagraphChange("removed", i1 + i, None, a, None))
            continue
        for k in range(j, best):
            changes.append(ParagraphChange("added", None, j1 + k, None, b_pars[k]))
        changes.append(ParagraphChange("changed", i1 + i, j1 + best, a, b_pars[best],
                                       sentence_diff(a, b_pars[best])))
        j = best + 1
    for k in range(j, len(b_pars)):
        changes.append(ParagraphChange("added", None, j1 + k, None, b_pars[k]))
    return changes


def _same_words(a_pars: list[str], b_pars: list[str]) -> bool:
    """True when two runs of paragraphs hold the same words, only broken into paragraphs differently."""
    from storage.works.fingerprints import normalize_words

    return normalize_words("\n\n".join(a_pars)) == normalize_words("\n\n".join(b_pars))


def diff_texts(a: str, b: str, a_id: int | None = None, b_id: int | None = None) -> Diff:
    """The paragraph-level diff from ``a`` to ``b``.

    Layout is not content: when both texts hold the same normalized words
    (a PDF and its HTML rendition, paragraphs split differently at page
    breaks, hyphenation), the diff is empty; inside a changed block, runs of
    paragraphs that only differ in where they break count as unchanged.
    """
    from storage.works.fingerprints import text_key

    pa, pb = paragraphs(a), paragraphs(b)
    if text_key(a) == text_key(b):
        return Diff(a_id, b_id, True, {"unchanged": len(pb), "added": 0, "removed": 0, "changed": 0,
                                       "words_added": 0, "words_removed": 0}, [])
    matcher = difflib.SequenceMatcher(a=[_norm(p) for p in pa], b=[_norm(p) for p in pb], autojunk=False)
    changes: list[ParagraphChange] = []
    unchanged = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            unchanged += i2 - i1
        elif op == "delete":
            changes += [ParagraphChange("removed", i, None, pa[i], None) for i in range(i1, i2)]
        elif op == "insert":
            changes += [ParagraphChange("added", None, j, None, pb[j]) for j in range(j1, j2)]
        elif _same_words(pa[i1:i2], pb[j1:j2]):
            unchanged += j2 - j1
        else:
            changes += _pair_block(pa[i1:i2], pb[j1:j2], i1, j1)
    stats = {
        "unchanged": unchanged,
        "added": sum(c.op == "added" for c in changes),
        "removed": sum(c.op == "removed" for c in changes),
        "changed": sum(c.op == "changed" for c in changes),
        "words_added": sum(len((c.b_text or "").split()) for c in changes if c.op == "added")
        + sum(len(s.text.split()) for c in changes for s in c.sentences if s.op == "added"),
        "words_removed": sum(len((c.a_text or "").split()) for c in changes if c.op == "removed")
        + sum(len(s.text.split()) for c in changes for s in c.sentences if s.op == "removed"),
    }
    return Diff(a_id, b_id, not changes, stats, changes)


def render(diff: Diff) -> str:
    """A readable diff: ``-`` removed, ``+`` added, ``~`` changed with ``[-old-]{+new+}`` sentences."""
    if diff.identical:
        return "no differences in canonical text"
    lines = [f"{diff.stats['changed']} changed, {diff.stats['added']} added, {diff.stats['removed']} removed, "
             f"{diff.stats['unchanged']} unchanged paragraphs"]
    for change in diff.changes:
        if change.op == "added":
            lines.append(f"+ [{change.b_index}] {change.b_text}")
        elif change.op == "removed":
            lines.append(f"- [{change.a_index}] {change.a_text}")
        else:
            marked = " ".join(s.text if s.op == "equal" else (f"[-{s.text}-]" if s.op == "removed"
                                                               else f"{{+{s.text}+}}") for s in change.sentences)
            lines.append(f"~ [{change.a_index}→{change.b_index}] {marked}")
    return "\n".join(lines)
