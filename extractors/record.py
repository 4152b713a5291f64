"""The typed record every extractor returns.

Extractors are pure: bytes and :class:`Hints` in, one :class:`ExtractedDocument`
out. Nothing here knows about databases, Prefect or the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from extractors.limits import ExtractionLimits


@dataclass(frozen=True)
class Hints:
    """What the caller knows about the bytes besides the bytes themselves.

    ``media_type`` is a declared type (an HTTP ``Content-Type`` without
    parameters, or a manifest entry); ``charset`` a declared character set;
    ``filename`` the last path component or URL segment; ``url`` where the
    bytes came from, when they came from the web; ``limits`` the resource
    bounds of this extraction.
    """

    filename: str | None = None
    media_type: str | None = None
    charset: str | None = None
    url: str | None = None
    limits: ExtractionLimits = field(default_factory=ExtractionLimits)


@dataclass
class Identifier:
    """A document identifier with its scheme.

    Schemes: ``un-symbol`` (``A/HRC/37/24``), ``ngo-index`` (``MDE 13/6418/2023``),
    ``doi``, ``isbn``, ``url``.
    """

    scheme: str
    value: str


@dataclass
class Citation:
    """One cited source inside a footnote.

    ``refers_to`` points at an earlier citation that this one repeats
    ("Ibid.", "(previously cited)", "op. cit.", "supra note 3"): it holds
    ``{"note": label, "index": i}`` — the label of the earlier note and the
    0-based index of the citation inside it.

    ``container`` (journal, newspaper, book of a chapter), ``publisher``,
    ``place`` (of publication), ``volume``, ``issue`` and ``pages`` (the
    cited work's page range, not the ``pinpoint``) are named as the citation
    labeller names them, and filled only from it. ``confidence`` is 1.0 for
    fields read from markup or by rule and the mean marginal probability of
    the labeller's fields when they come from it.
    """

    text: str
    author: str | None = None
    title: str | None = None
    date: str | None = None
    urls: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    pinpoint: str | None = None
    kind: str | None = None
    refers_to: dict[str, Any] | None = None
    container: str | None = None
    publisher: str | None = None
    place: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    confidence: float = 1.0


@dataclass
class Marker:
    """Where a footnote is referenced from.

    ``offset`` is the character offset in the canonical text at which the
    (removed) marker stood; ``context`` the sentence that carries it.
    """

    offset: int
    context: str = ""
    page: int | None = None


@dataclass
class Footnote:
    """A note: its printed label, its text and every marker that points at it.

    Notes are listed in document order (order of first marker, or of the
    notes' own order when they have no marker). ``confidence`` is 1.0 when the
    link between marker and note is structural (HTML anchors, wikitext refs,
    ``<sup>`` pairs) and lower when it was inferred from plain text.
    """

    label: str
    text: str
    markers: list[Marker] = field(default_factory=list)
    page: int | None = None
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 1.0

    @property
    def context(self) -> str:
        """The sentence that carries the first marker ('' if there is none)."""
        return self.markers[0].context if self.markers else ""


@dataclass
class Metadata:
    """Descriptive metadata. Dates are ISO 8601 strings (``YYYY[-MM[-DD]]``).

    ``date`` is the document's own date, the one it states (its text, the
    page's metadata, a curator's manifest); ``file_date`` is when the file was
    made (a PDF's ``/CreationDate``), which is not the document's date.
    """

    title: str | None = None
    date: str | None = None
    file_date: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    site_name: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    page_count: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Part:
    """A document inside this one (an e-mail attachment, a container member), ingested as its own record.

    ``name`` is its path inside the container or its attachment file name, ``role`` says which
    (``attachment`` or ``member``); ``data`` are its exact bytes.
    """

    name: str
    data: bytes
    media_type: str | None = None
    role: str = "member"


@dataclass
class ExtractedDocument:
    """One extractor's whole result for one byte sequence.

    ``text`` is the canonical text: NFC-normalized plain text, paragraphs and
    headings separated by one blank line, no markup, no footnote markers and no
    footnote bodies.
    """

    format: str
    media_type: str
    text: str
    metadata: Metadata = field(default_factory=Metadata)
    footnotes: list[Footnote] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extractor: str = ""
    parts: list[Part] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole record."""
        data = asdict(self)
        for note, raw in zip(self.footnotes, data["footnotes"]):
            raw["context"] = note.context
        data["parts"] = [{"name": p.name, "media_type": p.media_type, "role": p.role, "size": len(p.data)}
                         for p in self.parts]  # the bytes themselves are stored as their own documents
        return data
