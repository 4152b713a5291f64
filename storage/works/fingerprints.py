"""Fingerprints of a document's text: normalized words, the text key and candidate keys.

Pure functions: no database, no flow engine.  Callers store ``Fingerprint.keys``
as rows ``(document_id, key)`` in an inverted index (``storage.works.index``),
look a new document's keys up by equality, and confirm the candidates with
``storage.works.confirm.compare`` (the decision rule: rendition, revision or
unrelated).  :func:`analyze` is the normalized view of a text both sides share.

Normalization (what every key and every measure of the decision rule sees)
==========================================================================
Unicode NFKC, case-folded; HTML/XML tags and ``<sup>N</sup>`` footnote markers
removed; page-number lines (``12``, ``Page 3 of 9``) and running headers/footers
(a line of at most 12 words that occurs twice or more in the text, alone or
with one other such line -- not inside a repeated passage) dropped; words hyphenated across line ends re-joined and intra-word hyphens
removed (``inter-\\nnational`` = ``international``, ``well-known`` = ``wellknown``);
apostrophes removed; digit groups joined (``30,000`` = ``30000``); every other
run of punctuation, markup or whitespace is a word boundary.  Words are the
maximal runs of letters and digits that remain; digits are kept.

``text_key`` is the SHA-256 of the words concatenated *without* separators, so it
ignores case, punctuation, markup, whitespace and line-wrapping (including words
split or merged by a PDF extractor).  Equal keys = the same work; whether it is
the same *words* (a rendition) is decided exactly by ``storage.works.words``.

Candidate keys (for the persistent inverted index)
==================================================
At most ``2 + SENTENCE_KEYS + GRAM_KEYS`` (= 58) short strings per document:

``x:<16 hex>``  prefix of ``text_key`` -- exact renditions find each other.
``t:<16 hex>``  hash of the normalized title (when it has at least 2 words).
``s:<16 hex>``  bottom-k (k = 16) of the hashes of the document's normalized
                sentences of at least 8 words: a shared long sentence is a rare
                event between unrelated documents, and taking the k smallest
                hashes is a deterministic, edit-local sample (a sentence's key
                does not change when another sentence is edited).
``g:<16 hex>``  bottom-k (k = 40) of the hashes of *content-word 3-grams*
                (3 consecutive words after dropping English function words).

The ``g:`` keys are a bottom-k MinHash sketch (one hash function, the k smallest
values) rather than banded k-permutation MinHash LSH.  The index lives in SQL and
is queried by equality, so every key must be a single value; with bands of r > 1
rows the chance that two documents share a band falls as J^r (Jaccard J), and a
heavy rewrite has J around 0.1.  With bottom-k the expected number of shared keys
is about k x (containment of the smaller gram set in the larger) -- about 10 for
the 000/001 seed pair (containment 0.25) -- so P(no shared key) ~ exp(-10).
Dropping function words makes the grams survive the most common rewording
("the killings took place in" / "these executions took place in") and makes
them more selective.  Every document gets at most 58 rows.  Look-ups should rank
candidate documents by the number of keys they share and confirm the best few
(``compare`` is the confirmation); a key shared by very many documents (a stock
phrase) then costs one longer posting list but not more comparisons.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from extractors.text.markers import SUP_TAG_PATTERN

__all__ = [
    "Analysis",
    "Fingerprint",
    "analyze",
    "dropped_lines",
    "fingerprint",
    "normalize_words",
    "text_key",
    "title_words",
]

# ---------------------------------------------------------------- parameters
SENTENCE_KEYS = 16          # bottom-k sentence hashes
SENTENCE_KEY_MIN_WORDS = 8  # a sentence shorter than this is too common to be a key
GRAM_KEYS = 40              # bottom-k content 3-gram hashes
GRAM = 3                    # content words per anchor / gram
BOILERPLATE_LINE_MAX_WORDS = 12
BOILERPLATE_MIN_REPEATS = 2

# English function words: dropped for content grams only (text_key keeps every word).
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those which who whom whose what when where why how not no nor so than
    then there their theirs they them he she his her hers him we our ours us you your yours i me
    my mine also such into onto over under about after before between during through against among
    within without upon out up down off again further once here all any both each few more most
    other some own same only very can will just should would could may might must shall do does did
    doing done have has had having s t""".split()
)

