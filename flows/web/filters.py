"""Search filters from a query string: an empty form field is no filter."""

from __future__ import annotations

from storage.search import SearchFilters


def search_filters(date_from: str | None, date_to: str | None, language: str | None, fmt: str | None,
                   identifier: str | None, work: int | None = None) -> SearchFilters:
    """The :class:`SearchFilters` of the search form (blank fields dropped)."""
    def given(value: str | None) -> str | None:
        return value.strip() or None if value else None

    return SearchFilters(date_from=given(date_from), date_to=given(date_to), language=given(language),
                         format=given(fmt), work=work, identifier=given(identifier))
