"""Which documents are the same *work*: the decision rule that confirms a candidate.

Pure functions: no database, no flow engine.  Candidates come from the keys of
``storage.works.fingerprints`` (looked up in ``storage.works.index``); every
measure below is taken on the normalized text described there
(``storage.works.fingerprints.analyze``).

Vocabulary
==========
*rendition*  the same text in another format (HTML, PDF, Markdown, ...).
*revision*   an edited version of the same text (sentences added, removed,
             reworded, paragraphs moved, sections added).
*unrelated*  anything else -- including documents on the same events that share
             names, figures and quotations.

The decision rule (``compare``)
===============================
Grouping (one work or not) and labelling (rendition or revision) are separate
decisions.  *Grouping* (``same_work``) uses similarity and tolerates edits;
the *label* is evidence and is exact: once two documents are one work, they
are a rendition only if their normalized word sequences are identical up to
layout (``storage.works.words.compare_words``: line breaks, hyphenation,
page furniture, markup, footnote placement, split words, misread glyphs);
any changed, added or removed word -- a digit, "not", a name, a date -- makes
a revision, however small, and the differing spans are kept.

Both texts are normalized as above.  Then they are one work if:

1. **Near-identical**: the text keys are equal, or the character streams
   (words concatenated) are at least 99% identical (Indel similarity).
   (``longest_difference_words`` is reported: the longest run of differing
   words, a difference repeated identically at two or more places not
   counted.)  A one-word edit of a long text is near-identical -- the same
   work -- and, by the label rule, a revision.

2. **Revision** needs two things that quotation and a shared subject do not
   produce together:

   a. *Order* -- the shared material is in the same order in both texts.
      Anchors are content-word 3-grams that occur exactly once in each text (as
      in patience diff).  If the texts were independent, the m shared anchors
      would be in unrelated orders; the probability that a longest increasing
      chain of length L or more appears by chance is at most C(m, L) / L!
      (expected number of increasing L-subsets of a random order).  We require
      that bound to be <= 1e-9: even at a billion candidate comparisons an
      ordered chain this long does not happen by accident.  (For a perfectly
      ordered chain that means L >= 13 anchors.)

   b. *Spread* -- a revision of a text is that text throughout, edited; a
      document that quotes another, or tells the same story with the same
      names, shares isolated passages.  Anchors are chained (the longest
      increasing chain, then again on what is left, to follow moved paragraphs)
      and grouped into *aligned passages*: consecutive chained anchors at most
      ``RUN_GAP`` = 20 content words apart in both texts (about two
      sentences: an edited sentence between two kept ones does not break the
      passage); a passage needs at least 2 anchors.  Each text is cut into
      blocks of ``BLOCK`` = 50 content words (about a paragraph of 100 words);
      the *spread* of a text is the fraction of its blocks that hold at least
      2 anchors of one aligned passage (a passage across a block boundary
      counts where its anchors are, not in both blocks for one anchor), its
      *coverage* the fraction of its content words inside aligned passages.
      We require

        spread(shorter) >= 1/2  and  ( in place  or  coverage(shorter) >= 1/2 )

        in place:  spread(longer) >= 1/2  and  at least 3 aligned passages
                   and  coverage(shorter) >= 1/4

      i.e. most paragraphs of the shorter text still carry text of the other,
      in order, and either the texts correspond throughout *both* (rewritten
      in place -- even a heavy rewrite keeps names, figures and phrases in
      every paragraph, so in several places and a fair share of the words)
      or most of the shorter text survives in the longer (an expanded stub,
      an abridgement).  "Most" (1/2) is the plain meaning of "an edited
      version of it" as opposed to "a document that reuses parts of it".  A
      document quoting passages of another fails both alternatives: its
      quotations are a minority of its own words, one passage each, and touch
      few paragraphs of the source.  The passage count and the coverage floor
      of "in place" are what keeps two *short* texts quoting the same two
      sentences apart: a text of two or three blocks has two or three
      paragraphs, and two quotations can touch half of them in both texts
      (``tests/fixtures/revisions/quoting_short_*.txt``; before these two
      conditions such pairs were revisions).

   c. *Title* -- a distinctive title (>= 3 words) that is near-identical in both
      documents (token-sort ratio >= 90) is separate evidence of identity, given
      by the authors themselves; it lowers the 1/2 bars to 1/3 (and the 1/4
      floor to 1/6).  A different or
      missing title is not evidence against (articles are renamed, PDFs lose
      their titles).

3. Otherwise **unrelated**.

``score`` (0..1) is 1.0 for a rendition, the character similarity for a
near-identical revision, otherwise
``min(1, -log10(p) / 9) * min(spread(shorter), max(through, coverage(shorter)))``,
where ``through`` is spread(longer) when the pair has the passages and the
coverage "in place" asks for, else 0 -- the weakest of the conditions above,
so a revision scores at least 1/2 (1/3 with a matching title) and unrelated
documents score low.

``reasons`` records every measure, including two that are reported but not used
in the decision because they are subsumed by the passage alignment: gram
containment (share of the smaller set of content 3-grams found in the other)
and sentence alignment (share of the shorter text's sentences with a
near-identical counterpart, rapidfuzz ratio >= 90, and the share of those that
are in the same order).

None of these numbers was fitted to the seed corpus; the seed pairs are far
from every bar (see tests/test_similarity.py for the measured values).

Limitations: a short document reproduced in full inside a much longer one
(a press release printed as an annex of a report) joins its work, exactly as a
stub joins its expanded article -- the text alone cannot tell them apart.  Very
short texts (fewer than ~13 content 3-grams kept in order) can only be
renditions.  Stop words are English; other languages are compared on all words,
which is less tolerant of rewording.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from storage.works.fingerprints import GRAM, Analysis, analyze, title_words
from storage.works.words import WordComparison, compare_words

__all__ = [
    "Comparison",
    "compare",
    "same_work",
    "RENDITION",
    "REVISION",
    "UNRELATED",
]

RENDITION = "rendition"
REVISION = "revision"
UNRELATED = "unrelated"

# ---------------------------------------------------------------- parameters
RUN_GAP = 20                # content words between anchors of one aligned passage
RUN_MIN_ANCHORS = 2
BLOCK = 50                  # content words per block of the shorter text
SPREAD_REQUIRED = 0.5
SPREAD_REQUIRED_WITH_TITLE = 1 / 3
IN_PLACE_MIN_PASSAGES = 3  # aligned passages of a text rewritten in place (two are two quotations)
IN_PLACE_COVERAGE = 1 / 2  # of the required spread: the share of the shorter text an in-place rewrite keeps
ORDER_LOG10_P = -9.0        # ordered chain must be this improbable by chance
CHAIN_ROUNDS = 4            # longest chain, then chains of what is left (moved blocks)
NEAR_EXACT_SIMILARITY = 0.99
NOISE_MAX_WORDS = 3
TITLE_MIN_WORDS = 3
TITLE_RATIO = 90
SENTENCE_RATIO = 90
SENTENCE_MIN_WORDS = 5

# ---------------------------------------------------------------- alignment
def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain of ``pairs`` (sorted by first) increasing in the second."""
    tails: list[int] = []
    tails_at: list[int] = []
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        p = bisect.bisect_left(tails, j)
        if p == len(tails):
            tails.append(j)
            tails_at.append(k)
        else:
            tails[p] = j
            tails_at[p] = k
        prev[k] = tails_at[p - 1] if p > 0 else -1
    chain = []
    k = tails_at[-1] if tails_at else -1
    while k != -1:
        chain.append(pairs[k])
        k = prev[k]
    return chain[::-1]