# ---------------------------------------------------------------- normalization
# a <sup>N</sup> footnote marker (the shared pattern), else any HTML/XML tag
_TAG_RE = re.compile(SUP_TAG_PATTERN + r"|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,300})?/?>")
_PAGE_LINE_RE = re.compile(
    r"^[\s\-–—|.]*(?:(?:page|p\.|seite|página|pagina)\s*)?\d{1,4}(?:\s*(?:/|of|de|von|sur)\s*\d{1,4})?[\s\-–—|.]*$",
    re.IGNORECASE,
)
_HYPHENS = "-\u2010\u2011\u00ad"
# (each pattern starts with a literal class so that the scanner can skip ahead)
_BREAK_HYPHEN_RE = re.compile(rf"[{_HYPHENS}](?<=[^\W\d_][{_HYPHENS}])[ \t]*\n\s*(?=[^\W\d_])")
_SPACED_HYPHEN_RE = re.compile(rf"[{_HYPHENS}](?<=[^\W\d_][{_HYPHENS}])[ \t]+(?=[a-zß-ÿ])")
_DELETE_RE = re.compile(rf"[{_HYPHENS}'’ʼ‘`]+")
_DIGIT_GROUP_RE = re.compile(r"[,.\u202f\u00a0](?<=\d.)(?=\d{3}(?!\d))")
_WORD_RE = re.compile(r"[^\W_]+")
_PARA_SPLIT_RE = re.compile(r"\n[ \t]*\n\s*")
_SENT_END_RE = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"“«(\[]?[^\W_a-z])")


def _strip_boilerplate_lines(text: str) -> str:
    """Drop page-number lines and running headers/footers.

    A running header or footer is a short line (1 to 12 words) that occurs at
    least twice in the text, standing alone: a block of one or two consecutive
    repeated lines.  Three or more consecutive repeated lines are a repeated
    passage (a paragraph quoted twice, re-wrapped), which is content and stays.
    """
    lines = text.split("\n")
    sigs: list[str | None] = []  # None: blank or long line; "": page number
    counts: Counter[str] = Counter()
    for line in lines:
        stripped = line.strip()
        sig = None
        if stripped and len(stripped) <= 200:
            if _PAGE_LINE_RE.match(stripped):
                sig = ""
            else:
                sig = "".join(_WORD_RE.findall(stripped.casefold())) or None
                if sig:
                    counts[sig] += 1
        sigs.append(sig)
    drop = [sig == "" for sig in sigs]
    i = 0
    while i < len(lines):
        if sigs[i] and counts[sigs[i]] >= BOILERPLATE_MIN_REPEATS:
            j = i
            while j < len(lines) and sigs[j] and counts[sigs[j]] >= BOILERPLATE_MIN_REPEATS:
                j += 1
            if j - i <= 2 and all(
                len(_WORD_RE.findall(lines[k])) <= BOILERPLATE_LINE_MAX_WORDS for k in range(i, j)
            ):
                for k in range(i, j):
                    drop[k] = True
            i = j
        else:
            i += 1
    return "\n".join("" if d else line for line, d in zip(lines, drop))


