"""What the listing commands ask the archive: filtered pages of documents and works (what a reference
names and a document's fetches are in :mod:`storage.browse`, shared with the web interface).

Read-only, through :meth:`storage.Archive.reading`. ``since`` takes a date
(``2026-12-01``), a time (``2026-12-01T12:00``, UTC unless it says otherwise)
or an age (``30m``, ``12h``, ``7d``, ``2w``): :func:`parse_since`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storage import Archive
from storage.models import Document, Work

STATUSES = ("stored", "failed")
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


def list_documents(archive: Archive, filters: Filters, limit: int | None = None,
                   offset: int = 0) -> tuple[int, list[Document]]:
    """How many documents pass ``filters``, and one page of them by id."""
    where = filters.where()
    with archive.reading() as session:
        total = session.scalar(select(func.count()).select_from(Document).where(*where)) or 0
        query = (select(Document).options(selectinload(Document.identifiers)).where(*where)
                 .order_by(Document.id).offset(offset))
        if limit is not None:
            query = query.limit(limit)
        return total, list(session.scalars(query))


def list_works(archive: Archive, filters: Filters, limit: int | None = None,
               offset: int = 0) -> tuple[int, list[Work]]:
    """How many works have a version passing ``filters``, and one page of them by id (all their versions)."""
    where = filters.where()
    with archive.reading() as session:
        ids = select(Document.work_id).where(*where).distinct()
        total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        query = (select(Work).options(selectinload(Work.documents).selectinload(Document.identifiers))
                 .where(Work.id.in_(ids)).order_by(Work.id).offset(offset))
        if limit is not None:
            query = query.limit(limit)
        return total, list(session.scalars(query))
