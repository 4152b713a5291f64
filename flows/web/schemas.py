"""The JSON API's response models: the documented schema (OpenAPI) of every payload.

The payloads are built by the same serialisers the CLI's ``--json`` prints
(:mod:`storage.records`, :func:`hit_payload`), so the API and the CLI agree;
each API payload adds ``schema_version``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storage.search import Hit

SCHEMA_VERSION = 1


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Identifier(Model):
    scheme: str
    value: str


class Citation(Model):
    text: str
    kind: str | None
    author: str | None
    title: str | None
    date: str | None
    urls: list[str]
    identifiers: list[Identifier]
    pinpoint: str | None
    refers_to: dict[str, Any] | None
    cited_document_id: int | None = Field(description="The archived document this citation resolves to.")
    container: str | None = Field(None, description="Journal, newspaper or book the cited work is in.")
    publisher: str | None = None
    place: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = Field(None, description="The cited work's page range (where the note points: pinpoint).")
    confidence: float = Field(1.0, description="1.0 from markup or rules; below 1 as sure as the labeller is.")


class Marker(Model):
    position: int = Field(description="Character offset in the canonical text where the note is cited.")
    page: int | None
    context: str


class Footnote(Model):
    label: str
    text: str
    page: int | None
    context: str
    confidence: float
    markers: list[Marker]
    citations: list[Citation]


class DocumentSummary(Model):
    """The record fields of ``archivist documents --json`` (one item).

    Fields added to the record later pass through (``extra="allow"``) until
    they are declared here; tests/test_web.py names any that are not.
    """

    model_config = ConfigDict(extra="allow")

    id: int
    status: str
    error: str | None
    source: str
    sha256: str
    size: int
    media_type: str
    format: str | None
    title: str | None
    date: str | None
    file_date: str | None
    authors: list[str]
    language: str | None
    identifiers: list[Identifier]
    work_id: int
    version: int
    relation: str
    relation_reason: str | None
    part_of: int | None = Field(None, description="The document this one is a part of (an attachment of an e-mail, "
                                                  "a file in a bundle), else null.")
    obtained_at: str
    ingested_at: str


class CitingNote(Model):
    model_config = ConfigDict(extra="allow")

    document_id: int | None = None
    label: str | None = None
    context: str | None = None
    note_text: str | None = None


class DocumentBrief(Model):
    """Another archived document named by this one (a part, a message of the same thread)."""

    id: int
    source: str
    status: str
    format: str | None
    media_type: str
    title: str | None
    date: str | None


class DocumentDetail(DocumentSummary):
    """``archivist show --json``: the summary plus text, footnotes and the notes that cite it."""

    text: str | None
    text_sha256: str | None
    obtained_by: str
    warnings: list[Any]
    metadata: dict[str, Any]
    related_document_id: int | None
    similarity: float | None
    differences: dict[str, Any] | None
    footnotes: list[Footnote]
    cited_by: list[CitingNote]
    fetches: list[dict[str, Any]] = Field(description="Every time the bytes were obtained: source, final_url, "
                                          "status_code, etag, last_modified, fetched_at, warc_path, run_id.")
    matches: list[dict[str, Any]] = Field(description="Every document the reference names (an identifier "
                                          "several documents carry names them all).")
    parts: list[DocumentBrief] | None = Field(None, description="Documents found inside this one (attachments, "
                                                                "members).")
    thread: list[DocumentBrief] | None = Field(None, description="For an e-mail: the other archived messages of "
                                                                 "its thread.")
    custody: dict[str, Any] | None = Field(None, description="Chain of custody of the acquisition that brought "
                                           "the original in: collector, purpose, note, tools, host, time_zone, "
                                           "extractor; for URLs network (peer_ip, tls chain and "
                                           "certificate_sha256, request headers, user_agent, hops); for parts "
                                           "part_of. null for records ingested before custody was recorded.")
    derivation: dict[str, Any] | None = Field(None, description="What the canonical text and record were "
                                              "derived from (the original's sha256) and by which tool and "
                                              "version (with the OCR engine when OCR was used).")


class DocumentResponse(DocumentDetail):
    schema_version: int = SCHEMA_VERSION


class DocumentList(Model):
    schema_version: int = SCHEMA_VERSION
    total: int
    limit: int
    offset: int
    documents: list[DocumentSummary]


class NoteHit(Model):
    seq: int
    label: str
    snippet: str
    cited_at: str | None


class SearchHit(Model):
    """One work that matches (an item of ``archivist search --json``); ``id`` is its earliest matching version."""

    id: int
    work_id: int
    documents: list[int]
    title: str | None
    source: str
    snippet: str = Field(description="Text around the first match; each matching word in [brackets].")
    rank: float
    total: int
    total_exact: bool = Field(True, description="False when more documents match than are ranked: total is a lower "
                                                "bound.")
    notes: list[NoteHit]


class SearchResponse(Model):
    schema_version: int = SCHEMA_VERSION
    query: str
    total: int = Field(description="Works that match in all (a lower bound when total_exact is false).")
    total_exact: bool = True
    limit: int
    offset: int
    hits: list[SearchHit]


class WorkResponse(Model):
    """A work with its versions in order (``archivist works --json``, one item)."""

    schema_version: int = SCHEMA_VERSION
    id: int
    title: str | None
    versions: list[DocumentSummary]


class WordChange(Model):
    op: str
    text: str


class SentenceChange(Model):
    op: str
    text: str
    words: list[WordChange]


class ParagraphChange(Model):
    op: str
    a_index: int | None
    b_index: int | None
    a_text: str | None
    b_text: str | None
    sentences: list[SentenceChange]


class DiffResponse(Model):
    """``archivist diff A B --json``: paragraphs changed, added, removed, changed sentences word-marked."""

    schema_version: int = SCHEMA_VERSION
    a_id: int | None
    b_id: int | None
    identical: bool
    stats: dict[str, int]
    changes: list[ParagraphChange]
    summary: list[str]
    derivation: dict[str, Any] | None = Field(None, description="The two canonical texts compared (document id, "
                                              "sha256, text_sha256) and the tool and version that compared them.")


class CitesResponse(Model):
    """``archivist cites REF --json``: the document REF names and every note that cites it."""

    model_config = ConfigDict(extra="allow")
    schema_version: int = SCHEMA_VERSION
    query: str
    target: dict[str, Any] | None = None
    citing: list[CitingNote] = []


class RunOut(Model):
    """One ingest run (``archivist runs --json``, one item)."""

    id: int
    status: str
    trigger: str | None
    started_at: str
    finished_at: str | None
    duration_s: float | None
    sources: int = Field(description="How many items (files, URLs) the sources the run was given expanded to.")
    counts: dict[str, Any]
    failures: list[Any]
    warnings: list[str] = Field(description="What the run left out or repaired (skipped files, fallbacks).")
    flow_run_id: str | None


class RunsResponse(Model):
    schema_version: int = SCHEMA_VERSION
    runs: list[RunOut]


class EventOut(Model):
    id: int
    kind: str
    outcome: str
    created_at: str
    document_id: int | None
    work_id: int | None
    run_id: int | None
    detail: dict[str, Any]
    record_hash: str | None
    prev_hash: str
    hash: str


class StatusResponse(Model):
    """Counts, the chain head, and the last recorded ``verify`` and ``anchor``."""

    schema_version: int = SCHEMA_VERSION
    counts: dict[str, int]
    events: int
    head_id: int
    head_hash: str
    last_verified: EventOut | None
    last_anchored: EventOut | None


def hit_payload(hit: Hit, total: int, total_exact: bool = True) -> dict[str, Any]:
    """One work hit with stable keys (what ``archivist search --json`` lists)."""
    return hit.to_dict(total, total_exact)
