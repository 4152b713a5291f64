"""Diffs of canonical texts: paragraphs added, removed and changed, with changed sentences marked.

Inside a changed paragraph, a removed sentence and the added sentence that
replaces it (similar enough to be the same sentence, edited) form one
*changed* sentence whose words are marked (``[-30,000-]{+3,000+}``), so a
one-word edit is visible without comparing two long sentences.  Every diff
carries a *summary* that lists, first, the changes that alter what a text
asserts: figures, dates, names and negations (``figures changed: 30,000 →
3,000``, ``negation added: not``).

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
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from extractors.text.sentences import sentence_spans

if TYPE_CHECKING:
    from storage.models import Document

# Two paragraphs are "the same paragraph, edited" when at least half of the
# shorter one survives (token-set overlap is robust to reordered clauses).
SAME_PARAGRAPH = 50.0


# A removed and an added sentence are "the same sentence, edited" at this similarity.
SAME_SENTENCE = 60.0
SUMMARY_ITEMS = 10          # at most this many entries per kind in a summary
NAME_SPAN_MAX_TOKENS = 6    # names are read only from short replaced spans
CONTEXT_TOKENS = 4


@dataclass
class WordChange:
    op: str  # "equal", "added", "removed"
    text: str


@dataclass
class SentenceChange:
    op: str  # "equal", "added", "removed", "changed"
    text: str
    words: list[WordChange] = field(default_factory=list)  # for "changed": the words, marked


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
    summary: list[str] = field(default_factory=list)
    derivation: dict[str, Any] | None = None  # what the diff was computed from, by what (set by diff_documents)

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


def word_marks(a: str, b: str) -> list[WordChange]:
    """The words (whitespace-separated, punctuation kept) of ``a`` and ``b`` marked equal, removed or added."""
    wa, wb = a.split(), b.split()
    out: list[WordChange] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        if removed:
            out.append(WordChange("removed", " ".join(removed)))
        if added:
            out.append(WordChange("added", " ".join(added)))
        removed.clear()
        added.clear()

    for op in Indel.opcodes([_norm(w) for w in wa], [_norm(w) for w in wb]):
        if op.tag == "equal":
            flush()
            out.append(WordChange("equal", " ".join(wb[op.dest_start:op.dest_end])))
        else:
            removed.extend(wa[op.src_start:op.src_end])
            added.extend(wb[op.dest_start:op.dest_end])
    flush()
    return out


def _replaced_sentences(sa: list[str], sb: list[str]) -> list[SentenceChange]:
    """One replaced run of sentences: pairs that are the same sentence edited become "changed"."""
    out: list[SentenceChange] = []
    j = 0
    for a in sa:
        best, best_score = None, SAME_SENTENCE
        for k in range(j, len(sb)):
            score = fuzz.ratio(_norm(a), _norm(sb[k]))
            if score >= best_score:
                best, best_score = k, score
        if best is None:
            out.append(SentenceChange("removed", a))
            continue
        out += [SentenceChange("added", s) for s in sb[j:best]]
        out.append(SentenceChange("changed", sb[best], word_marks(a, sb[best])))
        j = best + 1
    out += [SentenceChange("added", s) for s in sb[j:]]
    return out


def sentence_diff(a: str, b: str) -> list[SentenceChange]:
    """Sentences of ``a`` and ``b`` marked equal, removed, added, or changed (with word marks)."""
    sa, sb = _sentences(a), _sentences(b)
    matcher = difflib.SequenceMatcher(a=[_norm(s) for s in sa], b=[_norm(s) for s in sb], autojunk=False)
    out: list[SentenceChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += [SentenceChange("equal", s) for s in sb[j1:j2]]
        elif op == "replace":
            out += _replaced_sentences(sa[i1:i2], sb[j1:j2])
        else:
            out += [SentenceChange("removed", s) for s in sa[i1:i2]]
            out += [SentenceChange("added", s) for s in sb[j1:j2]]
    return out


# ---------------------------------------------------------------- what the change asserts
_TOKEN_RE = re.compile(r"[^\W_]+(?:[.,'’\u00a0\u202f][^\W_]+)*")
_DIGIT_SEP_RE = re.compile(r"(?<=\d)[,.\u00a0\u202f](?=\d)")
NEGATIONS = frozenset(
    "not no never nor none neither nobody nothing nowhere without cannot deny denied denies".split())


def _token_key(token: str) -> str:
    return _DIGIT_SEP_RE.sub("", token.casefold().replace("’", "'"))


def _is_negation(token: str) -> bool:
    key = token.casefold().replace("’", "'")
    return key in NEGATIONS or key.endswith("n't")


def _is_date_token(token: str) -> bool:
    from extractors.text.dates import ENGLISH_MONTHS

    key = token.casefold().rstrip(".")
    return key in ENGLISH_MONTHS or (token.isdigit() and len(token) == 4 and 1000 <= int(token) <= 2999)


def _is_name(token: str) -> bool:
    from storage.works.fingerprints import STOPWORDS

    return token[:1].isupper() and not token.isupper() and token.casefold() not in STOPWORDS \
        and not any(c.isdigit() for c in token)


def _spans(a: str, b: str) -> list[tuple[list[str], list[str], list[str], list[str]]]:
    """Differing token runs of ``a`` and ``b``: (old, new, tokens before, tokens after)."""
    ta, tb = _TOKEN_RE.findall(a or ""), _TOKEN_RE.findall(b or "")
    out = []
    cur: list[int] | None = None
    ops = list(Indel.opcodes([_token_key(t) for t in ta], [_token_key(t) for t in tb]))
    for op in ops + [None]:
        if op is not None and op.tag != "equal":
            cur = [op.src_start, op.src_end, op.dest_start, op.dest_end] if cur is None else \
                [cur[0], op.src_end, cur[2], op.dest_end]
            continue
        if cur is not None:
            out.append((ta[cur[0]:cur[1]], tb[cur[2]:cur[3]],
                        ta[max(0, cur[0] - CONTEXT_TOKENS):cur[0]], ta[cur[1]:cur[1] + CONTEXT_TOKENS]))
            cur = None
    return out


def _shown(tokens: list[str], limit: int = 6) -> str:
    return " ".join(tokens[:limit]) + (f" … (+{len(tokens) - limit})" if len(tokens) > limit else "")


def _change(kind: str, old: list[str], new: list[str]) -> str | None:
    if old == new:
        return None
    if old and new:
        return f"{kind} changed: {_shown(old)} → {_shown(new)}"
    return f"{kind} {'removed' if old else 'added'}: {_shown(old or new)}"


def meaning_summary(a: str, b: str) -> list[str]:
    """The changes from ``a`` to ``b`` that alter what the text asserts, most telling first.

    Figures (any token with a digit that is not a year), dates (years and
    month names, and numbers next to a month), names (capitalized words of
    short replaced spans) and negations ("not", "never", "no", "n't" ...),
    each with the old and the new form; at most ``SUMMARY_ITEMS`` per kind.
    """
    kinds: dict[str, list[str]] = {"figures": [], "dates": [], "names": [], "negation": []}
    for old, new, before, after in _spans(a, b):
        near_month = any(_is_date_token(t) and not t.isdigit() for t in before[-1:] + after[:1] + old + new)

        def date_like(t: str) -> bool:
            return _is_date_token(t) or (near_month and t.isdigit() and len(t) <= 2)

        figures = ([t for t in old if any(c.isdigit() for c in t) and not date_like(t)],
                   [t for t in new if any(c.isdigit() for c in t) and not date_like(t)])
        dates = ([t for t in old if date_like(t)], [t for t in new if date_like(t)])
        names = ([t for t in old if _is_name(t)], [t for t in new if _is_name(t)]) \
            if max(len(old), len(new)) <= NAME_SPAN_MAX_TOKENS else ([], [])
        for kind, (o, n) in (("figures", figures), ("dates", dates), ("names", names)):
            line = _change(kind, o, n)
            if line:
                kinds[kind].append(line)
        neg_old, neg_new = [t for t in old if _is_negation(t)], [t for t in new if _is_negation(t)]
        if len(neg_old) != len(neg_new) or [t.casefold() for t in neg_old] != [t.casefold() for t in neg_new]:
            where = " ".join(before + ["[" + " ".join(old) + " → " + " ".join(new) + "]"] + after)
            line = _change("negation", neg_old, neg_new)
            kinds["negation"].append(f"{line} ({where})")
    return [line for lines in kinds.values() for line in lines[:SUMMARY_ITEMS]]


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


def diff_texts(a: str, b: str, a_id: int | None = None, b_id: int | None = None,
               a_notes: Iterable[str] = (), b_notes: Iterable[str] = ()) -> Diff:
    """The paragraph-level diff from ``a`` to ``b``.

    Layout is not content: when both texts hold the same normalized words
    (a PDF and its HTML rendition, paragraphs split differently at page
    breaks, hyphenation, a note's text in the body of one and in a footnote of
    the other -- given the note texts ``a_notes`` / ``b_notes``), the diff is
    empty; inside a changed block, runs of paragraphs that only differ in
    where they break count as unchanged.
    """
    from storage.works.fingerprints import text_key
    from storage.works.words import compare_words

    pa, pb = paragraphs(a), paragraphs(b)
    if text_key(a) == text_key(b) or compare_words(a, b, a_notes, b_notes).same:
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
        + sum(len(s.text.split()) for c in changes for s in c.sentences if s.op == "added")
        + sum(len(w.text.split()) for c in changes for s in c.sentences for w in s.words if w.op == "added"),
        "words_removed": sum(len((c.a_text or "").split()) for c in changes if c.op == "removed")
        + sum(len(s.text.split()) for c in changes for s in c.sentences if s.op == "removed")
        + sum(len(w.text.split()) for c in changes for s in c.sentences for w in s.words if w.op == "removed"),
    }
    return Diff(a_id, b_id, not changes, stats, changes, meaning_summary(a, b) if changes else [])


def render(diff: Diff) -> str:
    """A readable diff: ``-`` removed, ``+`` added, ``~`` changed with ``[-old-]{+new+}`` sentences."""
    if diff.identical:
        return "no differences in canonical text"
    lines = list(diff.summary)
    lines.append(f"{diff.stats['changed']} changed, {diff.stats['added']} added, {diff.stats['removed']} removed, "
                 f"{diff.stats['unchanged']} unchanged paragraphs")
    for change in diff.changes:
        if change.op == "added":
            lines.append(f"+ [{change.b_index}] {change.b_text}")
        elif change.op == "removed":
            lines.append(f"- [{change.a_index}] {change.a_text}")
        else:
            marked = " ".join(_mark(s) for s in change.sentences)
            lines.append(f"~ [{change.a_index}→{change.b_index}] {marked}")
    return "\n".join(lines)


def _mark(change: SentenceChange | WordChange) -> str:
    if isinstance(change, SentenceChange) and change.op == "changed":
        return " ".join(_mark(w) for w in change.words)
    if change.op == "equal":
        return change.text
    return f"[-{change.text}-]" if change.op == "removed" else f"{{+{change.text}+}}"


def diff_documents(doc_a: Document, doc_b: Document) -> Diff:
    """The diff from ``doc_a``'s canonical text to ``doc_b``'s (``archivist diff`` and the web interface),
    with its derivation: the two texts by SHA-256 and the tool and version that compared them."""
    from storage.provenance import archivist_version

    result = diff_texts(doc_a.text or "", doc_b.text or "", doc_a.id, doc_b.id,
                        [n.text for n in doc_a.footnotes], [n.text for n in doc_b.footnotes])
    result.derivation = {
        "from": [{"document_id": d.id, "sha256": d.sha256, "text_sha256": d.text_sha256} for d in (doc_a, doc_b)],
        "tool": {"name": "archivist diff", "version": archivist_version(),
                 "method": "paragraphs (difflib), words inside changed sentences; layout set aside"},
    }
    return result
