"""The citation graph: citations resolved to archived documents.

A citation (one cited source inside a footnote) is *linked* to an archived
document by setting ``StoredCitation.cited_document_id``. Three ways to match, from
strongest to weakest:

3. **identifier**: a citation identifier equal to one of the document's own
   identifiers (same scheme; compared normalized: case and whitespace, a
   "UN Doc." / "Index:" / "doi:" prefix, two- or four-digit years and zero
   padding of NGO index numbers, ISBN-10 against ISBN-13);
2. **url**: a citation URL equal to the document's source URL, final URL after
   redirects (``fetches.final_url``) or ``metadata.canonical_url``, compared
   normalized (scheme, ``www.``, trailing slash, fragment, tracking parameters
   and query order do not matter);
1. **title**: both titles have at least 4 words, ``token_set_ratio`` of the
   normalized titles is at least 92, their word counts are within a factor of
   two, the dates are compatible (same year; same month and within 3 days when
   both are that precise) and the two do not carry *different* identifiers of
   the same scheme.

When several documents match, the strongest match wins, then the lowest
document id (the first archived rendition). A document is never linked to
itself, nor to another version or rendition of its own work.

:func:`link_document` runs inside the transaction that stores a document. It
resolves the new document's citations (forward) and re-resolves citations
already in the archive that the new document matches (reverse), so the result
does not depend on which of two documents arrives first. Writers are
serialized (chain-head lock), so concurrent ingests see each other.

Scaling: identifier lookups use the ``(scheme, value)`` indexes of both
identifier tables, URL lookups the index on ``fetches.source`` plus equality
scans of ``fetches.final_url`` and the canonical URL. The reverse URL and
title lookups and the forward title lookup scan (``LIKE`` over
``citations.urls`` / ``citations.title``, titles of stored documents in
batches of :data:`TITLE_BATCH`): linear in the archive per ingested document.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from rapidfuzz import fuzz, process
from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from extractors.text.identifiers import normalize_identifier

from storage.errors import DocumentNotFound
from storage.models import (
    StoredCitation,
    CitationIdentifier,
    Document,
    DocumentIdentifier,
    Fetch,
    StoredFootnote,
    FootnoteMarker,
)

log = logging.getLogger(__name__)

IDENTIFIER, URL, TITLE = 3, 2, 1
VIA = {IDENTIFIER: "identifier", URL: "url", TITLE: "title"}
TITLE_MIN_WORDS = 4
TITLE_MIN_SCORE = 92.0
TITLE_BATCH = 1000
CHUNK = 400  # values per IN (...) list

# ---------------------------------------------------------------- normalization

_PREFIX_RE = re.compile(
    r"^(?:(?:UN|U\.N\.)\s*Doc(?:ument)?\.?|Doc\.|(?:AI\s+)?Index(?:\s+(?:number|no\.?))?\s*:?|"
    r"doi\s*:|https?://(?:dx\.)?doi\.org/|Symbol\s*:|ISBN(?:-1[03])?\s*:?)\s*",
    re.IGNORECASE,
)
_NGO_RE = re.compile(r"^([A-Z]{3})\s*(\d{2})/(\d{1,4})/(\d{2}|\d{4})$")
_UN_TITLE_PARTS = ("ADD", "CORR", "REV", "SUB", "AMEND", "SR", "WP", "SESS")


def _strip_prefix(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "").strip()
    previous = None
    while previous != value:
        previous = value
        value = _PREFIX_RE.sub("", value).strip()
    return value.rstrip(".,;: ")


def _isbn13(digits: str) -> str | None:
    if len(digits) == 13:
        return digits
    if len(digits) == 10:
        core = "978" + digits[:9]
        check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(core)) % 10) % 10
        return core + str(check)
    return None


def _isbn10(digits: str) -> str | None:
    if len(digits) == 10:
        return digits
    if len(digits) == 13 and digits.startswith("978"):
        core = digits[3:12]
        total = sum((10 - i) * int(c) for i, c in enumerate(core))
        check = (11 - total % 11) % 11
        return core + ("X" if check == 10 else str(check))
    return None


def _ngo_parts(value: str) -> tuple[str, str, str, str] | None:
    m = _NGO_RE.match(value.upper().strip())
    if not m:
        return None
    letters, region, serial, year = m.groups()
    if len(year) == 2:
        year = ("19" if int(year) >= 50 else "20") + year
    return letters, region, serial, year


def identifier_key(scheme: str, value: str) -> str | None:
    """The comparison key of an identifier (``None`` when it is empty)."""
    scheme = (scheme or "").strip().lower()
    if scheme == "url":
        return url_key(value)
    value = _strip_prefix(value)
    if not value:
        return None
    if scheme == "un-symbol":
        return re.sub(r"\s+", "", value).upper()
    if scheme == "ngo-index":
        parts = _ngo_parts(value)
        if parts is None:
            return re.sub(r"\s+", "", value).upper()
        letters, region, serial, year = parts
        return f"{letters}{region}/{int(serial)}/{year}"
    if scheme == "doi":
        return value.lower()
    if scheme == "isbn":
        digits = re.sub(r"[\s\-]", "", value).upper()
        return _isbn13(digits) or digits
    return re.sub(r"\s+", " ", value).casefold()


def identifier_variants(scheme: str, value: str) -> set[str]:
    """Spellings of one identifier as it may be stored (for indexed ``IN`` lookups)."""
    raw = (value or "").strip()
    value = _strip_prefix(raw)
    out = {raw, value}
    if scheme == "un-symbol":
        compact = re.sub(r"\s+", "", value)
        upper = compact.upper()
        out |= {compact, upper}
        parts = []
        for part in upper.split("/"):
            head = re.match(r"([A-Z]+)(\.?\d.*)?$", part)
            if head and head.group(1) in _UN_TITLE_PARTS and head.group(1) not in ("SR", "WP"):
                part = head.group(1).title() + (head.group(2) or "")
            parts.append(part)
        out.add("/".join(parts))
    elif scheme == "ngo-index":
        parts = _ngo_parts(value)
        if parts:
            letters, region, serial, year = parts
            serials = {serial, str(int(serial)), str(int(serial)).zfill(3), str(int(serial)).zfill(4)}
            for s in serials:
                for y in (year, year[2:]):
                    out.add(f"{letters} {region}/{s}/{y}")
    elif scheme == "doi":
        out |= {value.lower(), value.upper()}
    elif scheme == "isbn":
        digits = re.sub(r"[\s\-]", "", value).upper()
        out |= {d for d in (digits, _isbn13(digits), _isbn10(digits)) if d}
    return {v for v in out if v}


_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|_ga|_gl|yclid|"
    r"ref_src|ref_url|cmpid|s_cid|mkt_tok|__s|ocid|spm)$",
    re.IGNORECASE,
)
_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_BARE_HOST = re.compile(r"^(?:www\d?\.)?(?:[a-z0-9\-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_key(url: str | None, lenient: bool = True) -> str | None:
    """A comparison key for a web address, or ``None`` if ``url`` is not one.

    ``lenient`` accepts addresses without a scheme (``www.un.org/…``,
    ``amnesty.org/en/…``), as citations print them; document sources (file
    paths) are passed with ``lenient=False``.
    """
    if not url:
        return None
    url = unicodedata.normalize("NFKC", str(url)).strip().strip("<>").strip()
    if not _HAS_SCHEME.match(url):
        if not lenient or not _BARE_HOST.match(url):
            return None
        url = "http://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    host = re.sub(r"^www\d?\.", "", host)
    if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = unquote(parts.path or "")
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    key = host + path
    if query:
        key += "?" + urlencode(query)
    return key


def url_variants(url: str, lenient: bool = True) -> set[str]:
    """Likely stored spellings of ``url`` (for ``IN`` lookups on URL columns)."""
    key = url_key(url, lenient)
    if key is None:
        return set()
    out = {url.strip()}
    host_path, _, query = key.partition("?")
    host, slash, path = host_path.partition("/")
    path = slash + path
    q = ("?" + query) if query else ""
    for scheme in ("http", "https"):
        for www in ("", "www."):
            for trail in ("", "/"):
                out.add(f"{scheme}://{www}{host}{path}{trail}{q}")
    return out


def _url_core(url: str) -> str | None:
    """Host and path of ``url`` as printed (for a ``LIKE`` prefilter), ASCII only."""
    key = url_key(url)
    if key is None:
        return None
    raw = url.strip()
    raw = _HAS_SCHEME.sub("", raw)
    raw = re.split(r"[?#]", raw, maxsplit=1)[0].rstrip("/")
    raw = re.sub(r"^www\d?\.", "", raw, flags=re.IGNORECASE)
    core = ""
    for ch in raw:
        if ord(ch) > 127 or ch in "\"\\":
            break
        core += ch
    return core if len(core) >= 8 else None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def title_key(title: str | None) -> str:
    """Case-folded title: marks, apostrophes and punctuation dropped."""
    if not title:
        return ""
    text = unicodedata.normalize("NFKC", title).casefold()
    text = re.sub(r"['’‘ʼ`´]", "", text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[\W_]+", " ", text).strip()


def _date_parts(value: str | None) -> tuple[int, ...]:
    m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value or "")
    if not m:
        return ()
    return tuple(int(g) for g in m.groups() if g)


def dates_compatible(a: str | None, b: str | None) -> bool:
    """Same year; same month when both say; within 3 days when both give the day."""
    pa, pb = _date_parts(a), _date_parts(b)
    if not pa or not pb:
        return True
    if pa[0] != pb[0]:
        return False
    if len(pa) == 3 and len(pb) == 3:
        try:
            return abs((Date(*pa) - Date(*pb)).days) <= 3
        except ValueError:
            return pa == pb
    if len(pa) >= 2 and len(pb) >= 2:
        return pa[1] == pb[1]
    return True


def titles_match(a: str, b: str) -> bool:
    """``a`` and ``b`` are title keys (:func:`title_key`)."""
    wa, wb = a.split(), b.split()
    if len(wa) < TITLE_MIN_WORDS or len(wb) < TITLE_MIN_WORDS:
        return False
    if min(len(wa), len(wb)) * 2 < max(len(wa), len(wb)):
        return False
    return fuzz.token_set_ratio(a, b) >= TITLE_MIN_SCORE


# ---------------------------------------------------------------- keys


@dataclass
class DocKeys:
    id: int
    work_id: int
    title: str = ""
    date: str | None = None
    idents: set[tuple[str, str]] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)


@dataclass
class CitKeys:
    id: int
    document_id: int
    work_id: int
    current: int | None = None
    title: str = ""
    date: str | None = None
    idents: set[tuple[str, str]] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    raw_idents: list[tuple[str, str]] = field(default_factory=list)
    raw_urls: list[str] = field(default_factory=list)


def match_strength(cit: CitKeys, doc: DocKeys) -> int:
    """How ``cit`` matches ``doc``: IDENTIFIER, URL, TITLE or 0."""
    if doc.id == cit.document_id or doc.work_id == cit.work_id:
        return 0
    if cit.idents & doc.idents:
        return IDENTIFIER
    if cit.urls & doc.urls:
        return URL
    if cit.title and doc.title and dates_compatible(cit.date, doc.date) and titles_match(cit.title, doc.title):
        schemes = {s for s, _ in cit.idents} & {s for s, _ in doc.idents}
        if schemes:  # both carry e.g. an index number, and not the same one
            return 0
        return TITLE
    return 0


def _chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _canonical_url_col():  # type: ignore[no-untyped-def]
    return Document.metadata_json["canonical_url"].as_string()


def load_doc_keys(session: Session, ids: Iterable[int]) -> dict[int, DocKeys]:
    """Match keys of the *stored* documents among ``ids``."""
    out: dict[int, DocKeys] = {}
    for chunk in _chunks(set(ids)):
        for did, work_id, title, dt, source, canonical in session.execute(
            select(Document.id, Document.work_id, Document.title, Document.date, Document.source,
                   _canonical_url_col()).where(Document.id.in_(chunk), Document.status == "stored")
        ):
            keys = DocKeys(did, work_id, title_key(title), dt)
            for u in (url_key(source, lenient=False), url_key(canonical, lenient=False)):
                if u:
                    keys.urls.add(u)
            out[did] = keys
        present = [i for i in chunk if i in out]
        if not present:
            continue
        for did, scheme, value in session.execute(
            select(DocumentIdentifier.document_id, DocumentIdentifier.scheme, DocumentIdentifier.value)
            .where(DocumentIdentifier.document_id.in_(present))
        ):
            key = identifier_key(scheme, value)
            if key:
                if scheme == "url":
                    out[did].urls.add(key)
                else:
                    out[did].idents.add((scheme, key))
        for did, source, final in session.execute(
            select(Fetch.document_id, Fetch.source, Fetch.final_url).where(Fetch.document_id.in_(present))
        ):
            for u in (url_key(source, lenient=False), url_key(final, lenient=False)):
                if u:
                    out[did].urls.add(u)
    return out


def _cit_keys(session: Session, where: Any) -> dict[int, CitKeys]:
    """Match keys of the citations selected by ``where`` (a clause on StoredCitation/StoredFootnote)."""
    out: dict[int, CitKeys] = {}
    rows = session.execute(
        select(StoredCitation.id, StoredFootnote.document_id, Document.work_id, StoredCitation.cited_document_id, StoredCitation.title,
               StoredCitation.date, StoredCitation.urls)
        .join(StoredFootnote, StoredFootnote.id == StoredCitation.footnote_id)
        .join(Document, Document.id == StoredFootnote.document_id)
        .where(where)
    )
    for cid, did, work_id, current, title, dt, urls in rows:
        keys = CitKeys(cid, did, work_id, current, title_key(title), dt)
        for u in urls or []:
            k = url_key(u)
            if k:
                keys.urls.add(k)
                keys.raw_urls.append(u)
        out[cid] = keys
    for chunk in _chunks(out):
        for cid, scheme, value in session.execute(
            select(CitationIdentifier.citation_id, CitationIdentifier.scheme, CitationIdentifier.value)
            .where(CitationIdentifier.citation_id.in_(chunk))
        ):
            key = identifier_key(scheme, value)
            if key:
                if scheme == "url":
                    out[cid].urls.add(key)
                    out[cid].raw_urls.append(value)
                else:
                    out[cid].idents.add((scheme, key))
                    out[cid].raw_idents.append((scheme, value))
    return out


# ---------------------------------------------------------------- candidate lookups


def _ids_by_identifiers(session: Session, idents: Iterable[tuple[str, str]], table: Any, id_col: Any) -> set[int]:
    """Row ids of ``table`` holding any of ``idents`` (all spelling variants), via its (scheme, value) index."""
    by_scheme: dict[str, set[str]] = {}
    for scheme, value in idents:
        if scheme == "url":
            continue
        by_scheme.setdefault(scheme, set()).update(identifier_variants(scheme, value))
    found: set[int] = set()
    for scheme, values in by_scheme.items():
        for chunk in _chunks(values):
            found.update(session.scalars(select(id_col).where(table.scheme == scheme, table.value.in_(chunk))))
    return found


def docs_by_identifiers(session: Session, idents: Iterable[tuple[str, str]]) -> set[int]:
    """Documents holding any of ``idents`` (raw scheme, value pairs)."""
    return _ids_by_identifiers(session, idents, DocumentIdentifier, DocumentIdentifier.document_id)


def docs_by_urls(session: Session, urls: Iterable[str]) -> set[int]:
    """Documents whose source, final URL or canonical URL is one of ``urls`` (spelling variants)."""
    variants: set[str] = set()
    for u in urls:
        variants |= url_variants(u)
    found: set[int] = set()
    for chunk in _chunks(variants):
        found.update(i for i in session.scalars(select(Fetch.document_id).where(Fetch.source.in_(chunk))) if i)
        found.update(i for i in session.scalars(select(Fetch.document_id).where(Fetch.final_url.in_(chunk))) if i)
        found.update(session.scalars(select(Document.id).where(Document.source.in_(chunk))))
        found.update(session.scalars(select(Document.id).where(_canonical_url_col().in_(chunk))))
    return found


def citations_by_identifiers(session: Session, idents: Iterable[tuple[str, str]]) -> set[int]:
    """Citations carrying any of ``idents``."""
    return _ids_by_identifiers(session, idents, CitationIdentifier, CitationIdentifier.citation_id)


def citations_by_urls(session: Session, urls: Iterable[str]) -> set[int]:
    """Citations with one of ``urls`` (normalized), found by a ``LIKE`` scan of ``citations.urls``."""
    keys = {k for k in (url_key(u) for u in urls) if k}
    cores = {c for c in (_url_core(u) for u in urls) if c}
    if not keys or not cores:
        return set()
    text = cast(StoredCitation.urls, Text)
    clause = or_(*[text.ilike(f"%{_like_escape(c)}%", escape="\\") for c in sorted(cores)])
    found: set[int] = set()
    for cid, cit_urls in session.execute(select(StoredCitation.id, StoredCitation.urls).where(clause)):
        if any(url_key(u) in keys for u in cit_urls or []):
            found.add(cid)
    return found


def citations_by_title(session: Session, title: str | None, date: str | None) -> set[int]:
    """Citations whose title matches ``title`` (and date ``date``), prefiltered by its longest words."""
    key = title_key(title)
    words = key.split()
    if len(words) < TITLE_MIN_WORDS:
        return set()
    longest = sorted({w for w in words if len(w) >= 4}, key=lambda w: (-len(w), w))[:2]
    if not longest:
        return set()
    clause = or_(*[StoredCitation.title.ilike(f"%{_like_escape(w)}%", escape="\\") for w in longest])
    where = [StoredCitation.title.is_not(None), clause]
    year = _date_parts(date)[:1]
    if year:
        where.append(or_(StoredCitation.date.is_(None), StoredCitation.date.like(f"{year[0]:04d}%")))
    found: set[int] = set()
    last = 0
    while True:
        rows = session.execute(select(StoredCitation.id, StoredCitation.title, StoredCitation.date)
                               .where(*where, StoredCitation.id > last).order_by(StoredCitation.id).limit(TITLE_BATCH)).all()
        if not rows:
            break
        last = rows[-1][0]
        for cid, ctitle, cdate in rows:
            if dates_compatible(cdate, date) and titles_match(title_key(ctitle), key):
                found.add(cid)
    return found


def _docs_by_titles(session: Session, cits: list[CitKeys], exclude: int) -> dict[int, set[int]]:
    """For each citation (with a title), the stored documents whose titles match: citation id -> doc ids."""
    by_title: dict[str, list[CitKeys]] = {}
    for c in cits:
        if len(c.title.split()) >= TITLE_MIN_WORDS:
            by_title.setdefault(c.title, []).append(c)
    out: dict[int, set[int]] = {}
    if not by_title:
        return out
    choices = list(by_title)
    last = 0
    while True:
        rows = session.execute(
            select(Document.id, Document.title, Document.date)
            .where(Document.status == "stored", Document.title.is_not(None), Document.id > last,
                   Document.id != exclude)
            .order_by(Document.id).limit(TITLE_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        for did, dtitle, ddate in rows:
            dkey = title_key(dtitle)
            if len(dkey.split()) < TITLE_MIN_WORDS:
                continue
            for ctitle, _score, _ in process.extract(dkey, choices, scorer=fuzz.token_set_ratio,
                                                     score_cutoff=TITLE_MIN_SCORE, limit=None):
                if not titles_match(ctitle, dkey):
                    continue
                for c in by_title[ctitle]:
                    if dates_compatible(c.date, ddate):
                        out.setdefault(c.id, set()).add(did)
    return out


# ---------------------------------------------------------------- linking


def _best(cit: CitKeys, docs: Iterable[DocKeys]) -> tuple[int, int] | None:
    """(strength, document id) of the best match, or None."""
    best: tuple[int, int] | None = None
    for d in docs:
        s = match_strength(cit, d)
        if s and (best is None or (s, -d.id) > (best[0], -best[1])):
            best = (s, d.id)
    return best


def resolve_citations(session: Session, cits: dict[int, CitKeys]) -> dict[int, tuple[int, int] | None]:
    """Best archived document for each citation: citation id -> (strength, document id) or None."""
    if not cits:
        return {}
    candidates: dict[int, set[int]] = {cid: set() for cid in cits}
    keys: dict[int, DocKeys] = {}

    def add(hits: set[int], attr: str) -> None:
        missing = hits - keys.keys()
        if missing:
            keys.update(load_doc_keys(session, missing))
        index: dict[Any, set[int]] = {}
        for did in hits:
            if did in keys:
                for value in getattr(keys[did], attr):
                    index.setdefault(value, set()).add(did)
        for cid, c in cits.items():
            for value in getattr(c, attr):
                candidates[cid] |= index.get(value, set())

    # identifiers: one indexed lookup for all of them; then URLs
    pairs = {p for c in cits.values() for p in c.raw_idents}
    if pairs:
        add(docs_by_identifiers(session, pairs), "idents")
    urls = {u for c in cits.values() for u in c.raw_urls}
    if urls:
        add(docs_by_urls(session, urls), "urls")
    best = {cid: _best(c, [keys[d] for d in candidates[cid] if d in keys]) for cid, c in cits.items()}
    # titles, only for citations that nothing stronger resolves
    loose = [c for cid, c in cits.items() if best[cid] is None and c.title]
    if loose:
        exclude = loose[0].document_id if len({c.document_id for c in loose}) == 1 else 0
        by_title = _docs_by_titles(session, loose, exclude)
        every = {d for ds in by_title.values() for d in ds} - keys.keys()
        if every:
            keys.update(load_doc_keys(session, every))
        for cid, dids in by_title.items():
            best[cid] = _best(cits[cid], [keys[d] for d in dids if d in keys])
    return best


def _set_links(session: Session, links: dict[int, int | None]) -> int:
    changed = 0
    for chunk in _chunks(links):
        for cit in session.scalars(select(StoredCitation).where(StoredCitation.id.in_(chunk))):
            target = links[cit.id]
            if cit.cited_document_id != target:
                cit.cited_document_id = target
                changed += 1
    return changed


def link_forward(session: Session, doc: Document) -> int:
    """Resolve ``doc``'s own citations; return how many links changed."""
    cits = _cit_keys(session, StoredFootnote.document_id == doc.id)
    resolved = resolve_citations(session, cits)
    return _set_links(session, {cid: (best[1] if best else None) for cid, best in resolved.items()})


