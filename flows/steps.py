"""The ingest steps as plain functions: fetch → put original → extract → group and store.

:mod:`flows.run` is the one loop over them; its runners call them in-process
(:class:`flows.run.InProcessRunner`) or inside Prefect tasks
(:class:`flows.prefect.ingest.PrefectRunner`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from extractors import ExtractedDocument, ExtractionError, Hints, Identifier, extract
from extractors.record import Part
from extractors.limits import ExtractionLimits
from extractors.text.identifiers import normalize_identifier
from storage import Archive, Provenance, StoreOutcome
from storage.archive import BatchEntry
from storage.provenance import path_text
from storage.works.prematch import Prematch

from flows.errors import FetchError
from flows.fetching.fetched import Fetched
from flows.fetching.files import fetch_file
from flows.fetching.http import fetch_url, timeout_for
from flows.fetching.policy import retry_delay
from flows.settings import FetchLimits
from flows.sources.model import SourceItem

log = logging.getLogger(__name__)


def fetch(item: SourceItem, archive: Archive | None = None, limits: FetchLimits | None = None,
          archived_file: Callable[[str, str], str | None] | None = None) -> Fetched:
    """Obtain the bytes of one source item (raises :class:`FetchError`).

    With an archive, URLs are fetched conditionally (the stored ETag and
    Last-Modified of the last good fetch), so an unchanged page costs one 304
    -- a :class:`Fetched` with ``not_modified`` set and the archived
    ``document_id`` -- and every HTTP response is also written to the
    archive's WARC files. ``limits`` default to :class:`FetchLimits`' defaults.
    A large file whose status ``archived_file`` finds archived
    (:meth:`Archive.archived_file`) is not read (unless ``limits.reread_files``):
    see :func:`fetch_file`.
    """
    limits = limits or FetchLimits()
    if item.kind != "url":
        return fetch_file(item, limits.max_bytes, None if limits.reread_files else archived_file)
    etag = last_modified = document_id = None
    warc_dir = None
    if archive is not None:
        etag, last_modified, document_id = archive.last_validators(item.location)
        warc_dir = archive.home / "warc"
    fetched = fetch_url(item.location, etag=etag, last_modified=last_modified, warc_dir=warc_dir,
                        max_bytes=limits.max_bytes, timeout=timeout_for(limits), max_seconds=limits.max_seconds,
                        max_redirects=limits.max_redirects, first_byte_s=limits.first_byte_s,
                        allow_private=limits.allow_private, credentials=item.credentials, custody=item.custody)
    if not fetched.not_modified:
        return fetched
    if document_id is None:
        raise FetchError(f"{item.location}: 304 Not Modified for a page never archived", source=item.location)
    return replace(fetched, document_id=document_id)


def fetch_retrying(item: SourceItem, archive: Archive | None = None, limits: FetchLimits | None = None,
                   sleep: Callable[[float], None] = time.sleep,
                   archived_file: Callable[[str, str], str | None] | None = None) -> Fetched:
    """:func:`fetch`, tried again after a retryable failure by the one retry rule
    (:func:`flows.fetching.policy.retry_delay`: backoff or ``Retry-After``, capped)."""
    limits = limits or FetchLimits()
    attempt = 1
    while True:
        try:
            return fetch(item, archive, limits, archived_file)
        except FetchError as exc:
            wait = retry_delay(exc, attempt, limits.retries, limits.retry_after_max_s)
            if wait is None:
                raise
            log.info("%s: %s; trying again in %.1f s", item.location, exc, wait)
            sleep(wait)
            attempt += 1


def part_fetched(parent: Fetched, part: Part, parent_id: int) -> Fetched:
    """A part of an archived document (an attachment, a member) as if it had been fetched on its own.

    Its source is ``<parent source>!/<part name>`` (a part of a part adds
    another ``!/``), ``obtained_by`` says whose part it is, and ``part_of``
    carries the parent's document id into the record.
    """
    name = path_text(part.name)
    prov = Provenance(source=f"{parent.provenance.source}!/{name}", source_kind="part",
                      obtained_by=f"part of document {parent_id}", media_type=part.media_type,
                      filename=name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or None,
                      headers={"part_of": parent_id, "role": part.role, "name": name}, part_of=parent_id)
    return Fetched(part.data, prov)


def hints_for(fetched: Fetched, limits: ExtractionLimits | None = None) -> Hints:
    """What the extractor is told besides the bytes: name, declared type and charset, URL, limits."""
    prov = fetched.provenance
    url = prov.final_url or (prov.source if prov.source_kind == "url" else None)
    return Hints(filename=prov.filename, media_type=prov.media_type, charset=prov.charset, url=url,
                 limits=limits or ExtractionLimits())


def apply_manifest(record: ExtractedDocument, manifest: dict[str, Any]) -> ExtractedDocument:
    """Curator's facts fill what extraction did not find; the entry itself is kept.

    Returns a new record (with new metadata); ``record`` is left as the extractor made it.
    """
    if not manifest:
        return record
    meta = record.metadata
    facts = {k: v for k, v in manifest.items() if v not in ("unknown", "", None)}
    identifiers = list(meta.identifiers)
    have = {(i.scheme, i.value) for i in identifiers}
    for value in facts.get("identifiers", []) or []:
        ident = normalize_identifier(str(value)) or Identifier("other", str(value))
        if (ident.scheme, ident.value) not in have:
            identifiers.append(ident)
            have.add((ident.scheme, ident.value))
    metadata = replace(
        meta,
        title=meta.title if meta.title or not facts.get("title") else str(facts["title"]),
        date=meta.date if meta.date or not facts.get("date") else str(facts["date"]),
        identifiers=identifiers,
        extra={**meta.extra, "manifest": dict(manifest)},
    )
    return replace(record, metadata=metadata)


@dataclass
class Extraction:
    """The outcome of extracting one document: a record, or the error that stopped it."""

    record: ExtractedDocument | None = None
    error: str | None = None
    seen: bool = False  # not extracted: the bytes are archived already (stored as "seen again")
    keys: tuple[str | None, list[str]] | None = None  # (title, grouping keys) computed beside the extraction
    prematch: Prematch | None = None  # candidates compared beside the extraction (storage.works.prematch)


def extraction_of(call: Callable[[], ExtractedDocument]) -> Extraction:
    """Run ``call``; an ``ExtractionError`` becomes data, not an exception."""
    try:
        return Extraction(record=call())
    except ExtractionError as exc:
        return Extraction(error=f"{type(exc).__name__}: {exc}")


def extract_safely(data: bytes, hints: Hints, extract_fn: Callable[[bytes, Hints], ExtractedDocument] = extract
                   ) -> Extraction:
    """Run an extractor; an ``ExtractionError`` becomes data, not an exception."""
    return extraction_of(lambda: extract_fn(data, hints))


def put_original(archive: Archive, fetched: Fetched, run_id: int | None) -> tuple[str, StoreOutcome | None]:
    """Store the original bytes first; return their hash, and an outcome if nothing more is to be done."""
    if fetched.sha256 is not None:  # not read: its file status says these archived bytes
        return fetched.sha256, archive.record_seen_again(fetched.sha256, fetched.provenance, run_id, read=False)
    sha = archive.put_original(fetched.data)
    existing = archive.find_sha(sha)
    if existing is not None and existing.status == "stored":
        return sha, archive.record_seen_again(sha, fetched.provenance, run_id)
    return sha, None


def store_extraction(archive: Archive, fetched: Fetched, sha: str, extraction: Extraction, run_id: int | None,
                     manifest: dict[str, Any] | None = None) -> StoreOutcome:
    """Store a record (or the failure) for bytes already kept: one transaction."""
    prov = fetched.provenance
    if extraction.record is None:
        log.warning("%s: extraction failed: %s", prov.source, extraction.error)
        error = "; ".join([extraction.error or "extraction failed", *prov.warnings])
        return archive.store_failed(sha, len(fetched.data), prov, error, run_id=run_id)
    record = apply_manifest(extraction.record, manifest or {})
    if prov.warnings:
        record = replace(record, warnings=[*record.warnings, *prov.warnings])
    return archive.store_extracted(sha, len(fetched.data), prov, record, run_id)


def batch_entry(fetched: Fetched, sha: str, extraction: Extraction, manifest: dict[str, Any] | None = None
                ) -> BatchEntry:
    """What :func:`store_extraction` would store, as one entry of :meth:`Archive.store_batch`."""
    prov = fetched.provenance
    if extraction.seen:
        return BatchEntry(sha, len(fetched.data), prov, read=fetched.sha256 is None)
    if extraction.record is None:
        log.warning("%s: extraction failed: %s", prov.source, extraction.error)
        error = "; ".join([extraction.error or "extraction failed", *prov.warnings])
        return BatchEntry(sha, len(fetched.data), prov, error=error)
    record = apply_manifest(extraction.record, manifest or {})
    if prov.warnings:
        record = replace(record, warnings=[*record.warnings, *prov.warnings])
    return BatchEntry(sha, len(fetched.data), prov, record=record, keys=extraction.keys,
                      prematch=extraction.prematch)


def store_not_modified(archive: Archive, fetched: Fetched, run_id: int | None) -> StoreOutcome:
    """Record that a conditional GET (``fetched.not_modified``) found the archived copy current."""
    if fetched.document_id is None:
        raise ValueError(f"{fetched.provenance.source}: not a 304 for an archived document")
    return archive.record_not_modified(fetched.provenance.source, fetched.document_id, fetched.provenance, run_id)


def record_fetch_failure(archive: Archive, exc: FetchError, run_id: int | None) -> StoreOutcome:
    """A fetch that failed: keep whatever body arrived as a failed record, else log the failure."""
    if exc.data is not None and isinstance(exc.provenance, Provenance):
        sha = archive.put_original(exc.data)
        return archive.store_failed(sha, len(exc.data), exc.provenance, str(exc), run_id=run_id)
    archive.record_fetch_failure(exc.source, str(exc), run_id, warc_path=exc.warc_path)
    return StoreOutcome("failed", None, "", error=str(exc))
