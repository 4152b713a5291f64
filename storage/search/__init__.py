"""Full-text search behind one interface: FTS5 on SQLite, a tsvector on PostgreSQL, the same results.

- :mod:`~storage.search.normalize`: the one text normalisation (index and query time).
- :mod:`~storage.search.index`: what is indexed (title, identifiers, metadata, footnotes, body).
- :mod:`~storage.search.query`: the query language, its parser and its two compilers.
- :mod:`~storage.search.run`: filters, grouping by work, total, paging, time bound.
- :mod:`~storage.search.snippets`: snippets and note hits.
"""

from storage.search.index import index_document
from storage.search.query import MAX_QUERY_CHARS, MAX_TERMS, SearchQueryError, parse
from storage.search.run import Hit, NoteHit, SearchFilters, SearchResult, SearchTimeout, search

__all__ = ["MAX_QUERY_CHARS", "MAX_TERMS", "Hit", "NoteHit", "SearchFilters", "SearchQueryError",
           "SearchResult", "SearchTimeout", "index_document", "parse", "search"]