def link_reverse(session: Session, doc: Document) -> int:
    """Point citations already archived at ``doc`` where it is their best match."""
    keys = load_doc_keys(session, [doc.id]).get(doc.id)
    if keys is None:
        return 0
    raw_idents = [(i.scheme, i.value) for i in session.scalars(
        select(DocumentIdentifier).where(DocumentIdentifier.document_id == doc.id))]
    urls = [u for u in _document_raw_urls(session, doc.id)]
    found = citations_by_identifiers(session, raw_idents)
    found |= citations_by_urls(session, urls)
    found |= citations_by_title(session, doc.title, doc.date)
    if not found:
        return 0
    cits: dict[int, CitKeys] = {}
    for chunk in _chunks(found):
        cits.update(_cit_keys(session, StoredCitation.id.in_(chunk)))
    matched = {cid: c for cid, c in cits.items() if match_strength(c, keys)}
    others = {c.current for c in matched.values() if c.current and c.current != doc.id}
    old = load_doc_keys(session, others) if others else {}
    links: dict[int, int | None] = {}
    for cid, c in matched.items():
        if c.current == doc.id:
            continue
        s = match_strength(c, keys)
        held = old.get(c.current) if c.current else None
        s_old = match_strength(c, held) if held else 0
        if not s_old or (s, -doc.id) > (s_old, -held.id):  # type: ignore[union-attr]
            links[cid] = doc.id
    return _set_links(session, links)


