"""storage/citations: the citation graph and the CSL-JSON export.

``keys`` (the pure match rules), ``lookups`` (candidate lookups in SQL),
``linking`` (writing links, inside the ingest transaction), ``queries``
(read queries: ``cited_by``, ``resolve_ref``, ``find_citing``) and ``csl``.
"""

from storage.citations.csl import document_csl
from storage.citations.linking import link_document, relink_all
from storage.citations.queries import cited_by, find_citing, resolve_ref

__all__ = ["cited_by", "document_csl", "find_citing", "link_document", "relink_all", "resolve_ref"]
