"""The trained reference labeller: a linear-chain CRF (python-crfsuite) over reference tokens.

:func:`tag_reference` labels each token of a reference with one of
``author, title, container, publisher, place, volume, issue, pages, url,
identifier, date, accessed`` or ``O`` and returns the fields as the exact
substrings of the reference. The model file ships in the package
(``model/citations.crfsuite``); it is opened once, on first use. It is
rebuilt and retrained with the scripts in ``tests/devsets/citations/``.

Results are cached by reference text (:data:`CACHE_SIZE` texts of up to
:data:`CACHE_MAX_CHARS` characters): the versions
of a page repeat most of their notes, and labelling is deterministic.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import pycrfsuite

from extractors.citations.features import Token, features, tokenize
from extractors.errors import ExtractionError

MODEL_PATH = Path(__file__).resolve().parent / "model" / "citations.crfsuite"
_LOCK = threading.Lock()
_TRIM = " ,;:.([{)]}<>“”‘’\"'«»*_"
_ENTRY_NUMBER_RE = re.compile(r"\s*(?:\(\d{1,3}\)|\[\d{1,3}\]|\d{1,3}\.(?=\s))")
# reference texts whose fields are kept, and the longest text kept (longer ones are not cached)
CACHE_SIZE = 4096
CACHE_MAX_CHARS = 2000


class TaggerModelError(ExtractionError):
    """The shipped CRF model cannot be opened (an installation without the package data)."""


@lru_cache(maxsize=1)
def _tagger() -> pycrfsuite.Tagger:
    tagger = pycrfsuite.Tagger()
    try:
        tagger.open(str(MODEL_PATH))
    except (OSError, ValueError) as exc:
        raise TaggerModelError(f"cannot open the citation model {MODEL_PATH}: {exc}") from exc
    return tagger


def label_tokens(tokens: list[Token]) -> tuple[list[str], list[float]]:
    """Each token's label and the marginal probability of that label."""
    if not tokens:
        return [], []
    with _LOCK:  # a crfsuite Tagger holds the last sequence: one caller at a time
        tagger = _tagger()
        labels = tagger.tag(features(tokens))
        probs = [tagger.marginal(label, i) for i, label in enumerate(labels)]
    return labels, probs


def clean_field(text: str) -> str:
    """A field value as printed, without the punctuation around it (brackets it opens are closed)."""
    text = re.sub(r"\s+", " ", text).strip(_TRIM)
    # A closing bracket or quote is kept when the field opens it: "Derecho (1990–2000)".
    for opening, closing in ("()", "[]", "“”", "‘’"):
        if text.count(opening) > text.count(closing):
            text += closing
    return text


def tag_reference(text: str) -> dict[str, list[tuple[str, float]]]:
    """Fields of ``text``: ``{label: [(value, confidence), …]}`` in order of appearance.

    A value is the substring from its first to its last token (so punctuation
    inside an author list or a title is kept), trimmed of surrounding
    punctuation; confidence is the lowest token marginal inside it. The dict
    and its lists are the caller's own (the cache keeps immutable copies).
    """
    fields = _cached_fields(text) if len(text) <= CACHE_MAX_CHARS else _fields(text).items()
    return {label: list(values) for label, values in fields}


def clear_cache() -> None:
    """Forget the cached results (benchmarks measuring the first sight of a text)."""
    _cached_fields.cache_clear()


@lru_cache(maxsize=CACHE_SIZE)
def _cached_fields(text: str) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    return tuple((label, tuple(values)) for label, values in _fields(text).items())


def _fields(text: str) -> dict[str, list[tuple[str, float]]]:
    tokens = tokenize(text)
    labels, probs = label_tokens(tokens)
    # A list entry's own number ("(1)", "[12]", "3. ") is no field, whatever the model says of it.
    entry = _ENTRY_NUMBER_RE.match(text)
    if entry:
        for k, tok in enumerate(tokens):
            if tok.end <= entry.end():
                labels[k] = "O"
    fields: dict[str, list[tuple[str, float]]] = {}
    i = 0
    while i < len(tokens):
        label = labels[i]
        j = i
        while j + 1 < len(tokens) and labels[j + 1] == label:
            j += 1
        if label != "O":
            end = tokens[j].end
            value = clean_field(text[tokens[i].start:end])
            # An author list ending in an initial or "et al" keeps its full stop: "Harackiewicz, J. M."
            if label == "author" and "." in (text[end - 1], text[end:end + 1]) and re.search(r"(?:\b[A-Z]|\bal)$", value):
                value += "."
            if value:
                fields.setdefault(label, []).append((value, min(probs[i:j + 1])))
        i = j + 1
    return fields
