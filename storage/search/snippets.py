"""Snippets and note hits, computed in Python from the original text (so both databases give the same).

A snippet is the text around the first match, on one line, with each
matching word in ``[`` ``]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.models import StoredFootnote
from storage.search.normalize import normalize, token_spans, tokens
from storage.search.query import Node, Term, positive_terms, term_matches

WINDOW_CHUNKS = 12  # words shown on each side of the match
SCAN_CHARS = 400_000  # how far into a long text a snippet is looked for
MAX_NOTES = 5


@dataclass
class NoteMatch:
    """A footnote with a match."""

    seq: int
    label: str
    snippet: str
    marker_context: str | None


def _terms(node: Node, fields: tuple[str | None, ...]) -> list[Term]:
    return [t for t in positive_terms(node) if t.field in fields]


def _scan_from(terms: Sequence[Term], text: str) -> int | None:
    """Where scanning for a match may start (``None``: no match can be in ``text``).

    Every match contains its first token as a substring of the normalised
    text; for ASCII text normalisation keeps offsets, so the scan starts
    shortly before the first such substring.
    """
    if text.isascii():
        lowered = text.lower()
        found = [i for i in (lowered.find(t.tokens[0]) for t in terms) if i >= 0]
        if not found:
            return None
        back = max(0, min(found) - 40 * WINDOW_CHUNKS)
        return lowered.rfind(" ", 0, back) + 1 if back else 0
    folded = normalize(text)
    return 0 if any(t.tokens[0] in folded for t in terms) else None


def _first_match(terms: Sequence[Term], text: str) -> tuple[list[tuple[int, int]], int, int] | None:
    """The chunks of ``text`` (start, end), and the first and last chunk of the first match."""
    chunks: list[tuple[int, int]] = []
    flat: list[tuple[str, int]] = []  # (token, chunk index)
    text = text[:SCAN_CHARS]
    begin = _scan_from(terms, text)
    if begin is None:
        return None
    for start, end, toks in token_spans(text[begin:]):
        start, end = start + begin, end + begin
        chunks.append((start, end))
        base = len(flat)
        flat.extend((tok, len(chunks) - 1) for tok in toks)
        for term in terms:  # only windows that end in this chunk are new
            n = len(term.tokens)
            for last in range(max(base, n - 1), len(flat)):
                if term_matches(term, [tok for tok, _ in flat[last - n + 1:last + 1]]):
                    return chunks, flat[last - n + 1][1], flat[last][1]
    return None


def snippet(node: Node, text: str, fields: tuple[str | None, ...] = (None,)) -> str:
    """The text around the first match of ``node``'s terms, matching words in brackets ("" when none)."""
    terms = _terms(node, fields)
    if not text or not terms:
        return ""
    found = _first_match(terms, text)
    if found is None:
        return ""
    chunks, first, last = found
    # The rest of the window (the match was found scanning forward, so later chunks may be missing).
    pos = chunks[-1][1]
    for start, end, _ in token_spans(text[pos:pos + 2000]):
        if len(chunks) > last + WINDOW_CHUNKS:
            break
        chunks.append((pos + start, pos + end))
    lo, hi = max(0, first - WINDOW_CHUNKS), min(len(chunks), last + WINDOW_CHUNKS + 1)
    before = bool(text[:chunks[lo][0]].strip())
    words = []
    for i in range(lo, hi):
        word = text[chunks[i][0]:chunks[i][1]]
        words.append(f"[{word}]" if first <= i <= last or _hit(terms, word) else word)
    more = hi < len(chunks) or bool(text[chunks[hi - 1][1]:].strip())
    return ("… " if before else "") + " ".join(words) + (" …" if more else "")


def _hit(terms: Sequence[Term], word: str) -> bool:
    toks = tokens(word)
    return any(len(t.tokens) == 1 and term_matches(t, toks) for t in terms)


def matching_notes(node: Node, notes: Sequence[StoredFootnote]) -> list[NoteMatch]:
    """The footnotes (at most :data:`MAX_NOTES`) holding a match, with the sentence their marker sits in."""
    out = []
    for note in notes:
        found = snippet(node, note.text or "", (None, "note"))
        if not found:
            continue
        marker = next((m.context for m in note.markers if m.context), None) or note.context
        out.append(NoteMatch(note.seq, note.label, found, " ".join((marker or "").split()) or None))
        if len(out) >= MAX_NOTES:
            break
    return out
