"""Are two texts the same words?  The exact comparison that decides rendition or revision.

Similarity (``storage.works.confirm``) decides whether two documents are the
same *work*; it tolerates edits by design.  The *label* is evidence and is
decided here, exactly: a rendition is the same words, a revision is anything
else.  Both texts are reduced to their normalized words
(``storage.works.fingerprints.normalize_words``: case, punctuation, markup,
line breaks, hyphenation at line ends, page numbers and running headers are
layout, not words) and the word sequences are aligned (Indel opcodes).  Every
run where they differ is a *span*; a span is ignored only when it is one of
these layout differences:

``split``      the same characters with word boundaries elsewhere (a PDF
               extractor splitting or merging words: ``inter national``);
``misread``    the same word with glyph-confusable characters swapped
               (``po1itical``, ``pr0test``, ``cxecuted``: ``1``/``l``, ``0``/``o``,
               ``c``/``e``) -- never two different numbers;
``note``       a passage of at least ``NOTE_MIN_WORDS`` words that one text has
               in its body and the other has in one of its footnotes only
               (footnote placement: a note continued on the next page of a PDF
               lands in the body);
``title``      the document's title at the very start of one text only (one
               extractor keeps the title heading in the text, another moves it
               to the metadata);
``furniture``  a line the page-furniture filter dropped from the other text; or
               the same words (at least ``FURNITURE_MIN_WORDS``) inserted at two
               or more places in one text only, or right beside their own copy
               (a running header the line filter missed).

Anything else -- one digit, ``not``, a name, a date, a sentence -- is an *edit*,
and one edit makes a revision.  Numbers are compared as written digits:
``30,000`` and ``30.000`` are both ``30000``, ``3,000`` is ``3000``; a split
number (``3 2`` against ``32``) is an edit, not a split.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Indel

from storage.works.fingerprints import dropped_lines, normalize_words

__all__ = ["Span", "WordComparison", "compare_words", "EDIT", "IGNORED_KINDS"]

NOTE_MIN_WORDS = 5
FURNITURE_MIN_WORDS = 3
CONTEXT_WORDS = 6
RECORDED_SPANS = 50

EDIT = "edit"
IGNORED_KINDS = ("split", "misread", "note", "title", "furniture")

# glyphs an extractor or OCR confuses; folded before comparing a span's characters
_CONFUSABLE = str.maketrans({"1": "l", "0": "o", "c": "e"})


@dataclass(frozen=True)
class Span:
    """One run of words where the two texts differ (positions in the normalized words)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    old: tuple[str, ...]
    new: tuple[str, ...]
    kind: str = EDIT


@dataclass
class WordComparison:
    """The outcome of :func:`compare_words`."""

    same: bool
    edits: list[Span]
    ignored: dict[str, int] = field(default_factory=dict)
    words_a: int = 0
    words_b: int = 0
    contexts: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """What is stored on a document about its difference from the related version."""
        spans = []
        for span, context in zip(self.edits[:RECORDED_SPANS], self.contexts):
            spans.append({"at": span.a_start, "old": " ".join(span.old), "new": " ".join(span.new),
                          "context": context})
        return {"same_words": self.same, "edits": len(self.edits), "spans": spans,
                "ignored": dict(self.ignored), "words_a": self.words_a, "words_b": self.words_b}


def _digits(words: Iterable[str]) -> list[str]:
    return [w for w in words if w.isdigit()]


def _broken_at_line_end(pieces: tuple[str, ...], raw: str) -> bool:
    """Whether ``pieces`` stand in ``raw`` with a line break between each (a token wrapped mid-way)."""
    pattern = r"\W*\n\W*".join(re.escape(p) for p in pieces)
    return bool(re.search(pattern, raw, re.IGNORECASE))