def _document_raw_urls(session: Session, document_id: int) -> list[str]:
    urls: list[str] = []
    row = session.execute(select(Document.source, _canonical_url_col()).where(Document.id == document_id)).first()
    if row:
        urls += [u for u in row if u and url_key(u, lenient=False)]
    for source, final in session.execute(select(Fetch.source, Fetch.final_url).where(Fetch.document_id == document_id)):
        urls += [u for u in (source, final) if u and url_key(u, lenient=False)]
    urls += [v for (v,) in session.execute(select(DocumentIdentifier.value).where(
        DocumentIdentifier.document_id == document_id, DocumentIdentifier.scheme == "url"))]
    return sorted(set(urls))


def link_document(session: Session, doc: Document) -> None:
    """Resolve ``doc``'s citations to archived documents, and others' citations to ``doc``.

    Runs in the caller's transaction, inside a savepoint: a failure here is
    logged and leaves the links as they were, it never loses the document.
    """
    if doc.status != "stored" or doc.id is None:
        return
    try:
        with session.begin_nested():
            forward = link_forward(session, doc)
            reverse = link_reverse(session, doc)
        log.debug("document %s: %d citations linked, %d citations now point at it", doc.id, forward, reverse)
    except Exception:
        log.warning("citation linking failed for document %s", doc.id, exc_info=True)


