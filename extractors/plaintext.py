"""Plain text: decoding, paragraphs, and (later) footnotes of PDF-converted text."""

from __future__ import annotations

import re

from .assembly import assemble
from .base import CONTENT, Extractor
from .record import ExtractedDocument, Hints, Metadata
from .text_decoding import decode_text, looks_binary


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by blank lines; single line breaks are joined."""
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


class PlainTextExtractor(Extractor):
    """The fallback for anything that decodes as text."""

    name = "text"
    media_type = "text/plain"
    media_types = frozenset({"text/plain"})
    extensions = frozenset({"txt", "text"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        if not data.strip() or looks_binary(data):
            return 0
        return 1

    def extract(self, data: bytes, hints: Hints) -> ExtractedDocument:
        decoded, warnings = decode_text(data, hints.charset)
        text, _ = assemble(split_paragraphs(decoded))
        return ExtractedDocument(format=self.name, media_type=self.media_type, text=text,
                                 metadata=Metadata(), warnings=warnings)
