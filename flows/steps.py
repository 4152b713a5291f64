"""The ingest steps as plain functions: fetch → keep original → extract → group and store.

The Prefect flow in ``flows.prefect.ingest`` only wires these together; tests and the
``--no-prefect`` path call them directly.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from extractors import ExtractedDocument, ExtractionError, Hints, Identifier, extract
from storage import Archive, Provenance, StoreOutcome

from flows.errors import FetchError
from flows.fetching.http import MAX_BYTES, Fetched, fetch_file, fetch_url
from flows.sources.model import SourceItem

log = logging.getLogger(__name__)

OUTCOMES = ("stored", "new_version", "unchanged", "failed")


@dataclass
class RunSummary:
    """Counts and failures of one run."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, source: str, outcome: StoreOutcome | None, error: str | None = None) -> None:
        status = outcome.status if outcome else "failed"
        self.counts[status] = self.counts.get(status, 0) + 1
        row = {"source": source, "status": status, "document_id": outcome.document_id if outcome else None,
               "work_id": outcome.work_id if outcome else None, "relation": outcome.relation if outcome else None}
        self.outcomes.append(row)
        if status == "failed":
            self.failures.append({"source": source, "error": (outcome.error if outcome else None) or error})


@dataclass
class NotModified:
    """A conditional GET answered 304 for an archived document."""

    url: str
    document_id: int
    provenance: Provenance


def fetch(item: SourceItem, archive: Archive | None = None,
          max_bytes: int | None = None) -> Fetched | NotModified:
    """Obtain the bytes of one source item (raises :class:`FetchError`).

    With an archive, URLs are fetched conditionally (the stored ETag and
    Last-Modified of the last good fetch), so an unchanged page costs one 304,
    and every HTTP response is also written to the archive's WARC files.
    """
    limit = max_bytes or MAX_BYTES
    if item.kind != "url":
        return fetch_file(item, limit)
    etag = last_modified = document_id = None
    warc_dir = None
    if archive is not None:
        etag, last_modified, document_id = archive.last_validators(item.location)
        warc_dir = archive.home / "warc"
    fetched = fetch_url(item.location, etag=etag, last_modified=last_modified, warc_dir=warc_dir, max_bytes=limit)
    if fetched is None or isinstance(fetched, Provenance):
        prov = fetched if isinstance(fetched, Provenance) else Provenance(
            source=item.location, source_kind="url", obtained_by="HTTP GET (conditional)", status_code=304)
        if document_id is None:
            raise FetchError(f"{item.location}: 304 Not Modified for a page never archived", source=item.location)
        return NotModified(item.location, document_id, prov)
    return fetched


def hints_for(fetched: Fetched) -> Hints:
    prov = fetched.provenance
    url = prov.final_url or (prov.source if prov.source_kind == "url" else None)
    return Hints(filename=prov.filename, media_type=prov.media_type, charset=prov.charset, url=url)


def apply_manifest(record: ExtractedDocument, manifest: dict[str, Any]) -> None:
    """Curator's facts fill what extraction did not find; the entry itself is kept."""
    if not manifest:
        return
    meta = record.metadata
    meta.extra["manifest"] = dict(manifest)
    manifest = {k: v for k, v in manifest.items() if v not in ("unknown", "", None)}
    if not meta.title and manifest.get("title"):
        meta.title = str(manifest["title"])
    if not meta.date and manifest.get("date"):
        meta.date = str(manifest["date"])
    have = {(i.scheme, i.value) for i in meta.identifiers}
    from extractors.text.identifiers import normalize_identifier

    for value in manifest.get("identifiers", []) or []:
        ident = normalize_identifier(str(value)) or Identifier("other", str(value))
        if (ident.scheme, ident.value) not in have:
            meta.identifiers.append(ident)
            have.add((ident.scheme, ident.value))


@dataclass
class Extraction:
    """The outcome of extracting one document: a record, or the error that stopped it."""

    record: ExtractedDocument | None = None
    error: str | None = None


def extract_safely(data: bytes, hints: Hints, extract_fn: Callable[[bytes, Hints], ExtractedDocument] = extract
                   ) -> Extraction:
    """Run an extractor; an ``ExtractionError`` becomes data, not an exception."""
    try:
        return Extraction(record=extract_fn(data, hints))
    except ExtractionError as exc:
        return Extraction(error=f"{type(exc).__name__}: {exc}")


def put_original(archive: Archive, fetched: Fetched, run_id: int | None) -> tuple[str, StoreOutcome | None]:
    """Store the original bytes first; return their hash, and an outcome if nothing more is to be done."""
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
        return archive.store_failed(sha, len(fetched.data), prov, extraction.error or "extraction failed",
                                    run_id=run_id)
    apply_manifest(extraction.record, manifest or {})
    return archive.store_extracted(sha, len(fetched.data), prov, extraction.record, run_id)


def store_not_modified(archive: Archive, fetched: NotModified, run_id: int | None) -> StoreOutcome:
    """Record that a conditional GET found the archived copy current."""
    return archive.record_not_modified(fetched.url, fetched.document_id, fetched.provenance, run_id)


def record_fetch_failure(archive: Archive, exc: FetchError, run_id: int | None) -> StoreOutcome | None:
    """A fetch that failed: keep whatever body arrived as a failed record, else log the failure."""
    if exc.data is not None and exc.provenance is not None:
        sha = archive.put_original(exc.data)
        return archive.store_failed(sha, len(exc.data), exc.provenance, str(exc), run_id=run_id)
    archive.record_fetch_failure(exc.source, str(exc), run_id, warc_path=exc.warc_path)
    return StoreOutcome("failed", None, "", error=str(exc))


def run_direct(archive: Archive, items: list[SourceItem], trigger: str = "manual",
               workers: int | None = None, max_bytes: int | None = None) -> tuple[int, RunSummary, float]:
    """The whole run without Prefect: same steps, same records.

    Extraction runs in an :class:`~flows.extraction_pool.ExtractionPool`
    (all cores, a hard time box per document); fetching and storing stay in
    this process, and records are stored in input order.
    """
    from flows.extraction_pool import ExtractionPool

    started = time.perf_counter()
    run_id = archive.begin_run([i.location for i in items], trigger)
    summary = RunSummary()
    pending: deque[tuple[SourceItem, Fetched, str, Future[ExtractedDocument]]] = deque()

    def drain_one() -> None:
        item, fetched, sha, future = pending.popleft()
        extraction = extract_safely(fetched.data, hints_for(fetched), lambda _data, _hints: future.result())
        summary.add(item.location, store_extraction(archive, fetched, sha, extraction, run_id, item.manifest))

    with ExtractionPool(workers) as pool:
        for item in items:
            try:
                fetched = fetch(item, archive, max_bytes)
            except FetchError as exc:
                summary.add(item.location, record_fetch_failure(archive, exc, run_id))
                continue
            if isinstance(fetched, NotModified):
                summary.add(item.location, store_not_modified(archive, fetched, run_id))
                continue
            sha, done = put_original(archive, fetched, run_id)
            if done is not None:
                summary.add(item.location, done)
                continue
            pending.append((item, fetched, sha, pool.submit(fetched.data, hints_for(fetched))))
            while len(pending) > 2 * pool.size:
                drain_one()
        while pending:
            drain_one()
    elapsed = time.perf_counter() - started
    archive.finish_run(run_id, summary.counts, summary.failures, duration_s=round(elapsed, 3))
    return run_id, summary, elapsed
