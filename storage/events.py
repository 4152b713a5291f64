"""The hash-chained event log.

Every change to the archive appends one event. An event's ``hash`` is the
SHA-256 of the canonical JSON of all its fields plus the previous event's
hash, and event ids are dense (1, 2, 3, ...), so editing, deleting or
reordering any row breaks the chain at a point ``verify`` can name.

Writers serialize on the single ``chain_head`` row: on PostgreSQL with
``SELECT ... FOR UPDATE``, on SQLite through ``BEGIN IMMEDIATE`` (every write
transaction holds the database lock from its start).
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata as importlib_metadata
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.errors import UnknownEventKind
from storage.models import ChainHead, Event, utcnow

GENESIS = "0" * 64
# Every kind archivist writes (gathered from the ``append_event`` callers). ``verify`` reports any
# other kind: a forged "deleted" or "purged" event must never explain a record away.
KINDS = frozenset({
    "run-started", "run-finished", "run-interrupted", "fetch-failed", "not-modified", "seen-again",
    "stored", "re-extracted", "grouped", "regrouped", "verified", "repaired", "anchored", "exported",
    "timestamped", "original-served", "original-exported",
})
_TOOLS = ("archivist", "pypdf", "trafilatura", "cssselect", "lxml", "mwparserfromhell",
          "markdown-it-py", "charset-normalizer", "ftfy", "sqlalchemy", "prefect")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def iso(dt: datetime) -> str:
    """UTC timestamp with microseconds, the form that goes into hashes."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@lru_cache(maxsize=None)
def library_version(name: str) -> str | None:
    """The installed version of distribution ``name`` (``None`` when it is not installed).

    Cached: reading a distribution's metadata costs ~0.7 ms, and every stored record asks.
    """
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def tool_versions() -> dict[str, str]:
    """Versions of archivist and the libraries that shape its records."""
    versions = {"python": platform.python_version()}
    versions.update({name: v for name in _TOOLS if (v := library_version(name)) is not None})
    return versions


HASHED_FIELDS = ("id", "kind", "created_at", "document_id", "work_id", "run_id", "outcome", "detail",
                 "tool_versions", "record_hash", "prev_hash")
_event_fields = attrgetter(*HASHED_FIELDS)
_row_fields = itemgetter(*HASHED_FIELDS)


class AppendedEvent(NamedTuple):
    """What :func:`append_event` wrote: the new event's id and hash, and the hash it follows."""

    id: int
    hash: str
    prev_hash: str


def _payload(values: tuple[Any, ...]) -> dict[str, Any]:
    payload = dict(zip(HASHED_FIELDS, values))
    payload["created_at"] = iso(payload["created_at"])
    payload["detail"] = payload["detail"] or {}
    payload["tool_versions"] = payload["tool_versions"] or {}
    return payload


def event_payload(event: Any) -> dict[str, Any]:
    """The fields an event's hash covers (of an ``Event``, or of anything with its attributes: a row)."""
    return _payload(_event_fields(event))


def compute_hash(event: Any) -> str:
    """SHA-256 of an event's canonical JSON (which includes ``prev_hash``)."""
    return _sha256_json(event_payload(event))


def _sha256_json(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def lock_head(session: Session) -> ChainHead:
    """Take the chain-head lock for this transaction and return the head row.

    Taken once per transaction: the row is remembered in ``session.info`` with
    the transaction that locked it, so a batch of events (a group commit)
    costs one lock and one head update, not one per event.
    """
    root = session.get_transaction()
    held = session.info.get("chain_head")
    if held is not None and root is not None and held[0] is root:
        return held[1]
    stmt = select(ChainHead).where(ChainHead.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    head = session.scalars(stmt).one()
    if root is not None:
        session.info["chain_head"] = (root, head)
    return head


def append_event(
    session: Session,
    kind: str,
    outcome: str,
    *,
    document_id: int | None = None,
    work_id: int | None = None,
    run_id: int | None = None,
    detail: dict[str, Any] | None = None,
    record_hash: str | None = None,
) -> AppendedEvent:
    """Append one event to the chain inside the caller's transaction; ``kind`` must be one of :data:`KINDS`."""
    if kind not in KINDS:
        raise UnknownEventKind(f"event kind {kind!r} is not one archivist writes; add it to storage.events.KINDS")
    head = lock_head(session)
    buffered = session.info.get(_BUFFER)
    rows = buffered[1] if buffered is not None and buffered[0] is session.get_transaction() else None
    # a buffered batch moves the head row once, when its events go in (insert_buffered); until then
    # the chain's last event is the last row buffered (a savepoint that rolls back truncates the buffer)
    last_id, last_hash = (rows[-1]["id"], rows[-1]["hash"]) if rows else (head.last_event_id, head.hash)
    row = {"id": last_id + 1, "kind": kind, "created_at": utcnow(), "document_id": document_id, "work_id": work_id,
           "run_id": run_id, "outcome": outcome, "detail": json.loads(canonical_json(detail or {})),
           "tool_versions": tool_versions(), "record_hash": record_hash, "prev_hash": last_hash}
    row["hash"] = _sha256_json(_payload(_row_fields(row)))
    if rows is not None:
        rows.append(row)  # a plain row for one insert of the batch: an ORM object costs twice the hashing
    else:
        session.add(Event(**row))  # no flush here: the transaction's events go in with its next flush
        head.last_event_id = row["id"]
        head.hash = row["hash"]
    return AppendedEvent(row["id"], row["hash"], last_hash)


_BUFFER = "event_rows"


def buffer_events(session: Session) -> list[dict[str, Any]]:
    """Collect the events this transaction appends as rows for one insert (:func:`insert_buffered`).

    For a batch of documents (``Archive.store_batch``): its events are
    inserted together just before it commits, not one ORM object each, and
    the chain head row is updated once with them (while the batch runs, the
    last buffered row is the chain's last event). The list is the buffer: a
    caller whose savepoint rolls back truncates it to its length before the
    savepoint, which also takes the chain back to where it was.
    """
    rows: list[dict[str, Any]] = []
    session.info[_BUFFER] = (session.get_transaction(), rows)
    return rows


def insert_buffered(session: Session) -> None:
    """Insert the buffered events (in chain order) and move the chain head to the last of them;
    :func:`stop_buffering` ends the buffer."""
    held = session.info.get(_BUFFER)
    if held is not None and held[1]:
        session.connection().execute(insert(Event.__table__), held[1])
        head = lock_head(session)
        head.last_event_id, head.hash = held[1][-1]["id"], held[1][-1]["hash"]


def stop_buffering(session: Session) -> None:
    """Stop buffering (after :func:`insert_buffered`, or without inserting when the batch failed and its
    transaction rolls back)."""
    session.info.pop(_BUFFER, None)


def chain_head(session: Session) -> tuple[int, str]:
    """``(last event id, its hash)``: the value ``archivist anchor`` signs."""
    head = session.get(ChainHead, 1)
    return (head.last_event_id, head.hash) if head else (0, GENESIS)
