"""Repeated references: "Ibid.", "Id.", "op. cit.", "supra note N", "(previously cited)".

:func:`resolve_repeat` points a citation that repeats an earlier one at it
(``Citation.refers_to = {"note": label, "index": i}``) and lets it inherit the
fields it does not restate: "Ibid."/"Id." to the last citation of the previous
note (or the previous citation of the same note), "(previously cited)"/"op.
cit." by author and title similarity, "supra note N" to note N.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from extractors.record import Citation

IBID_RE = re.compile(r"^\s*(?:\*|_)?(?:Ibid|Ibidem|Ib\.|Id)(?:\*|_)?(?:\.|,|\s|$)", re.I)
PREV_RE = re.compile(r"\(\s*previously cited\s*\)|\bpreviously cited\b|\bop\.?\s*cit\.?|\bloc\.?\s*cit\.?", re.I)
SUPRA_RE = re.compile(r"\bsupra\b,?\s*(?:(?:note|n\.|fn\.?|footnote)\s*(\d+))?", re.I)
ABOVE_RE = re.compile(r"\b(?:see\s+)?(?:note|n\.)\s*(\d+)\s*(?:above|supra)\b", re.I)


def fold(text: str | None) -> str:
    """A comparison key: case-folded, quotes and hyphens unified, marks dropped.

    Used only for fuzzy matching; stored fields are never folded.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[‐-―\-]", " ", text)
    text = re.sub(r"[\"'“”‘’«»*_`]", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _title_score(query: str, cand: str) -> float:
    if not query or not cand:
        return 0.0
    if cand.startswith(query) and (len(cand) == len(query) or not cand[len(query)].isalnum()):
        return 100.0
    score = fuzz.ratio(query, cand)
    if len(query) < len(cand):
        score = max(score, fuzz.partial_ratio(query, cand) * 0.95)
    return score


def _match_score(cite: Citation, cand: Citation) -> float:
    q_title, c_title = fold(cite.title), fold(cand.title)
    q_author, c_author = fold(cite.author), fold(cand.author)
    if q_title:
        t = _title_score(q_title, c_title)
        # A query title may also name the work by its issuer only.
        if q_author:
            a = fuzz.ratio(q_author, c_author) if c_author else 0.0
            # The author may appear as the title of the candidate (newspapers).
            return 0.75 * t + 0.25 * a
        return t
    if q_author:
        return fuzz.ratio(q_author, c_author) if c_author else 0.0
    return 0.0


def _resolve_previous(cite: Citation, earlier: list[tuple[str, int, Citation]]) -> dict | None:
    """Best fuzzy match among earlier citations; ties go to the most recent."""
    if not cite.title and not cite.author:
        return None
    pool = [e for e in earlier if e[2].refers_to is None] or earlier
    scored = []
    for order, (label, index, cand) in enumerate(pool):
        score = _match_score(cite, cand)
        if score >= 75:
            scored.append((score, order, label, index))
    if not scored:
        return None
    best = max(s[0] for s in scored)
    near = [s for s in scored if s[0] >= best - 2.0]
    _, _, label, index = max(near, key=lambda s: s[1])
    return {"note": label, "index": index}


def _resolve_supra(cite: Citation, number: str, notes: list[tuple[str, list[Citation]]]) -> dict | None:
    for label, cites in notes:
        if label == number and cites:
            if len(cites) > 1 and (cite.title or cite.author):
                best = max(range(len(cites)), key=lambda i: _match_score(cite, cites[i]))
                return {"note": label, "index": best}
            return {"note": label, "index": 0}
    return None


def _inherit(cite: Citation, target: Citation) -> None:
    """A repeat citation takes the fields it does not restate from its target."""
    if cite.author is None:
        cite.author = target.author
    if cite.title is None:
        cite.title = target.title
    if cite.date is None:
        cite.date = target.date
    if not cite.identifiers:
        cite.identifiers = list(target.identifiers)
    if not cite.urls:
        cite.urls = list(target.urls)
    if cite.kind in (None, "other", "web", "article", "book") and target.kind:
        cite.kind = target.kind


def _lookup(done: list[tuple[str, list[Citation]]], ref: dict) -> Citation | None:
    for label, cites in done:
        if label == ref["note"] and ref["index"] < len(cites):
            return cites[ref["index"]]
    return None


def resolve_repeat(cite: Citation, piece: str, label: str, same_note: list[Citation],
                   done: list[tuple[str, list[Citation]]], earlier: list[tuple[str, int, Citation]]) -> None:
    """Set ``cite.refers_to`` when ``piece`` repeats an earlier citation, and inherit its fields.

    ``same_note`` are the citations before ``cite`` in note ``label``, ``done``
    the earlier notes' ``(label, citations)``, ``earlier`` every earlier
    ``(label, index, citation)``.
    """
    ref = None
    if IBID_RE.match(piece) and not re.match(r"^\s*Id[a-z]", piece):
        if same_note:
            ref = {"note": label, "index": len(same_note) - 1}
            target = same_note[-1]
        else:
            target = None
            for prev_label, prev_cites in reversed(done):
                if prev_cites:
                    ref = {"note": prev_label, "index": len(prev_cites) - 1}
                    target = prev_cites[-1]
                    break
        if ref and target is not None:
            cite.refers_to = ref
            # "Ibid." restates nothing: the title in the text is not a title.
            cite.title = None if cite.title is None else cite.title
            root = _lookup(done, target.refers_to) if target.refers_to else None
            _inherit(cite, root or target)
        return
    if cite.title and (PREV_RE.search(cite.title) or SUPRA_RE.search(cite.title)) and len(cite.title) < 40:
        cite.title = None  # "Author, op. cit., p. 9": no title restated
    supra = SUPRA_RE.search(piece) or ABOVE_RE.search(piece)
    if supra and supra.group(1):
        ref = _resolve_supra(cite, supra.group(1), done)
    elif PREV_RE.search(piece) or supra:
        ref = _resolve_previous(cite, earlier)
    if ref:
        cite.refers_to = ref
        target = _lookup(done, ref)
        if target is not None:
            _inherit(cite, target)
