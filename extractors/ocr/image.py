"""Images (PNG, JPEG, TIFF): the text Tesseract recognises, marked as OCR with its confidence.

The record's text is the recognised paragraphs; a warning names the engine, its version, the
languages and the mean confidence, and ``metadata.extra["ocr"]`` holds the per-page mean word
confidence. Without Tesseract the image is refused with :class:`~extractors.ocr.tesseract.OcrUnavailable`
(recorded as failed, bytes kept), never stored with a silently empty text.
"""

from __future__ import annotations

import time

from extractors import assembly
from extractors.base import MAGIC, Extractor
from extractors.ocr.tesseract import DEFAULT_LANGUAGES, describe, recognise, tesseract_version
from extractors.record import ExtractedDocument, Hints, Metadata

_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))


def image_type(data: bytes) -> str | None:
    """The media type of PNG, JPEG or TIFF bytes, from their signature."""
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


class ImageExtractor(Extractor):
    """Scanned pages and photographs of documents, through Tesseract."""

    name = "image-ocr"
    media_type = "image/png"
    media_types = frozenset({"image/png", "image/jpeg", "image/jpg", "image/tiff"})
    extensions = frozenset({"png", "jpg", "jpeg", "tif", "tiff"})

    def __init__(self, languages: str = DEFAULT_LANGUAGES) -> None:
        """``languages``: Tesseract's ``-l`` value (default English, Persian and Arabic)."""
        self.languages = languages

    def content_score(self, data: bytes, hints: Hints) -> int:
        """MAGIC for a PNG, JPEG or TIFF signature."""
        return MAGIC if image_type(data) else 0

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """OCR every page of the image within ``hints.limits.time_limit_s``."""
        started = time.monotonic()
        pages = recognise(data, self.languages, timeout=hints.limits.time_limit_s)
        text, _ = assembly.assemble(paragraph for page in pages for paragraph in page.paragraphs())
        metadata = Metadata(page_count=len(pages))
        metadata.extra["ocr"] = {
            "engine": "tesseract", "version": tesseract_version(), "languages": self.languages,
            "pages": [{"page": i, "mean_confidence": p.confidence, "words": p.words}
                      for i, p in enumerate(pages, 1)],
            "seconds": round(time.monotonic() - started, 2)}
        warnings = [describe(pages, self.languages)]
        if not text:
            warnings.append("OCR recognised no text in the image")
        return ExtractedDocument(format="image", media_type=image_type(data) or self.media_type, text=text,
                                 metadata=metadata, warnings=warnings, extractor=self.name)