def relink_all(session: Session) -> int:
    """Re-resolve every citation in the archive (after a change to the matching rules)."""
    changed = 0
    ids = list(session.scalars(select(Document.id).where(Document.status == "stored").order_by(Document.id)))
    for did in ids:
        cits = _cit_keys(session, StoredFootnote.document_id == did)
        resolved = resolve_citations(session, cits)
        changed += _set_links(session, {cid: (b[1] if b else None) for cid, b in resolved.items()})
    session.flush()
    return changed


# ---------------------------------------------------------------- reads


def _entries(session: Session, via: dict[int, str], exclude_docs: set[int] = frozenset(),  # type: ignore[assignment]
             exclude_works: set[int] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]
    """One entry per citing footnote, for the citations in ``via`` (citation id -> how found)."""
    rows = []
    for chunk in _chunks(via):
        rows += session.execute(
            select(StoredCitation.id, StoredCitation.seq, StoredCitation.text, StoredCitation.pinpoint, StoredCitation.refers_to,
                   StoredCitation.cited_document_id, StoredFootnote.id, StoredFootnote.seq, StoredFootnote.label, StoredFootnote.text,
                   StoredFootnote.context, Document.id, Document.work_id, Document.title, Document.source, Document.date)
            .join(StoredFootnote, StoredFootnote.id == StoredCitation.footnote_id)
            .join(Document, Document.id == StoredFootnote.document_id)
            .where(StoredCitation.id.in_(chunk))
        ).all()
    rows.sort(key=lambda r: (r[11], r[7], r[1]))
    order = {"link": 0, "identifier": 1, "url": 2, "title": 3}
    entries: dict[int, dict[str, Any]] = {}
    for (cid, cseq, ctext, pin, refers, linked, fid, fseq, label, ntext, nctx, did, wid, title, source,
         ddate) in rows:
        if did in exclude_docs or wid in exclude_works:
            continue
        how = via[cid]
        entry = entries.get(fid)
        if entry is not None:
            if order.get(how, 9) < order.get(entry["via"], 9):
                entry["via"] = how
            continue
        entries[fid] = {
            "document_id": did, "title": title, "source": source, "date": ddate,
            "label": label, "note_seq": fseq, "note_text": ntext, "context": nctx or "",
            "contexts": [], "citation_text": ctext, "pinpoint": pin, "repeat": refers is not None,
            "citation_id": cid, "cited_document_id": linked, "via": how,
        }
    for chunk in _chunks(entries):
        for fid, ctx in session.execute(select(FootnoteMarker.footnote_id, FootnoteMarker.context)
                                        .where(FootnoteMarker.footnote_id.in_(chunk))
                                        .order_by(FootnoteMarker.footnote_id, FootnoteMarker.seq)):
            if ctx and ctx not in entries[fid]["contexts"]:
                entries[fid]["contexts"].append(ctx)
    for entry in entries.values():
        if not entry["context"] and entry["contexts"]:
            entry["context"] = entry["contexts"][0]
    return list(entries.values())


