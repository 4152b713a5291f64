"""What every extraction gets after its format module, the same for every format.

Formats set ``metadata.language`` and ``metadata.identifiers`` only from
explicit evidence of their own (an HTML ``lang``, a PDF ``/Lang``, Markdown
front matter, a wiki URL; labelled lines in the raw text or front matter).
Everything else happens here, once:

* :func:`complete_language`, run by :meth:`extractors.base.Extractor.extract`
  right after the format's ``read``: when the format found no language, it is
  guessed from the canonical text (formats whose ``guesses_language`` is off,
  PDF, keep what their metadata declares);
* :func:`finish`, run by :func:`extractors.registry.extract`: NUL and the other
  C0 control characters (all but tab, line feed and carriage return) removed
  from the text and every other string of the record, with one warning that
  counts them (PostgreSQL cannot store NUL in text; the others are never
  text), footnote marker offsets moved to match, and lone surrogates (which
  no database can encode) replaced by U+FFFD; every language
  tag reduced to its ISO 639 primary subtag ("en"; a fuller tag such as "en-US"
  kept in ``metadata.extra["language_tag"]``), and the document's own
  identifiers (index number, UN symbol in its header) found in the canonical
  text added after the format's, without duplicates.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left
from typing import Any

from extractors.record import ExtractedDocument
from extractors.text.identifiers import find_document_identifiers
from extractors.text.language import guess_language


def complete_language(record: ExtractedDocument) -> ExtractedDocument:
    """Guess ``record``'s language from its text when the format set none."""
    if not record.metadata.language:
        record.metadata.language = guess_language(record.text)
    return record


def finish(record: ExtractedDocument, extractor_name: str) -> ExtractedDocument:
    """Complete ``record`` (made by the extractor called ``extractor_name``) in place and return it."""
    record.extractor = record.extractor or extractor_name
    remove_control_characters(record)
    normalize_language(record)
    add_own_identifiers(record)
    return record


def normalize_language(record: ExtractedDocument) -> None:
    """Every format reports the ISO 639 primary subtag ("en"); a fuller tag ("en-US") is kept in extra."""
    tag = (record.metadata.language or "").strip().replace("_", "-")
    if not tag:
        record.metadata.language = None
        return
    primary = tag.split("-", 1)[0].lower()
    if tag.lower() != primary:
        record.metadata.extra.setdefault("language_tag", tag)
    record.metadata.language = primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def add_own_identifiers(record: ExtractedDocument) -> None:
    """Every format gets the document's own labelled identifiers (index number, UN symbol in its header)."""
    have = {(i.scheme, i.value) for i in record.metadata.identifiers}
    for ident in find_document_identifiers(record.text):
        if (ident.scheme, ident.value) not in have:
            record.metadata.identifiers.append(ident)
            have.add((ident.scheme, ident.value))


# C0 controls but tab, line feed and carriage return; and lone surrogates.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def remove_control_characters(record: ExtractedDocument) -> None:
    """Drop C0 controls from every string of ``record``, keeping marker offsets right; warn with the count."""
    counts = {"nul": 0, "controls": 0, "surrogates": 0}
    removed = [m.start() for m in _CONTROL_RE.finditer(record.text)]
    if removed:
        counts["nul"] += record.text.count("\x00")
        counts["controls"] += len(removed)
        record.text = _CONTROL_RE.sub("", record.text)
        for note in record.footnotes:
            for mark in note.markers:
                mark.offset -= bisect_left(removed, mark.offset)
    if _SURROGATE_RE.search(record.text):
        counts["surrogates"] += len(_SURROGATE_RE.findall(record.text))
        record.text = _SURROGATE_RE.sub("\ufffd", record.text)
    record.metadata = _clean(record.metadata, counts)
    record.footnotes = _clean(record.footnotes, counts)
    record.warnings = [_clean(w, {"nul": 0, "controls": 0, "surrogates": 0}) for w in record.warnings]
    if counts["controls"]:
        record.warnings.append(
            f"{counts['controls']:,} control character(s) removed from the extracted text and metadata "
            f"({counts['nul']:,} NUL); the original bytes keep them"
        )
    if counts["surrogates"]:
        record.warnings.append(f"{counts['surrogates']:,} lone surrogate(s) replaced with U+FFFD")


def _clean(value: Any, counts: dict[str, int]) -> Any:
    """``value`` with control characters removed from every string in it (dataclasses, lists, dicts)."""
    if isinstance(value, str):
        if _CONTROL_RE.search(value):
            counts["nul"] += value.count("\x00")
            counts["controls"] += len(_CONTROL_RE.findall(value))
            value = _CONTROL_RE.sub("", value)
        if _SURROGATE_RE.search(value):
            counts["surrogates"] += len(_SURROGATE_RE.findall(value))
            value = _SURROGATE_RE.sub("\ufffd", value)
        return value
    if isinstance(value, list):
        return [_clean(item, counts) for item in value]
    if isinstance(value, tuple):
        return tuple(_clean(item, counts) for item in value)
    if isinstance(value, dict):
        return {_clean(key, counts): _clean(item, counts) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            setattr(value, field.name, _clean(getattr(value, field.name), counts))
    return value
