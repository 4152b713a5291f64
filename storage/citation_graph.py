"""The citation graph: citations resolved to archived documents (stub, being built)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .models import Document


def link_document(session: Session, doc: Document) -> None:
    """Resolve ``doc``'s citations to archived documents, and others' citations to ``doc``."""


def cited_by(session: Session, document_id: int) -> list[dict[str, Any]]:
    """Notes in other archived documents that cite ``document_id``."""
    return []
