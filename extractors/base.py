"""What every format module provides, and the scores the registry compares."""

from __future__ import annotations

import os
from typing import ClassVar

from extractors.finish import complete_language
from extractors.record import ExtractedDocument, Hints

# A match on the bytes themselves beats a declared media type, which beats a
# file extension: extensions lie most often, then servers, then bytes.
MAGIC = 100
CONTENT = 60
MEDIA_TYPE = 20
EXTENSION = 5


class Extractor:
    """One format. Subclasses set the class attributes and implement ``read``.

    ``score`` says how well the bytes match this format (0 = not at all); the
    registry runs the best-scoring extractor. ``extract`` is ``read`` plus what
    every format gets (:mod:`extractors.finish`).
    """

    name: ClassVar[str] = ""
    media_type: ClassVar[str] = "application/octet-stream"
    media_types: ClassVar[frozenset[str]] = frozenset()
    extensions: ClassVar[frozenset[str]] = frozenset()
    # Whether the language is guessed from the text (:func:`extractors.finish.complete_language`)
    # when the format found no declared one.
    guesses_language: ClassVar[bool] = True

    def score(self, data: bytes, hints: Hints) -> int:
        """How well ``data`` matches this format: content, media type, extension."""
        return self.content_score(data, hints) + self.hint_score(hints)

    def content_score(self, data: bytes, hints: Hints) -> int:
        """Score from the bytes alone; override per format."""
        return 0

    def hint_score(self, hints: Hints) -> int:
        """Score from the declared media type and the file extension."""
        score = 0
        if hints.media_type and hints.media_type.lower() in self.media_types:
            score += MEDIA_TYPE
        if hints.filename:
            ext = os.path.splitext(hints.filename)[1].lower().lstrip(".")
            if ext in self.extensions:
                score += EXTENSION
        return score

    def extract(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """Turn ``data`` into one record, or raise an ``ExtractionError``."""
        record = self.read(data, hints)
        if self.guesses_language:
            complete_language(record)
        return record

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """The format's own work: ``data`` to one record; override per format."""
        raise NotImplementedError