def _log10_chance_of_order(m: int, chain: int) -> float:
    """log10 of the bound C(m, L) / L! on P(LIS >= L) for m anchors in random order."""
    if m == 0 or chain == 0:
        return 0.0
    lg = math.lgamma
    ln = lg(m + 1) - lg(chain + 1) - lg(m - chain + 1) - lg(chain + 1)
    return min(0.0, ln / math.log(10))


def _unique_positions(grams: np.ndarray) -> dict[int, int]:
    if not len(grams):
        return {}
    u, idx, cnt = np.unique(grams, return_index=True, return_counts=True)
    sel = cnt == 1
    return dict(zip(u[sel].tolist(), idx[sel].tolist()))


def _upper_bounds(a: Analysis, b: Analysis) -> tuple[float, int]:
    """Upper bounds on the shorter text's spread (see :func:`_align`) and on the number of shared anchors.

    The spread bound counts the blocks holding any 3-gram of the other text:
    aligned passages are made of shared anchors, so they hit no other block.
    The anchors (3-grams once in each text) are at most the shorter text's
    3-grams found in the other. Costs a binary search per 3-gram, where the
    alignment costs two ``unique`` and the chains.
    """
    short, other = (a, b) if (len(a.content), a.key) <= (len(b.content), b.key) else (b, a)
    n_words = len(short.content)
    if n_words == 0 or not len(short.grams) or not len(other.grams):
        return 0.0, 0
    nb = max(1, round(n_words / BLOCK))
    seen = other.unique_grams  # sorted: a binary search per 3-gram, not a sort of both texts per pair
    found = np.minimum(np.searchsorted(seen, short.grams), len(seen) - 1)
    positions = np.flatnonzero(seen[found] == short.grams)
    if not len(positions):
        return 0.0, 0
    blocks = np.minimum(nb - 1, positions * nb // n_words)
    return len(np.unique(blocks)) / nb, len(positions)


def _align(a: Analysis, b: Analysis) -> dict:
    pa, pb = _unique_positions(a.grams), _unique_positions(b.grams)
    shared = sorted((pa[g], pb[g]) for g in pa.keys() & pb.keys())
    m = len(shared)
    remaining = shared
    runs: list[list[tuple[int, int]]] = []
    first_chain = 0
    for rnd in range(CHAIN_ROUNDS):
        if len(remaining) < RUN_MIN_ANCHORS:
            break
        chain = _lis(remaining)
        if rnd == 0:
            first_chain = len(chain)
        cur: list[tuple[int, int]] = []
        for p in chain:
            if cur and p[0] - cur[-1][0] <= RUN_GAP and 0 < p[1] - cur[-1][1] <= RUN_GAP:
                cur.append(p)
            else:
                if len(cur) >= RUN_MIN_ANCHORS:
                    runs.append(cur)
                cur = [p]
        if len(cur) >= RUN_MIN_ANCHORS:
            runs.append(cur)
        used = set(chain)
        remaining = [p for p in remaining if p not in used]

    def spread_and_cover(side: int, n_words: int) -> tuple[float, float]:
        if n_words == 0:
            return 0.0, 0.0
        nb = max(1, round(n_words / BLOCK))
        hit: set[int] = set()
        covered = 0
        for r in runs:
            # a block carries a passage when it holds RUN_MIN_ANCHORS of its anchors: a quoted sentence
            # across a block boundary is in one block, not two
            anchors_in = Counter(min(nb - 1, p[side] * nb // n_words) for p in r)
            hit.update(block for block, n in anchors_in.items() if n >= RUN_MIN_ANCHORS)
            covered += r[-1][side] + GRAM - r[0][side]
        return len(hit) / nb, min(1.0, covered / n_words)

    spread_a, cover_a = spread_and_cover(0, len(a.content))
    spread_b, cover_b = spread_and_cover(1, len(b.content))
    sa, sb = set(a.grams.tolist()), set(b.grams.tolist())
    containment = len(sa & sb) / min(len(sa), len(sb)) if sa and sb else 0.0
    return {
        "shared_anchors": m,
        "ordered_chain": first_chain,
        "log10_p_order": round(_log10_chance_of_order(m, first_chain), 2),
        "passages": len(runs),
        "spread_a": spread_a,
        "spread_b": spread_b,
        "coverage_a": cover_a,
        "coverage_b": cover_b,
        "gram_containment": containment,
    }


def _sentence_alignment(a: Analysis, b: Analysis) -> dict:
    sa = [s for s in a.sentences if s.count(" ") + 1 >= SENTENCE_MIN_WORDS]
    sb = [s for s in b.sentences if s.count(" ") + 1 >= SENTENCE_MIN_WORDS]
    if not sa or not sb:
        return {"sentences_matched": 0.0, "sentences_in_order": 0.0}
    swap = len(sa) > len(sb)
    short, long_ = (sb, sa) if swap else (sa, sb)
    exact = {s: j for j, s in enumerate(long_)}
    pairs = []
    todo = []
    for i, s in enumerate(short):
        if s in exact:
            pairs.append((i, exact[s]))
        else:
            todo.append(i)
    if todo and len(todo) * len(long_) <= 400_000:
        scores = process.cdist(
            [short[i] for i in todo], long_, scorer=fuzz.ratio, score_cutoff=SENTENCE_RATIO, dtype=np.uint8
        )
        best = scores.argmax(axis=1)
        for row, i in enumerate(todo):
            j = int(best[row])
            if scores[row, j] >= SENTENCE_RATIO:
                pairs.append((i, j))
    pairs.sort()
    chain = _lis(pairs)
    return {
        "sentences_matched": len(pairs) / len(short),
        "sentences_in_order": len(chain) / len(short),
    }


def _longest_noise_run(a: Analysis, b: Analysis) -> int:
    """Longest run of words in which the two word sequences differ.

    A run that differs identically at two or more places (the same words
    inserted twice: a running header, a repeated list line left in one
    rendition) is boilerplate, not an edit, and is ignored.
    """
    runs: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for tag, i1, i2, j1, j2 in Indel.opcodes(list(a.words), list(b.words)):
        if tag != "equal":
            runs.append((a.words[i1:i2], b.words[j1:j2]))
    seen = Counter(runs)
    return max((max(len(x), len(y)) for x, y in runs if seen[(x, y)] < 2), default=0)


# ---------------------------------------------------------------- compare
@dataclass
class Comparison:
    level: str
    score: float
    reasons: dict = field(default_factory=dict)
    words: WordComparison | None = None


def compare(
    a_text: str, b_text: str, a_title: str | None = None, b_title: str | None = None,
    a_notes: Iterable[str] = (), b_notes: Iterable[str] = (), explain: bool = True,
) -> Comparison:
    """Rendition, revision or unrelated -- the rule is in the module docstring.

    Whether the two are one work is decided by :func:`same_work` (similarity);
    the label by an exact comparison of normalized words
    (``storage.works.words.compare_words``, given the footnote texts of each
    side): a rendition is the same words, any edit makes a revision.
    ``explain=False`` leaves out of an *unrelated* result's reasons the
    measures that do not decide (the sentence alignment): grouping keeps the
    reasons of matches only.
    """
    a, b = analyze(a_text or ""), analyze(b_text or "")
    reasons: dict = {"words_a": len(a.words), "words_b": len(b.words)}
    if not a.words or not b.words:
        reasons["rule"] = "empty text"
        return Comparison(UNRELATED, 0.0, reasons)
    joined, score = same_work(a, b, a_title, b_title, reasons, explain)
    if not joined:
        return Comparison(UNRELATED, score, reasons)
    words = compare_words(a_text, b_text, a_notes, b_notes, (a_title, b_title))
    reasons["same_words"] = words.same
    reasons["word_edits"] = len(words.edits)
    if words.ignored:
        reasons["layout_differences"] = dict(words.ignored)
    if words.same:
        return Comparison(RENDITION, 1.0, reasons, words)
    return Comparison(REVISION, min(score, 0.9999), reasons, words)


def same_work(a: Analysis, b: Analysis, a_title: str | None, b_title: str | None,
              reasons: dict, explain: bool = True) -> tuple[bool, float]:
    """Whether two analysed texts are one work, and the score; measures go into ``reasons``
    (the sentence alignment, which informs but does not decide, only for a match unless ``explain``)."""
    if a.key == b.key:
        reasons["rule"] = "equal text keys"
        return True, 1.0

    la, lb = len(a.stream), len(b.stream)
    if min(la, lb) / max(la, lb) >= NEAR_EXACT_SIMILARITY - 0.01:
        sim = Indel.normalized_similarity(a.stream, b.stream, score_cutoff=NEAR_EXACT_SIMILARITY)
        reasons["char_similarity"] = round(sim, 4)
        if sim >= NEAR_EXACT_SIMILARITY:
            reasons["longest_difference_words"] = _longest_noise_run(a, b)
            reasons["rule"] = "near-identical text"
            return True, round(sim, 4)

    if not explain:  # two exact rejections before the alignment: most candidates only share a quoted passage
        bound, anchors = _upper_bounds(a, b)
        if bound < min(SPREAD_REQUIRED, SPREAD_REQUIRED_WITH_TITLE):
            reasons["spread_bound"] = round(bound, 4)
            reasons["rule"] = "shared text in too few blocks of the shorter text"
            return False, 0.0
        # the likeliest order of m anchors by chance is all of them in one chain: 1/m!
        if _log10_chance_of_order(anchors, anchors) > ORDER_LOG10_P:
            reasons["anchors_bound"] = anchors
            reasons["rule"] = "too few shared anchors for an order beyond chance"
            return False, 0.0

    # align in a canonical order so that compare(a, b) and compare(b, a) agree exactly
    if a.key <= b.key:
        al = _align(a, b)
    else:
        al = _align(b, a)
        for k in ("spread", "coverage"):
            al[f"{k}_a"], al[f"{k}_b"] = al[f"{k}_b"], al[f"{k}_a"]
    short_is_a = (len(a.content), a.key) <= (len(b.content), b.key)
    spread = al["spread_a"] if short_is_a else al["spread_b"]
    reasons.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in al.items()})
    reasons["spread_shorter"] = round(spread, 4)  # decided below, with spread_longer

    ta, tb = title_words(a_title), title_words(b_title)
    title_match = False
    if ta and tb:
        ratio = fuzz.token_sort_ratio(" ".join(ta), " ".join(tb))
        reasons["title_ratio"] = round(ratio, 1)
        title_match = min(len(ta), len(tb)) >= TITLE_MIN_WORDS and ratio >= TITLE_RATIO
    reasons["title_match"] = title_match

    order_ok = al["log10_p_order"] <= ORDER_LOG10_P
    required = SPREAD_REQUIRED_WITH_TITLE if title_match else SPREAD_REQUIRED
    spread_long = al["spread_b"] if short_is_a else al["spread_a"]
    coverage_short = al["coverage_a"] if short_is_a else al["coverage_b"]
    reasons["spread_longer"] = round(spread_long, 4)
    reasons["coverage_shorter"] = round(coverage_short, 4)
    reasons["required"] = round(required, 4)
    reasons["order_significant"] = order_ok
    # rewritten in place: passages run through both texts, in several places, holding some of the shorter
    # text (a short text has few blocks: two quoted sentences can touch half of them)
    several = al["passages"] >= IN_PLACE_MIN_PASSAGES and coverage_short >= required * IN_PLACE_COVERAGE
    through = spread_long if several else 0.0
    in_place = through >= required
    contained = coverage_short >= required   # extended or abridged: the shorter is mostly kept
    score = max(0.0, min(1.0, al["log10_p_order"] / ORDER_LOG10_P)) * min(
        spread, max(through, coverage_short)
    )
    joined = order_ok and spread >= required and (in_place or contained)
    if joined or explain:
        reasons.update({k: round(v, 4) for k, v in _sentence_alignment(a, b).items()})
    if joined:
        reasons["rule"] = (
            "aligned passages in order through both texts" if in_place
            else "most of the shorter text kept in order in the longer"
        )
        return True, round(score, 4)
    reasons["rule"] = "not enough ordered, spread-out shared text"
    return False, round(score, 4)