def _prepare(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    return text


def dropped_lines(text: str) -> list[tuple[str, ...]]:
    """The normalized words of every line the normalization drops as page furniture.

    (Page numbers and running headers/footers; see the module docstring.) The
    exact word comparison uses them to tell a word the filter dropped from a
    word an editor removed.
    """
    prepared = _prepare(text or "")
    kept = _strip_boilerplate_lines(prepared).split("\n")
    return [tuple(_words(_join_broken_words(line))) for line, after in zip(prepared.split("\n"), kept)
            if line.strip() and not after.strip()]


def _clean(text: str) -> str:
    """Text with markup, boilerplate lines and hyphenation removed; case and line breaks kept."""
    return _join_broken_words(_strip_boilerplate_lines(_prepare(text)))


def _join_broken_words(text: str) -> str:
    text = _BREAK_HYPHEN_RE.sub("", text)
    text = _SPACED_HYPHEN_RE.sub("", text)
    # every remaining hyphen or apostrophe joins what surrounds it ("well-known",
    # "People's"); a free-standing one disappears between spaces
    text = _DELETE_RE.sub("", text.replace("--", " "))
    text = _DIGIT_GROUP_RE.sub("", text)
    return text


def _words(cleaned: str) -> list[str]:
    return _WORD_RE.findall(cleaned.casefold())


def normalize_words(text: str) -> list[str]:
    """The normalized words of ``text`` (see module docstring)."""
    return _words(_clean(text))


def text_key(text: str) -> str:
    """SHA-256 hex of the normalized text (words concatenated without separators)."""
    return hashlib.sha256("".join(normalize_words(text)).encode("utf-8")).hexdigest()


def _sentences(cleaned: str) -> list[list[str]]:
    """Normalized word lists of the sentences of ``cleaned`` text, in order.

    Paragraphs are split on blank lines, except where a page break cut a
    sentence (the paragraph does not end a sentence and the next starts in
    lower case); then on sentence-final punctuation followed by a capital.
    Concatenated, the sentences hold exactly the words of the text.
    """
    merged: list[str] = []
    for p in _PARA_SPLIT_RE.split(cleaned):
        p = p.strip()
        if not p:
            continue
        if merged and p[:1].islower() and not _ENDS_SENTENCE_RE.search(merged[-1]):
            merged[-1] = merged[-1] + " " + p
        else:
            merged.append(p)
    out = []
    for p in merged:
        for s in _SENT_END_RE.split(p):
            w = _WORD_RE.findall(s.casefold())
            if w:
                out.append(w)
    return out


_ENDS_SENTENCE_RE = re.compile(r"[.!?…:;\"”’)\]]$")


# ---------------------------------------------------------------- hashing
_MASK = (1 << 64) - 1


def _hash64(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")


_word_hash = lru_cache(maxsize=1 << 18)(_hash64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer on a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _gram_hashes(words: list[str], n: int = GRAM) -> np.ndarray:
    """uint64 hash of every run of ``n`` consecutive words (position order)."""
    if len(words) < n:
        return np.zeros(0, dtype=np.uint64)
    # every word through the (C) cache of word hashes: half the time of numbering the distinct words first
    h = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    with np.errstate(over="ignore"):
        acc = h[: len(h) - n + 1].copy()
        for k in range(1, n):
            acc = _mix(acc * _P1 + h[k : len(h) - n + 1 + k] * _P2 + np.uint64(k))
    return acc


def _bottom_k(values: np.ndarray, k: int) -> list[int]:
    u = np.unique(values)  # sorted
    return [int(v) for v in u[:k]]


# ---------------------------------------------------------------- analysis
@dataclass(frozen=True)
class Analysis:
    """The normalized view of one text that the keys and the decision rule are computed on."""

    words: tuple[str, ...]
    stream: str
    key: str
    content: tuple[str, ...]
    grams: np.ndarray          # content 3-gram hashes in position order
    sentences: tuple[str, ...]  # normalized sentences (words joined by spaces)

    @cached_property
    def unique_grams(self) -> np.ndarray:
        """The distinct 3-gram hashes, sorted (computed once per analysis: each is compared many times)."""
        return np.unique(self.grams)


@lru_cache(maxsize=1024)  # a grouping compares each new text with candidates that recur (~20 KB each)
def analyze(text: str) -> Analysis:
    """Normalized words, text key, content words, content 3-gram hashes and sentences of ``text`` (cached)."""
    cleaned = _clean(text or "")
    sents = _sentences(cleaned)
    words = [w for s in sents for w in s]
    stream = "".join(words)
    content = [w for w in words if w not in STOPWORDS]
    return Analysis(
        words=tuple(words),
        stream=stream,
        key=hashlib.sha256(stream.encode("utf-8")).hexdigest(),
        content=tuple(content),
        grams=_gram_hashes(content),
        sentences=tuple(" ".join(s) for s in sents),
    )


def title_words(title: str | None) -> list[str]:
    """The normalized words of a title (none for a missing title)."""
    return normalize_words(title) if title else []


# ---------------------------------------------------------------- fingerprint
@dataclass
class Fingerprint:
    text_key: str
    keys: list[str]
    size: int


def fingerprint(text: str, title: str | None = None) -> Fingerprint:
    """Text key, candidate keys (at most 58) and size in words of one document."""
    doc = analyze(text or "")
    keys: list[str] = []
    if doc.words:
        keys.append("x:" + doc.key[:16])
    tw = title_words(title)
    if len(tw) >= 2:
        keys.append("t:" + hashlib.blake2b(" ".join(tw).encode("utf-8"), digest_size=8).hexdigest())
    long_sents = [s for s in doc.sentences if s.count(" ") + 1 >= SENTENCE_KEY_MIN_WORDS]
    if long_sents:
        sh = np.fromiter(
            (_hash64(s.replace(" ", "")) for s in long_sents), dtype=np.uint64, count=len(long_sents)
        )
        keys.extend("s:%016x" % v for v in _bottom_k(sh, SENTENCE_KEYS))
    if len(doc.grams):
        keys.extend("g:%016x" % int(v) for v in doc.unique_grams[:GRAM_KEYS])
    return Fingerprint(text_key=doc.key, keys=keys, size=len(doc.words))