def cited_by(session: Session, document_id: int) -> list[dict[str, Any]]:
    """Notes in other archived documents that cite ``document_id`` (one entry per citing note)."""
    ids = list(session.scalars(select(StoredCitation.id).where(StoredCitation.cited_document_id == document_id)))
    return _entries(session, {cid: "link" for cid in ids}, exclude_docs={document_id})


def _document_dict(doc: Document, session: Session) -> dict[str, Any]:
    idents = session.execute(select(DocumentIdentifier.scheme, DocumentIdentifier.value)
                             .where(DocumentIdentifier.document_id == doc.id)
                             .order_by(DocumentIdentifier.id)).all()
    return {"id": doc.id, "title": doc.title, "source": doc.source, "date": doc.date, "sha256": doc.sha256,
            "work_id": doc.work_id, "status": doc.status,
            "identifiers": [{"scheme": s, "value": v} for s, v in idents]}


def _looks_like_url(text: str) -> bool:
    return bool(re.match(r"^(?:https?://|www\d?\.)", text, re.IGNORECASE)) or (
        "/" in text and " " not in text and bool(_BARE_HOST.match(text)))


def resolve_ref(session: Session, ref: str) -> tuple[list[Document], list[tuple[str, str]], list[str]]:
    """What ``ref`` names: matching archived documents (first archived first), identifiers, URLs.

    ``ref`` is a document id, a SHA-256 prefix (8+ hex digits), an identifier
    (UN symbol, index number, DOI, ISBN; "UN Doc." style prefixes allowed) or
    a URL. Raises :class:`DocumentNotFound` when it is none of these.
    """
    text = (ref or "").strip()
    numeric = text.isdigit() and len(text) < 12
    docs: list[Document] = []
    idents: list[tuple[str, str]] = []
    urls: list[str] = []
    if numeric:
        doc = session.get(Document, int(text))
        if doc is not None:
            docs = [doc]
    if not docs and len(text) >= 8 and re.fullmatch(r"[0-9a-fA-F]+", text):
        found = list(session.scalars(select(Document).where(Document.sha256.startswith(text.lower())).limit(2)))
        if len(found) == 1:
            docs = found
    if not docs:
        ident = None if _looks_like_url(text) else (normalize_identifier(text) or normalize_identifier(text.upper()))
        if ident is not None:
            idents = [(ident.scheme, ident.value)]
            wanted = (ident.scheme, identifier_key(ident.scheme, ident.value))
            candidates = _stored(session, docs_by_identifiers(session, idents))
            keys = load_doc_keys(session, [d.id for d in candidates])
            docs = [d for d in candidates if wanted in keys[d.id].idents]
        elif url_key(text) is not None and not numeric:
            urls = [text]
            wanted_url = url_key(text)
            candidates = _stored(session, docs_by_urls(session, urls))
            keys = load_doc_keys(session, [d.id for d in candidates])
            docs = [d for d in candidates if wanted_url in keys[d.id].urls]
        else:
            ids = set(session.scalars(select(DocumentIdentifier.document_id)
                                      .where(DocumentIdentifier.value == text)))
            docs = _stored(session, ids)
            if not docs:
                what = f"no document with id {text}" if numeric else \
                    f"{text!r} is not a document id, hash, identifier or URL in the archive"
                raise DocumentNotFound(what)
    for doc in docs[:1]:
        idents += [(i.scheme, i.value) for i in session.scalars(
            select(DocumentIdentifier).where(DocumentIdentifier.document_id == doc.id))]
        urls += _document_raw_urls(session, doc.id)
    return docs, idents, urls


