"""What the listing commands ask the archive: filtered documents and works, read a chunk at a time as
they are printed (what a reference names and a document's fetches are in :mod:`storage.browse`, shared
with the web interface).

Read-only, through :meth:`storage.Archive.reading`. ``since`` takes a date
(``2026-12-01``), a time (``2026-12-01T12:00``, UTC unless it says otherwise)
or an age (``30m``, ``12h``, ``7d``, ``2w``): :func:`parse_since`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import load_only, selectinload

from storage import Archive
from storage.models import Document, Work
from storage.records import SUMMARY_COLUMNS

STATUSES = ("stored", "failed")
CHUNK = 500  # rows a query of a listing
_AGE = re.compile(r"^(\d+)\s*([mhdw])$")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class QueryError(ValueError):
    """A filter the listing cannot use (an unreadable ``--since``)."""


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    """``--since``: a date, an ISO 8601 time (UTC when it names no zone) or an age like ``7d``."""
    if not text:
        return None
    value = text.strip()
    age = _AGE.match(value.lower())
    if age:
        return (now or datetime.now(UTC)) - timedelta(**{_AGE_UNITS[age.group(2)]: int(age.group(1))})
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise QueryError(f"--since {text!r}: give a date (2026-12-01), a time (2026-12-01T12:00Z) "
                         "or an age (30m, 12h, 7d, 2w)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    """The filters of ``documents`` and ``works``: status, ingested since, document format."""

    status: str | None = None
    since: datetime | None = None
    fmt: str | None = None

    def where(self) -> list[Any]:
        clauses: list[Any] = []
        if self.status:
            clauses.append(Document.status == self.status)
        if self.since is not None:
            clauses.append(Document.ingested_at >= self.since)
        if self.fmt:
            clauses.append(func.lower(Document.format) == self.fmt.lower())
        return clauses


def _chunked(archive: Archive, query_of: Callable[[int | None], Select[Any]], limit: int | None,
             offset: int) -> Iterator[Any]:
    """The rows of ``query_of(after id)`` (ordered by id) from ``offset``, up to ``limit``, :data:`CHUNK` a query.

    One reading session for the whole listing; each chunk leaves the session
    once it is handed out, so memory holds one chunk however many rows follow.
    """
    with archive.reading() as session:
        last: int | None = None
        left = limit
        while left is None or left > 0:
            size = CHUNK if left is None else min(CHUNK, left)
            query = query_of(last).limit(size)
            rows = list(session.scalars(query.offset(offset) if last is None else query))
            session.expunge_all()
            yield from rows
            if len(rows) < size:
                return
            last = rows[-1].id
            left = None if left is None else left - len(rows)


def find_documents(archive: Archive, filters: Filters, limit: int | None = None,
                   offset: int = 0) -> tuple[int, Iterator[Document]]:
    """How many documents pass ``filters``, and those from ``offset`` (up to ``limit``) by id, as they are read.

    Only the columns a listing shows are read (``SUMMARY_COLUMNS``; the text stays in
    the database), :data:`CHUNK` documents a query.
    """
    where = filters.where()
    with archive.reading() as session:
        total = session.scalar(select(func.count()).select_from(Document).where(*where)) or 0

    def page(after: int | None) -> Select[Any]:
        return (select(Document).options(load_only(*SUMMARY_COLUMNS, raiseload=True), selectinload(Document.identifiers))
                .where(*where, *([Document.id > after] if after is not None else [])).order_by(Document.id))

    return total, _chunked(archive, page, limit, offset)


def find_works(archive: Archive, filters: Filters, limit: int | None = None,
               offset: int = 0) -> tuple[int, Iterator[Work]]:
    """How many works have a version passing ``filters``, and those from ``offset`` (up to ``limit``) by id,
    each with all its versions (their listed columns), as they are read."""
    where = filters.where()
    ids = select(Document.work_id).where(*where).distinct()
    with archive.reading() as session:
        total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    versions = selectinload(Work.documents).options(load_only(*SUMMARY_COLUMNS, raiseload=True),
                                                    selectinload(Document.identifiers))

    def page(after: int | None) -> Select[Any]:
        return (select(Work).options(versions)
                .where(Work.id.in_(ids), *([Work.id > after] if after is not None else [])).order_by(Work.id))

    return total, _chunked(archive, page, limit, offset)
