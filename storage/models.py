"""SQLAlchemy 2 models: documents, works, footnotes, citations, identifiers, events.

One *document* is one original byte sequence (unique SHA-256). Every document
belongs to exactly one *work*. Footnotes, markers, citations and identifiers
are rows, so they can be queried and joined. Events form a hash chain (see
``storage.events``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    LargeBinary,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    join,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Now, in UTC, with microseconds (what every timestamp column stores)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Work(Base):
    __tablename__ = "works"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    documents: Mapped[list[Document]] = relationship(back_populates="work", order_by="Document.version")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(200))
    format: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(20))
    obtained_at: Mapped[datetime]
    obtained_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    blob_path: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(40))
    authors: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(20))
    metadata_json: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    extractor: Mapped[str | None] = mapped_column(String(100))
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    relation: Mapped[str] = mapped_column(String(20), default="original")
    related_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    similarity: Mapped[float | None] = mapped_column(Float)
    # why the relation holds: "same words", "edited: N spans", "curator: manifest"
    relation_reason: Mapped[str | None] = mapped_column(String(200))
    # the word-level differences from the related document (storage.works.words)
    differences: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # when the file was made (a PDF's /CreationDate), not the document's own date
    file_date: Mapped[str | None] = mapped_column(String(40))
    # the document this one was found inside (an e-mail's attachment, a container's member)
    part_of_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # what the canonical text and record were derived from, by which tool and version (migration 0006)
    derivation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    work: Mapped[Work] = relationship(back_populates="documents")
    footnotes: Mapped[list[StoredFootnote]] = relationship(
        back_populates="document", order_by="StoredFootnote.seq", cascade="all, delete-orphan"
    )
    identifiers: Mapped[list[DocumentIdentifier]] = relationship(
        back_populates="document", order_by="DocumentIdentifier.id", cascade="all, delete-orphan"
    )
    # the documents found inside this one, loaded only where asked for (``Archive.document``)
    parts: Mapped[list[Document]] = relationship(
        foreign_keys=[part_of_id], order_by="Document.id", lazy="raise", viewonly=True
    )


class DocumentIdentifier(Base):
    __tablename__ = "document_identifiers"
    __table_args__ = (
        UniqueConstraint("document_id", "scheme", "value"),
        Index("ix_document_identifiers_value", "scheme", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    scheme: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(500))

    document: Mapped[Document] = relationship(back_populates="identifiers")


def _thread_join() -> tuple[Any, Any, Any]:
    """Two copies of the identifier table joined on one ``email-thread`` value (e-mails of one thread)."""
    mine = DocumentIdentifier.__table__.alias("thread_mine")
    theirs = DocumentIdentifier.__table__.alias("thread_theirs")
    joined = join(mine, theirs, and_(mine.c.scheme == "email-thread", theirs.c.scheme == "email-thread",
                                     mine.c.value == theirs.c.value))
    return joined, mine, theirs


_THREAD, _THREAD_MINE, _THREAD_THEIRS = _thread_join()
# the archived e-mails of this document's thread (itself included), loaded only where asked for
Document.thread_documents = relationship(
    Document, secondary=_THREAD, primaryjoin=Document.id == _THREAD_MINE.c.document_id,
    secondaryjoin=Document.id == _THREAD_THEIRS.c.document_id, order_by=Document.id, viewonly=True, lazy="raise",
)


class StoredFootnote(Base):
    __tablename__ = "footnotes"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)

    document: Mapped[Document] = relationship(back_populates="footnotes")
    markers: Mapped[list[FootnoteMarker]] = relationship(
        back_populates="footnote", order_by="FootnoteMarker.seq", cascade="all, delete-orphan"
    )
    citations: Mapped[list[StoredCitation]] = relationship(
        back_populates="footnote", order_by="StoredCitation.seq", cascade="all, delete-orphan",
        foreign_keys="StoredCitation.footnote_id",
    )


class FootnoteMarker(Base):
    __tablename__ = "footnote_markers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    footnote_id: Mapped[int] = mapped_column(ForeignKey("footnotes.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[str | None] = mapped_column(Text)

    footnote: Mapped[StoredFootnote] = relationship(back_populates="markers")


class StoredCitation(Base):
    __tablename__ = "citations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    footnote_id: Mapped[int] = mapped_column(ForeignKey("footnotes.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(40))
    author: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(40))
    urls: Mapped[list[Any]] = mapped_column(default=list)
    pinpoint: Mapped[str | None] = mapped_column(String(200))
    refers_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cited_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    # the citation labeller's fields (migration 0009); NULL in rows written before them
    container: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    volume: Mapped[str | None] = mapped_column(Text)
    issue: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float, default=1.0, server_default="1.0")

    footnote: Mapped[StoredFootnote] = relationship(back_populates="citations", foreign_keys=[footnote_id])
    identifiers: Mapped[list[CitationIdentifier]] = relationship(
        back_populates="citation", cascade="all, delete-orphan", order_by="CitationIdentifier.id"
    )


class CitationIdentifier(Base):
    __tablename__ = "citation_identifiers"
    __table_args__ = (Index("ix_citation_identifiers_value", "scheme", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(500))

    citation: Mapped[StoredCitation] = relationship(back_populates="identifiers")


class DocumentTitleWord(Base):
    """A word of a document's title key, for the citation graph's title look-ups (``storage.citations.match_index``).

    ``longest``: the word is one of the title's two longest (the look-up's prefilter).
    """

    __tablename__ = "document_title_words"
    __table_args__ = (Index("ix_document_title_words_word", "word"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    word: Mapped[str] = mapped_column(String(128), primary_key=True)
    longest: Mapped[bool] = mapped_column(default=False)


class CitationKey(Base):
    """A citation's title word (``kind`` ``title``) or URL key (``url``), for the reverse look-ups of the
    citation graph (``storage.citations.match_index``)."""

    __tablename__ = "citation_keys"
    __table_args__ = (Index("ix_citation_keys_kind_key", "kind", "key"),)

    citation_id: Mapped[int] = mapped_column(ForeignKey("citations.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    longest: Mapped[bool] = mapped_column(default=False)


class Fetch(Base):
    """Provenance of every time bytes were obtained, including 'seen again'."""

    __tablename__ = "fetches"
    # (source, id): a URL's newest fetch; (source, etag): a file's earlier fetch in the same status (0013)
    __table_args__ = (Index("ix_fetches_source_id", "source", "id"), Index("ix_fetches_source_etag", "source", "etag"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    warc_path: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    # chain of custody: collector, purpose, tools, host, time zone, peer and TLS chain (migration 0006)
    custody: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class WorkKey(Base):
    """Inverted index of near-duplicate candidate keys (see ``storage.works.fingerprints``)."""

    __tablename__ = "work_keys"
    # (key, document_id): a key's documents, and those stored after a prematch's snapshot, by one index range
    __table_args__ = (Index("ix_work_keys_key_document", "key", "document_id"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # what the run was asked to ingest (folders, files, URLs as given); not loaded unless read
    sources: Mapped[list[Any]] = mapped_column(default=list, deferred=True)
    items: Mapped[int | None]  # how many items those expanded to (each has its fetch row or a failure)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    failures: Mapped[list[Any]] = mapped_column(default=list)
    warnings: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")  # what it left out or repaired
    status: Mapped[str] = mapped_column(String(20), default="running")
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str | None] = mapped_column(String(200))


class Event(Base):
    """One link of the hash chain: ``hash = sha256(canonical JSON incl. prev_hash)``."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    work_id: Mapped[int | None] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tool_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    record_hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ChainHead(Base):
    """The single row writers lock to append to the event chain in order."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class TimestampToken(Base):
    """An RFC 3161 time-stamp token over a chain head and the set of original hashes (``archivist timestamp``).

    ``message`` is the canonical JSON the token's message imprint hashes
    (``storage.integrity.timestamps``); ``response`` the authority's DER
    TimeStampResp as received; ``certificates`` the PEM certificates the
    response carried (the authority's chain). The ``timestamped`` event that
    ``event_id`` names carries the SHA-256 of ``response``, so a rewritten row
    is found by ``verify``.
    """

    __tablename__ = "timestamp_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tsa_url: Mapped[str] = mapped_column(Text)
    head_id: Mapped[int] = mapped_column(Integer, index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    response: Mapped[bytes] = mapped_column(LargeBinary)
    certificates: Mapped[list[Any]] = mapped_column(default=list)
    gen_time: Mapped[datetime | None]
    serial_number: Mapped[str | None] = mapped_column(String(80))
    event_id: Mapped[int | None] = mapped_column(Integer, index=True)