def _stored(session: Session, ids: Iterable[int]) -> list[Document]:
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(session.scalars(select(Document).where(Document.id.in_(ids), Document.status == "stored")
                                .order_by(Document.id)))


def find_citing(session: Session, ref: str) -> dict[str, Any]:
    """``archivist cites``: the target named by ``ref`` and every note that cites it.

    Citations are found through resolved links (``via: link``) and, so that
    documents we do not hold can be asked about too, directly through citation
    identifiers (``via: identifier``) and citation URLs (``via: url``).
    """
    docs, idents, urls = resolve_ref(session, ref)
    target = docs[0] if docs else None
    via: dict[int, str] = {}
    if target is not None:
        for cid in session.scalars(select(StoredCitation.id).where(StoredCitation.cited_document_id == target.id)):
            via[cid] = "link"
    for cid in citations_by_identifiers(session, idents):
        via.setdefault(cid, "identifier")
    for cid in citations_by_urls(session, urls):
        via.setdefault(cid, "url")
    exclude_docs = {d.id for d in docs}
    exclude_works = {target.work_id} if target is not None else set()
    citing = _entries(session, via, exclude_docs, exclude_works)
    return {
        "query": ref,
        "target": _document_dict(target, session) if target is not None else None,
        "also_archived": [_document_dict(d, session) for d in docs[1:]],
        "identifiers": [{"scheme": s, "value": v} for s, v in dict.fromkeys(idents)],
        "urls": list(dict.fromkeys(urls)),
        "citing": citing,
    }