def _is_split_or_misread(old: tuple[str, ...], new: tuple[str, ...], raw_a: str, raw_b: str) -> str | None:
    joined_a, joined_b = "".join(old), "".join(new)
    da, db = _digits(old), _digits(new)
    if da and db and da != db:  # two different numbers, however they are spelt ...
        # ... unless one was only cut by a line break (a wrapped URL: "news/2" / "019/08")
        if joined_a == joined_b and (
            (len(old) > len(new) and _broken_at_line_end(old, raw_a))
            or (len(new) > len(old) and _broken_at_line_end(new, raw_b))
        ):
            return "split"
        return None
    if joined_a == joined_b:
        return "split"
    if joined_a.translate(_CONFUSABLE) == joined_b.translate(_CONFUSABLE):
        # a pure number on both sides that differ is an edit (caught above); a
        # number against a word with letters is a misread ("l988")
        return "misread"
    return None


def _note_index(notes: Iterable[str]) -> str:
    return "\n".join(" " + " ".join(normalize_words(n)) + " " for n in notes if n)


def _in_notes(words: tuple[str, ...], index: str) -> bool:
    return len(words) >= NOTE_MIN_WORDS and (" " + " ".join(words) + " ") in index


def _raw_spans(wa: list[str], wb: list[str]) -> list[Span]:
    """Maximal runs of non-equal opcodes, as spans."""
    spans: list[Span] = []
    cur: list[int] | None = None
    for op in Indel.opcodes(wa, wb):
        if op.tag == "equal":
            if cur is not None:
                spans.append(Span(cur[0], cur[1], cur[2], cur[3], tuple(wa[cur[0]:cur[1]]), tuple(wb[cur[2]:cur[3]])))
                cur = None
            continue
        if cur is None:
            cur = [op.src_start, op.src_end, op.dest_start, op.dest_end]
        else:
            cur[1], cur[3] = op.src_end, op.dest_end
    if cur is not None:
        spans.append(Span(cur[0], cur[1], cur[2], cur[3], tuple(wa[cur[0]:cur[1]]), tuple(wb[cur[2]:cur[3]])))
    return spans


def _slide_insertions(spans: list[Span], wa: list[str], wb: list[str]) -> list[Span]:
    """Join two insertions (or two deletions) that the aligner cut around a few common words.

    ``x E y`` inserted where ``y`` ends with ``E`` is the same edit as ``x E y'``
    inserted before ``E``; one passage moved out of a note must stay one span.
    """
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if prev is not None:
            gap_a, gap_b = span.a_start - prev.a_end, span.b_start - prev.b_end
            if not prev.old and not span.old and 0 < gap_a == gap_b <= 3:
                equal = tuple(wb[prev.b_end:span.b_start])
                if span.new[-gap_b:] == equal:
                    out[-1] = Span(prev.a_start, prev.a_end, prev.b_start, span.b_end - gap_b, (),
                                   tuple(wb[prev.b_start:span.b_end - gap_b]))
                    continue
            if not prev.new and not span.new and 0 < gap_a == gap_b <= 3:
                equal = tuple(wa[prev.a_end:span.a_start])
                if span.old[-gap_a:] == equal:
                    out[-1] = Span(prev.a_start, span.a_end - gap_a, prev.b_start, prev.b_end,
                                   tuple(wa[prev.a_start:span.a_end - gap_a]), ())
                    continue
        out.append(span)
    return out


def _repeats_next_to_itself(span: Span, words: tuple[list[str], list[str]]) -> bool:
    """An inserted (or deleted) run of 3+ words that the same text has again right beside it.

    A running header that repeats the heading it stands over (seen once, so
    the line filter keeps it) -- a doubling, not new words.
    """
    if span.old and span.new:
        return False
    run, seq, start, end = (span.new, words[1], span.b_start, span.b_end) if span.new else \
        (span.old, words[0], span.a_start, span.a_end)
    n = len(run)
    return n >= FURNITURE_MIN_WORDS and (tuple(seq[end:end + n]) == run
                                         or (start >= n and tuple(seq[start - n:start]) == run))


