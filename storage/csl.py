"""CSL-JSON export of a document's citations (stub, being built)."""

from __future__ import annotations

from typing import Any

from .models import Document


def document_csl(doc: Document) -> list[dict[str, Any]]:
    """The citations of ``doc``'s footnotes as CSL-JSON items."""
    return []
