"""Grouping documents into works, on a persistent near-duplicate index.

Levels, strongest first: identical bytes never reach here (same record, a
"seen-again" event); the same words in another format is a *rendition*; an
edited text is a *revision*; anything else starts a new work. Candidates come
from the ``work_keys`` inverted index (keys from
``storage.works.fingerprints.fingerprint``), so a lookup costs a few indexed
queries however large the archive; each candidate is then confirmed by
``storage.works.confirm.compare``: similarity decides the work, an exact
comparison of normalized words (``storage.works.words``) the label.

Relations point at the closest version: a rendition at the version with the
same words (the first one that had them), a revision at the version it most
resembles. A curator's ``rendition_of`` / ``revision_of`` in the manifest
wins. Each document records why (``relation_reason``) and the word spans in
which it differs from the related version (``differences``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from storage import events, new_rows
from storage.models import Document, Work, WorkKey

if TYPE_CHECKING:
    from extractors.record import ExtractedDocument
    from storage.works.confirm import Comparison
    from storage.works.prematch import Prematch

MAX_CANDIDATES = 8
MIN_SHARED = 2
TEXT_KEY_PREFIX = "="


@dataclass
class Placement:
    """Where a document went, and why."""

    relation: str
    matched_document_id: int | None = None
    score: float | None = None
    reasons: dict[str, Any] = field(default_factory=dict)
    renumbered: list[int] = field(default_factory=list)
    reason: str | None = None                 # the document's relation_reason
    differences: dict[str, Any] | None = None  # word spans against the related document
    keys: list[str] = field(default_factory=list)  # the grouping keys written for the document


def index_keys(text: str, title: str | None) -> list[str]:
    """The keys stored for a document: its exact-text key and its candidate keys."""
    from storage.works.fingerprints import fingerprint

    if not text.strip():
        return []
    fp = fingerprint(text, title)
    keys = [TEXT_KEY_PREFIX + fp.text_key[:63]]
    keys.extend(k[:64] for k in fp.keys)
    return list(dict.fromkeys(keys))


# Written out once: this query runs for every document stored (in the workers and the storing process),
# and building it from the ORM each time cost three times what SQLite spends on it.
_RANKED = sql(
    "SELECT document_id, count(*) AS shared, max(CASE WHEN \"key\" IN :exact THEN 1 ELSE 0 END) AS exact "
    "FROM work_keys WHERE \"key\" IN :keys AND document_id <= :up_to AND document_id > :after "
    "GROUP BY document_id ORDER BY count(*) DESC, document_id LIMIT :limit"
).bindparams(bindparam("keys", expanding=True), bindparam("exact", expanding=True))
_NO_BOUND = 2 ** 62  # above any document id


def ranked_candidates(session: Session | Connection, keys: list[str], exclude: set[int] | None = None, *,
                      up_to: int | None = None, after: int | None = None) -> list[tuple[int, int, bool]]:
    """The documents sharing most of ``keys``: ``(document id, keys shared, same exact text)``, best first.

    One indexed query over ``work_keys``: at most :data:`MAX_CANDIDATES` (plus
    the excluded), among ids ``<= up_to`` and ``> after`` when given (a
    prematch's snapshot, and what was stored since).
    """
    if not keys:
        return []
    exclude = exclude or set()
    # one query: how many keys each document shares, and whether one of them is the exact-text key
    rows = session.execute(_RANKED, {
        "keys": keys, "exact": [k for k in keys if k.startswith(TEXT_KEY_PREFIX)],
        "up_to": _NO_BOUND if up_to is None else up_to, "after": -1 if after is None else after,
        "limit": MAX_CANDIDATES + len(exclude)}).all()
    return [(doc_id, shared, bool(same)) for doc_id, shared, same in rows]


def worth_confirming(ranked: list[tuple[int, int, bool]], keys: list[str], exclude: set[int] | None = None
                     ) -> list[tuple[int, bool]]:
    """The candidates of ``ranked`` worth confirming: ``(document id, same exact text)``.

    One shared key out of dozens is what unrelated texts on one topic have; a
    revision shares many (seeds 000/001 after a heavy rewrite: 7; edited
    versions: 19+), so long texts need two; short texts have few keys and need one.
    """
    exclude = exclude or set()
    min_shared = MIN_SHARED if len(keys) >= 20 else 1
    return [(doc_id, same) for doc_id, shared, same in ranked[:MAX_CANDIDATES + len(exclude)]
            if doc_id not in exclude and (shared >= min_shared or same)]


def candidates(session: Session, keys: list[str], exclude: set[int] | None = None) -> list[tuple[int, bool]]:
    """Documents worth confirming, best first: ``(document id, same exact text)`` (one indexed query)."""
    return worth_confirming(ranked_candidates(session, keys, exclude), keys, exclude)


def _notes_of(doc: Document) -> list[str]:
    return [n.text for n in doc.footnotes]


def _rendition_root(session: Session, doc: Document) -> Document:
    """The version ``doc`` is a rendition of, followed back to the first one with those words."""
    seen = {doc.id}
    while doc.relation == "rendition" and doc.related_document_id and doc.related_document_id not in seen:
        parent = session.get(Document, doc.related_document_id)
        if parent is None or parent.status != "stored" or parent.text is None:
            break
        seen.add(parent.id)
        doc = parent
    return doc


def _differences(result: Comparison, old_text: str, new_text: str) -> dict[str, Any] | None:
    from storage.works.diffing import meaning_summary

    if result.words is None:
        return None
    record = result.words.record()
    if not result.words.same:
        record["summary"] = meaning_summary(old_text, new_text)
    return record


def _resemblance(result: Comparison) -> float:
    """Share of the longer text's words outside edited spans (1.0 = same words)."""
    words = result.words
    if words is None:
        return result.score
    edited = sum(max(len(s.old), len(s.new)) for s in words.edits)
    return 1.0 - edited / max(1, words.words_a, words.words_b)


# written out once, as ``_RANKED``: they run for every document grouped (in the workers and the storing process)
_TEXTS = sql("SELECT id, text, title FROM documents WHERE id IN :ids AND status = 'stored' AND text IS NOT NULL"
             ).bindparams(bindparam("ids", expanding=True))
_NOTES = sql("SELECT document_id, text FROM footnotes WHERE document_id IN :ids ORDER BY document_id, seq"
             ).bindparams(bindparam("ids", expanding=True))


def candidate_texts(conn: Session | Connection, ids: list[int]) -> dict[int, tuple[str, str | None, list[str]]]:
    """``{id: (text, title, note texts)}`` of the stored documents among ``ids`` that have a text (two queries)."""
    if not ids:
        return {}
    loaded = {i: (t, ti, []) for i, t, ti in conn.execute(_TEXTS, {"ids": ids})}
    if loaded:
        for doc_id, note in conn.execute(_NOTES, {"ids": list(loaded)}):
            loaded[doc_id][2].append(note)
    return loaded


def find_match(session: Session, text: str, title: str | None, keys: list[str],
               exclude: set[int] | None = None, notes: list[str] | None = None,
               prematch: Prematch | None = None) -> Placement | None:
    """The closest already-placed document that ``text`` is a rendition or revision of.

    A rendition relates to the version with the same words (followed back to
    the original those words first appeared in); otherwise a revision relates
    to the candidate it most resembles (fewest edited words). ``prematch``
    (candidates ranked and compared by an extraction worker, still valid)
    leaves only the documents stored since its snapshot to compare here.
    """
    from storage.works.confirm import compare

    renditions: list[tuple[int, Comparison]] = []
    revisions: list[tuple[float, int, Comparison]] = []
    done: dict[int, Comparison | None] = {}
    if prematch is not None and not exclude:
        newer = prematch.newer if prematch.newer is not None else ranked_candidates(session, keys, after=prematch.hwm)
        ranked = sorted([(r.document_id, r.shared, r.exact) for r in prematch.ranked] + newer,
                        key=lambda r: (-r[1], r[0]))
        found = worth_confirming(ranked, keys)
        done = {r.document_id: r.comparison for r in prematch.ranked}
    else:
        found = candidates(session, keys, exclude)
    todo = [doc_id for doc_id, _ in found if doc_id not in done]
    loaded = candidate_texts(session, todo)
    for doc_id, _exact in found:
        if doc_id in done:
            result = done[doc_id]
        else:
            if doc_id not in loaded:
                continue
            cand_text, cand_title, cand_notes = loaded[doc_id]
            result = compare(cand_text, text, cand_title, title, cand_notes, notes or [], explain=False)
        if result is None:
            continue
        if result.level == "rendition":
            renditions.append((doc_id, result))
        elif result.level == "revision":
            revisions.append((-_resemblance(result), doc_id, result))
    if renditions:
        roots = []
        for doc_id, result in renditions:
            cand = session.get(Document, doc_id)
            roots.append((_rendition_root(session, cand), cand, result))
        root, cand, result = min(roots, key=lambda r: (r[0].relation == "rendition", r[0].id))
        if root.id != cand.id:
            confirmed = compare(root.text, text, root.title, title, _notes_of(root), notes or [])
            if confirmed.level == "rendition":
                cand, result = root, confirmed
        return Placement("rendition", cand.id, 1.0, dict(result.reasons), reason="same words",
                         differences=_differences(result, cand.text, text))
    if revisions:
        _, doc_id, result = min(revisions, key=lambda r: (r[0], r[1]))
        cand = session.get(Document, doc_id)
        reasons = dict(result.reasons) | {"resemblance": round(_resemblance(result), 4)}
        return Placement("revision", cand.id, result.score, reasons,
                         reason=f"edited: {len(result.words.edits) if result.words else 0} spans",
                         differences=_differences(result, cand.text, text))
    return None


CURATOR_KEYS = (("rendition_of", "rendition"), ("revision_of", "revision"))


def resolve_reference(session: Session, ref: str, exclude: set[int]) -> Document | None:
    """A stored document named by a curator: a path (as ingested, or its tail), a SHA-256 (prefix) or an identifier."""
    from storage.models import DocumentIdentifier

    ref = ref.strip()
    if not ref:
        return None
    found: list[Document] = []
    if len(ref) >= 8 and all(c in "0123456789abcdef" for c in ref.lower()):
        found = list(session.scalars(select(Document).where(Document.sha256.startswith(ref.lower())).limit(2)))
    if not found:
        tail = "/" + ref.lstrip("./")
        found = list(session.scalars(select(Document).where(
            (Document.source == ref) | (Document.source.endswith(tail))).order_by(Document.id)))
    if not found:
        found = list(session.scalars(select(Document).join(DocumentIdentifier)
                                     .where(DocumentIdentifier.value == ref).order_by(Document.id)))
    found = [d for d in found if d.id not in exclude and d.status == "stored"]
    return found[0] if found else None


def curator_match(session: Session, text: str, title: str | None, manifest: dict[str, Any] | None,
                  exclude: set[int], notes: list[str] | None = None) -> tuple[Placement | None, dict[str, Any]]:
    """The placement a manifest's ``rendition_of`` / ``revision_of`` asks for (the curator's word wins).

    Returns the placement (or ``None``) and what to record when the named
    document is not (yet) in the archive. The words are still compared, and
    the spans recorded, so a curator's "rendition" that differs stays visible.
    """
    from storage.works.confirm import compare

    for key, relation in CURATOR_KEYS:
        ref = (manifest or {}).get(key)
        if ref in (None, "", "unknown"):
            continue
        target = resolve_reference(session, str(ref), exclude)
        if target is None:
            return None, {"curator_unresolved": f"manifest {key} {str(ref)!r}: no such document in the archive"}
        result = compare(target.text or "", text, target.title, title, _notes_of(target), notes or [])
        reasons = dict(result.reasons) | {"curator": {key: str(ref)}, "measured_level": result.level}
        return Placement(relation, target.id, result.score, reasons, reason="curator: manifest",
                         differences=_differences(result, target.text or "", text)), {}
    return None, {}


def decide(session: Session, text: str, title: str | None, keys: list[str], exclude: set[int],
           notes: list[str] | None = None, manifest: dict[str, Any] | None = None,
           prematch: Prematch | None = None) -> Placement | None:
    """The curator's placement if the manifest gives one, else the closest match (or ``None``)."""
    placement, unresolved = curator_match(session, text, title, manifest, exclude, notes)
    if placement is None:
        placement = find_match(session, text, title, keys, exclude, notes, prematch) if keys else None
        if placement is not None:
            placement.reasons.update(unresolved)
        elif unresolved:
            placement = Placement("original", reasons=dict(unresolved))
    return placement


def manifest_of(doc: Document) -> dict[str, Any]:
    """The curator's manifest entry kept with a stored document (``metadata.extra.manifest``)."""
    extra = (doc.metadata_json or {}).get("extra") or {}
    manifest = extra.get("manifest") if isinstance(extra, dict) else None
    return manifest if isinstance(manifest, dict) else {}


def place(session: Session, doc: Document, record: ExtractedDocument,
          keys: tuple[str | None, list[str]] | None = None, prematch: Prematch | None = None) -> Placement:
    """Put ``doc`` (not yet flushed or just re-extracted) into a work and index it.

    ``keys``: ``(title, index_keys(record.text, title))`` computed elsewhere
    (an extraction worker); used when that title is still the record's, and
    so is ``prematch`` (its candidates compared there, ``storage.works.prematch``).
    """
    title = record.metadata.title
    same_title = keys is not None and keys[0] == title
    return place_text(session, doc, record.text, title,
                      notes=[n.text for n in record.footnotes],
                      manifest=(record.metadata.extra or {}).get("manifest"),
                      keys=keys[1] if same_title else None,
                      prematch=prematch if same_title and prematch is not None and prematch.title == title else None)


def place_text(session: Session, doc: Document, text: str, title: str | None,
               notes: list[str] | None = None, manifest: dict[str, Any] | None = None,
               keys: list[str] | None = None, prematch: Prematch | None = None) -> Placement:
    """:func:`place` for a document given by its canonical text, title, note texts, manifest entry
    (and its :func:`index_keys`, when they are known already)."""
    keys = index_keys(text, title) if keys is None else keys
    exclude = {doc.id} if doc.id is not None else set()
    with session.no_autoflush:
        match = decide(session, text, title, keys, exclude, notes, manifest, prematch)
    if match is not None and match.matched_document_id is not None:
        target = session.get(Document, match.matched_document_id)
        doc.work_id = target.work_id
        placement = match
    else:
        doc.work = Work(title=title or None)  # written with doc below
        placement = Placement("original", reasons=match.reasons if match else {})
    fresh = doc.id is None  # a new document (not a re-extraction): it has no keys to replace
    apply_placement(doc, placement)
    alone = fresh and placement.matched_document_id is None
    if alone:
        doc.version = 1  # alone in a new work: version 1, the work's title its own; nothing else to renumber
    if fresh:
        new_rows.insert_new(session, doc)  # Core inserts; the objects arrive in the session as loaded
    else:
        session.add(doc)
        session.flush()
        session.execute(delete(WorkKey).where(WorkKey.document_id == doc.id))
    if keys:
        # Core executemany on the session's connection (doc's row is in; nothing pending to autoflush)
        session.connection().execute(insert(WorkKey.__table__), [{"document_id": doc.id, "key": k} for k in keys])
    placement.keys = keys
    if alone:
        placement.renumbered = []
    else:
        placement.renumbered = renumber(session, doc.work_id, skip=doc.id)
    return placement


def apply_placement(doc: Document, placement: Placement) -> None:
    """Write a placement's relation fields (not the work) onto ``doc``."""
    doc.relation = placement.relation
    doc.related_document_id = placement.matched_document_id
    doc.similarity = placement.score
    doc.relation_reason = placement.reason
    doc.differences = placement.differences


def own_date(doc: Document, members: dict[int, Document] | None = None) -> str | None:
    """The document's own date; a rendition without one has the date of the version with its words."""
    seen: set[int] = set()
    while doc is not None and doc.id not in seen:
        if doc.date:
            return doc.date
        seen.add(doc.id)
        if doc.relation != "rendition" or not doc.related_document_id or members is None:
            return None
        doc = members.get(doc.related_document_id)
    return None


def version_sort_key(doc: Document, members: dict[int, Document] | None = None) -> tuple[str, str, int]:
    """Versions are ordered by the document's own date, else when it was first obtained.

    Never by the file's date (``file_date``, a PDF's /CreationDate): that is
    when a file was made, not when the document was written.
    """
    obtained = events.iso(doc.obtained_at) if doc.obtained_at else ""
    return (own_date(doc, members) or obtained, obtained, doc.id or 0)


def renumber(session: Session, work_id: int, skip: int | None = None) -> list[int]:
    """Re-order the versions of a work; return ids (other than ``skip``) whose number changed."""
    docs = list(session.scalars(select(Document).where(Document.work_id == work_id)))
    members = {d.id: d for d in docs}
    docs.sort(key=lambda d: version_sort_key(d, members))
    changed = []
    for number, member in enumerate(docs, start=1):
        if member.version != number:
            member.version = number
            if member.id != skip:
                changed.append(member.id)
    work = session.get(Work, work_id)
    titled = [d for d in docs if d.title]
    if work is not None and titled:
        work.title = titled[-1].title
    session.flush()
    return changed


def grouping_detail(doc: Document) -> dict[str, Any]:
    """What a 'grouped' event asserts about a document."""
    return {"work_id": doc.work_id, "version": doc.version, "relation": doc.relation,
            "related_document_id": doc.related_document_id, "relation_reason": doc.relation_reason}


def record_grouping(session: Session, doc: Document, run_id: int | None,
                    placement: Placement | None = None) -> None:
    """Append 'grouped' events for ``doc`` and every document renumbered with it."""
    if placement is None:
        doc.version = doc.version or 1
        session.flush()
    detail = grouping_detail(doc)
    if placement is not None:
        detail["score"] = placement.score
        detail["reasons"] = placement.reasons
        if placement.differences is not None:
            detail["differences"] = placement.differences
    events.append_event(session, "grouped", doc.relation, document_id=doc.id, work_id=doc.work_id,
                        run_id=run_id, detail=detail)
    for other_id in placement.renumbered if placement else []:
        other = session.get(Document, other_id)
        events.append_event(session, "grouped", other.relation, document_id=other.id, work_id=other.work_id,
                            run_id=run_id, detail=grouping_detail(other) | {"renumbered_by": doc.id})
