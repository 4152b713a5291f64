"""What every extraction gets after its format module, the same for every format.

Formats set ``metadata.language`` and ``metadata.identifiers`` only from
explicit evidence of their own (an HTML ``lang``, a PDF ``/Lang``, Markdown
front matter, a wiki URL; labelled lines in the raw text or front matter).
Everything else happens here, once:

* :func:`complete_language`, run by :meth:`extractors.base.Extractor.extract`
  right after the format's ``read``: when the format found no language, it is
  guessed from the canonical text (formats whose ``guesses_language`` is off,
  PDF, keep what their metadata declares);
* :func:`finish`, run by :func:`extractors.registry.extract`: every language
  tag reduced to its ISO 639 primary subtag ("en"; a fuller tag such as "en-US"
  kept in ``metadata.extra["language_tag"]``), and the document's own
  identifiers (index number, UN symbol in its header) found in the canonical
  text added after the format's, without duplicates.
"""

from __future__ import annotations

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