def _line_dropped_at(run: tuple[str, ...], before: list[str], raw: str) -> bool:
    """Whether ``raw`` has ``run`` as a line of its own right after the line the words ``before`` end."""
    head = r"\W+".join(re.escape(w) for w in before[-2:]) + r"\W*\n" if before else r"\A"
    # (other dropped lines -- a page number, a running header -- may stand between)
    pattern = head + r"(?:[^\n]{0,200}\n){0,6}?\s*" + r"\W*".join(re.escape(w) for w in run) + r"\W*(?:\n|\Z)"
    return bool(re.search(pattern, raw, re.IGNORECASE))


def _classify(span: Span, furniture: Counter, notes_a: str, notes_b: str, raw: tuple[str, str],
              dropped: tuple[set, set], titles: set[tuple[str, ...]],
              words: tuple[list[str], list[str]]) -> str:
    kind = _is_split_or_misread(span.old, span.new, raw[0], raw[1])
    if kind:
        return kind
    if span.a_start == 0 and span.b_start == 0 and (not span.old or not span.new) \
            and (span.old or span.new) in titles:
        return "title"
    # words the page-furniture filter dropped from the other text (a short line seen twice,
    # a line that looks like a page number) -- at this very place of it
    if not span.new and span.old in dropped[1] and _line_dropped_at(span.old, words[1][:span.b_start], raw[1]):
        return "furniture"
    if not span.old and span.new in dropped[0] and _line_dropped_at(span.new, words[0][:span.a_start], raw[0]):
        return "furniture"
    if _repeats_next_to_itself(span, words):
        return "furniture"
    # body text of one side found only in a note of the other: footnote placement
    old_moved = not span.old or (_in_notes(span.old, notes_b) and not _in_notes(span.old, notes_a))
    new_moved = not span.new or (_in_notes(span.new, notes_a) and not _in_notes(span.new, notes_b))
    if (span.old or span.new) and old_moved and new_moved:
        return "note"
    if (not span.old or not span.new) and max(len(span.old), len(span.new)) >= FURNITURE_MIN_WORDS \
            and furniture[(span.old, span.new)] >= 2:
        return "furniture"
    return EDIT


def compare_words(a_text: str, b_text: str, a_notes: Iterable[str] = (),
                  b_notes: Iterable[str] = (), titles: Iterable[str | None] = ()) -> WordComparison:
    """Whether ``a_text`` and ``b_text`` are the same words, and the edits when not (see module docstring).

    ``a_notes`` / ``b_notes`` are the footnote texts of each document (kept out
    of the canonical text by the extractors); they only serve to recognise a
    passage that one rendition has in a note and the other in its body;
    ``titles`` (of either document) to recognise a title heading one text
    starts with and the other keeps in its metadata only.
    """
    wa, wb = normalize_words(a_text or ""), normalize_words(b_text or "")
    if wa == wb:
        return WordComparison(True, [], {}, len(wa), len(wb))
    spans = _slide_insertions(_raw_spans(wa, wb), wa, wb)
    furniture = Counter((s.old, s.new) for s in spans if not s.old or not s.new)
    notes_a, notes_b = _note_index(a_notes), _note_index(b_notes)
    edits: list[Span] = []
    ignored: Counter[str] = Counter()
    dropped = (set(dropped_lines(a_text)), set(dropped_lines(b_text)))
    title_words = {tuple(normalize_words(t)) for t in titles if t and normalize_words(t)}
    for span in spans:
        kind = _classify(span, furniture, notes_a, notes_b, (a_text, b_text), dropped, title_words, (wa, wb))
        if kind == EDIT:
            edits.append(span)
        else:
            ignored[kind] += 1
    contexts = []
    for span in edits[:RECORDED_SPANS]:
        before = wa[max(0, span.a_start - CONTEXT_WORDS):span.a_start]
        after = wa[span.a_end:span.a_end + CONTEXT_WORDS]
        contexts.append(" ".join(before + ["[-" + " ".join(span.old) + "-]{+" + " ".join(span.new) + "+}"] + after))
    return WordComparison(not edits, edits, dict(ignored), len(wa), len(wb), contexts)
