"""``archivist repair``: fix what can be fixed after ``verify``, say clearly what cannot.

What it does, in order (nothing with ``dry_run``; every change is logged in
one ``repaired`` event):

* **Originals missing or damaged**: a file elsewhere in the blob store (an
  orphan, or a misplaced copy) or in ``--from`` folders (a backup, an
  exported bag) whose bytes hash to the recorded SHA-256 is *adopted*:
  moved or copied atomically into place. Otherwise nothing can restore the
  bytes; the document is reported with its SHA-256 so the file can be found
  in a backup.
* **Canonical texts missing or damaged**: rewritten from the database copy
  when that copy still hashes to the recorded ``text_sha256``.
* **Orphan blobs** (bytes with no record, left by an interrupted run): kept
  when the bytes belong to a record whose row was deleted (that is evidence
  of tampering, not garbage); otherwise removed when older than the grace
  period, under the chain lock and after re-checking that no record has
  appeared for them. Younger ones are left (an ingest may be about to record
  them) and reported. A re-run of the interrupted ingest adopts orphans by
  itself: the same bytes hash to the same blob and the new record refers to it.
* **Orphan texts** (a canonical text no record names: an extraction worker
  wrote it for a record an interrupted run never stored) older than the
  grace period are removed; younger ones are left and reported, as orphan
  blobs are. A text is derived from an original, so none is evidence.
* **Temp files** (``.tmp-*``, left by a write killed part-way) older than the
  grace period are removed.

"Removed" always means *moved* to ``<home>/quarantine/<time>/``, never
unlinked: a wrong database or a wrong home must not cost one original. And
repair refuses to remove any orphan when the database knows none of the
blobs (an empty or foreign database), or when more than
``MAX_REMOVAL_SHARE`` of the blobs (and more than ``MAX_REMOVALS_FLOOR``)
would go, unless ``max_removals`` explicitly allows that many.

Anything else ``verify`` reported (altered records or events, a broken
chain) cannot be repaired by rewriting: the archive would then lie about its
history. Those stay reported, and the result is not ok.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from storage import events
from storage.blobs import BlobStore, atomic_write, fsync_dir, make_private_dir, read_chunks, sha256_bytes
from storage.database import transaction
from storage.integrity.fixity import Problem, Report, hash_file, verify
from storage.models import Document, Event

if TYPE_CHECKING:
    from storage.archive import Archive

DEFAULT_GRACE_SECONDS = 3600.0
QUARANTINE = "quarantine"
MAX_REMOVAL_SHARE = 0.10
MAX_REMOVALS_FLOOR = 10


@dataclass
class Action:
    """One thing repair did (or, with ``dry_run``, would do)."""

    kind: str  # adopted, restored-text, removed-orphan, kept-orphan, removed-orphan-text, removed-temp
    message: str
    path: str | None = None
    sha256: str | None = None
    document_id: int | None = None
    moved_to: str | None = None  # where in the quarantine a removed file now is

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class RepairReport:
    dry_run: bool
    checked: dict[str, Any]
    actions: list[Action] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    event_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.unresolved

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "checked": self.checked,
                "actions": [a.to_dict() for a in self.actions], "unresolved": self.unresolved,
                "event_id": self.event_id}


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``2h``, ``1d`` to seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError as exc:
        raise ValueError(f"{text!r}: not a duration (e.g. 90s, 30m, 2h, 1d)") from exc


def _unresolved(problem: Problem, advice: str) -> dict[str, Any]:
    return problem.to_dict() | {"advice": advice}


def _place(store: BlobStore, sha: str, source: Path, move: bool) -> None:
    """Put the bytes of ``source`` at the blob's place atomically (replacing a damaged file)."""
    target = store.path(sha)
    if move:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        fsync_dir(target.parent)
    else:
        atomic_write(target, read_chunks(source))


def _write_bytes(store: BlobStore, sha: str, data: bytes) -> None:
    atomic_write(store.path(sha), [data])


def _temp_files(store: BlobStore) -> list[Path]:
    if not store.root.is_dir():
        return []
    return [p for p in store.root.glob("??/??/.tmp-*") if p.is_file()]


def _deleted_record_keys(session: Session, report: Report) -> dict[str, int]:
    """``{field hash of sha256: document id}`` for records whose rows were deleted."""
    keys: dict[str, int] = {}
    for p in report.problems:
        if p.kind == "record-missing" and p.event_id is not None:
            event = session.get(Event, p.event_id)
            fields = (event.detail or {}).get("fields") or {} if event else {}
            if fields.get("sha256"):
                keys[fields["sha256"]] = p.document_id or 0
    return keys


def _sha_field_hash(sha: str) -> str:
    return hashlib.sha256(events.canonical_json(sha).encode("utf-8")).hexdigest()[:16]


@dataclass
class _Needs:
    """``verify``'s problems, sorted by what repair can do about them."""

    original: dict[str, Problem] = field(default_factory=dict)  # sha -> missing or damaged original
    text: dict[str, Problem] = field(default_factory=dict)  # sha -> missing or damaged canonical text
    orphans: list[Problem] = field(default_factory=list)
    orphan_texts: list[Problem] = field(default_factory=list)  # from verify's notes: they do not fail it
    other: list[Problem] = field(default_factory=list)


def _sort_problems(report: Report) -> _Needs:
    needs = _Needs()
    for p in report.problems:
        if p.kind in ("missing-blob", "checksum-mismatch") and p.field == "original" and p.expected:
            needs.original[p.expected] = p
        elif p.kind in ("missing-blob", "checksum-mismatch") and p.field == "text" and p.expected:
            needs.text[p.expected] = p
        elif p.kind == "orphan-blob":
            needs.orphans.append(p)
        else:
            needs.other.append(p)
    needs.orphan_texts = [p for p in report.notes if p.kind == "orphan-text"]
    return needs


def repair(archive: Archive, grace_seconds: float = DEFAULT_GRACE_SECONDS, dry_run: bool = False,
           sources: list[Path] | None = None, now: float | None = None,
           max_removals: int | None = None) -> RepairReport:
    """Verify, then repair what can be repaired; see the module docstring."""
    report = verify(archive, grace_seconds=grace_seconds, now=now)
    now = time.time() if now is None else now
    result = RepairReport(dry_run, {"documents": report.documents, "files_hashed": report.blobs_hashed,
                                    "events": report.events, "problems": len(report.problems)})
    needs = _sort_problems(report)
    with archive.reading() as session:
        deleted_keys = _deleted_record_keys(session, report)
        sizes = dict(session.execute(select(Document.sha256, Document.size)
                                     .where(Document.sha256.in_(list(needs.original)))).all()) if needs.original else {}
        db_texts: dict[str, str | None] = {}
        for sha in needs.text:
            db_texts[sha] = session.scalar(select(Document.text).where(Document.text_sha256 == sha).limit(1))
        known_texts = session.scalar(select(func.count(distinct(Document.text_sha256)))) or 0

    adopted, orphan_hashes = _adopt_originals(archive, needs, sizes, sources or [], result)
    _report_lost_originals(needs, adopted, result)
    _restore_texts(archive, needs, db_texts, result)
    removable = _removable_orphans(needs, adopted, orphan_hashes, deleted_keys, grace_seconds, now, result)
    removable = _refuse_mass_removal(report, removable, max_removals, result)
    old_texts = _removable_texts(needs.orphan_texts, known_texts, grace_seconds, now, max_removals, result)
    temps = [(store, t) for store in (archive.blobs, archive.texts) for t in _temp_files(store)
             if now - t.stat().st_mtime >= grace_seconds]
    _remove_and_log(archive, removable, old_texts, temps, len(needs.other), result)
    for p in needs.other:
        result.unresolved.append(_unresolved(p, _advice(p)))
    return result


def _adopt_originals(archive: Archive, needs: _Needs, sizes: dict[str, int], sources: list[Path],
                     result: RepairReport) -> tuple[set[str], dict[str, str | None]]:
    """Put back missing or damaged originals from orphans, misplaced copies and ``sources`` folders.

    Returns the adopted hashes and the hash of every orphan (``None`` for one that is gone).
    """
    would = "would " if result.dry_run else ""
    need_original = needs.original
    adopted: set[str] = set()
    orphan_hashes: dict[str, str | None] = {}
    for p in needs.orphans:
        found, _ = hash_file(Path(p.path or ""))
        orphan_hashes[p.path or ""] = found
        if found in need_original and found not in adopted:
            adopted.add(found)
            result.actions.append(Action("adopted", f"{would}move {p.path} (its bytes hash to the record's "
                                         f"sha256) into place for document {need_original[found].document_id}",
                                         p.path, found, need_original[found].document_id))
            if not result.dry_run:
                _place(archive.blobs, found, Path(p.path or ""), move=True)
    if len(adopted) < len(need_original):
        for name, path in archive.blobs.walk():
            if name in need_original and name not in adopted and path != archive.blobs.path(name):
                found, _ = hash_file(path)
                if found == name:
                    adopted.add(name)
                    doc_id = need_original[name].document_id
                    result.actions.append(Action("adopted", f"{would}move misplaced copy {path} into place for "
                                                 f"document {doc_id}", str(path), name, doc_id))
                    if not result.dry_run:
                        _place(archive.blobs, name, path, move=True)
    for root in sources:
        if len(adopted) == len(need_original):
            break
        _adopt_from_folder(archive, Path(root), need_original, sizes, adopted, result)
    return adopted, orphan_hashes


def _adopt_from_folder(archive: Archive, root: Path, need_original: dict[str, Problem], sizes: dict[str, int],
                       adopted: set[str], result: RepairReport) -> None:
    """Copy into place every file under ``root`` whose bytes are a needed original (``adopted`` grows)."""
    would = "would " if result.dry_run else ""
    wanted_sizes = {sizes.get(sha) for sha in need_original if sha not in adopted}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.stat().st_size not in wanted_sizes:
            continue
        found, _ = hash_file(path)
        if found in need_original and found not in adopted:
            adopted.add(found)
            doc_id = need_original[found].document_id
            result.actions.append(Action("adopted", f"{would}copy {path} into place for document {doc_id}",
                                         str(path), found, doc_id))
            if not result.dry_run:
                _place(archive.blobs, found, path, move=False)


def _report_lost_originals(needs: _Needs, adopted: set[str], result: RepairReport) -> None:
    for sha, p in needs.original.items():
        if sha in adopted:
            continue
        what = "missing" if p.kind == "missing-blob" else "damaged (they no longer hash to the recorded sha256)"
        result.unresolved.append(_unresolved(p, (
            f"the original bytes of document {p.document_id} are {what} and NOTHING in this archive can restore "
            f"them: find the file with sha256 {sha} in a backup or an exported bag (data/originals/{sha}.*) and "
            f"run `archivist repair --from DIR`, or copy it to {p.path}")))


def _restore_texts(archive: Archive, needs: _Needs, db_texts: dict[str, str | None], result: RepairReport) -> None:
    """Rewrite missing or damaged canonical texts from the database copy when it still matches."""
    would = "would " if result.dry_run else ""
    for sha, p in needs.text.items():
        text = db_texts.get(sha)
        if text is not None and sha256_bytes(text.encode("utf-8")) == sha:
            result.actions.append(Action("restored-text", f"{would}rewrite the canonical text of document "
                                         f"{p.document_id} from the database copy", p.path, sha, p.document_id))
            if not result.dry_run:
                _write_bytes(archive.texts, sha, text.encode("utf-8"))
        else:
            result.unresolved.append(_unresolved(p, f"the canonical text of document {p.document_id} is "
                                                 f"{'missing' if p.kind == 'missing-blob' else 'damaged'} and the "
                                                 "database copy does not match it either; re-extract the document"))


def _removable_orphans(needs: _Needs, adopted: set[str], orphan_hashes: dict[str, str | None],
                       deleted_keys: dict[str, int], grace_seconds: float, now: float,
                       result: RepairReport) -> list[tuple[Problem, str | None]]:
    """Orphans old enough to remove; those of deleted records are kept as evidence, young ones wait."""
    removable: list[tuple[Problem, str | None]] = []
    for p in needs.orphans:
        found = orphan_hashes.get(p.path or "")
        if found in adopted:
            continue
        key_sha = found or p.found or ""
        deleted_doc = deleted_keys.get(_sha_field_hash(key_sha)) or deleted_keys.get(_sha_field_hash(p.found or ""))
        if deleted_doc is not None:
            result.actions.append(Action("kept-orphan", f"kept {p.path}: these are the original bytes of document "
                                         f"{deleted_doc}, whose record was deleted", p.path, p.found, deleted_doc))
            result.unresolved.append(_unresolved(p, f"bytes of deleted record {deleted_doc} kept as evidence; "
                                                 "restore the record from a backup"))
            continue
        if _old_enough(p, "orphan", "re-run the interrupted ingest (it adopts its blobs) or repair later",
                       grace_seconds, now, result):
            removable.append((p, found))
    return removable


def _old_enough(p: Problem, what: str, advice: str, grace_seconds: float, now: float,
                result: RepairReport) -> bool:
    """Whether the file of ``p`` is past the grace period; a younger one is reported unresolved (an ingest
    may be about to record it), one gone meanwhile is neither."""
    try:
        age = now - Path(p.path or "").stat().st_mtime
    except FileNotFoundError:
        return False
    if age < grace_seconds:
        result.unresolved.append(_unresolved(p, f"{what} is only {age:.0f} s old (grace period "
                                             f"{grace_seconds:.0f} s): an ingest may be about to record it; {advice}"))
        return False
    return True


def _removable_texts(orphans: list[Problem], known: int, grace_seconds: float, now: float,
                     max_removals: int | None, result: RepairReport) -> list[Problem]:
    """Orphan texts old enough to remove (young ones wait: an ingest may be about to record them), unless
    removing them is refused as for blobs (a database that knows none of the texts, or too many would go)."""
    removable = [p for p in orphans if _old_enough(p, "orphan text", "repair later", grace_seconds, now, result)]
    refusal = removal_refusal(known, len(orphans), len(removable), max_removals, "texts")
    if refusal is None:
        return removable
    result.unresolved.append({"kind": "removal-refused", "message": refusal,
                              "advice": "orphan texts are kept; run repair against the right archive"})
    return []


def removal_refusal(known: int, orphans: int, removing: int, max_removals: int | None,
                    what: str = "blobs") -> str | None:
    """Why removing ``removing`` of ``known + orphans`` files of a store (``what``: blobs or texts) is
    refused, or None when it is allowed."""
    if removing and known == 0:
        return (f"the database knows none of the {orphans} {what} in this home: it is empty or not this "
                "archive's database (wrong --home or --db?); nothing is removed")
    limit = max(MAX_REMOVALS_FLOOR, int(MAX_REMOVAL_SHARE * (known + orphans)))
    if max_removals is not None:
        limit = max_removals
    if removing > limit:
        return (f"{removing} of {known + orphans} {what} would be removed, more than the {limit} allowed: "
                "check that this is the right database; `--max-removals N` allows more")
    return None


def _refuse_mass_removal(report: Report, removable: list[tuple[Problem, str | None]], max_removals: int | None,
                         result: RepairReport) -> list[tuple[Problem, str | None]]:
    orphans = sum(1 for p in report.problems if p.kind == "orphan-blob")
    refusal = removal_refusal(report.documents, orphans, len(removable), max_removals)
    if refusal is None:
        return removable
    result.unresolved.append({"kind": "removal-refused", "message": refusal,
                              "advice": "orphans are kept; run repair against the right archive"})
    for p, _found in removable:
        result.unresolved.append(_unresolved(p, "kept: removal refused (see removal-refused)"))
    return []


def _quarantine(home: Path, stamp: str, store: BlobStore, path: Path) -> Path:
    """Move ``path`` (inside ``store``) to ``<home>/quarantine/<stamp>/<store>/<relative path>``."""
    try:
        rel = path.relative_to(store.root)
    except ValueError:
        rel = Path(path.name)
    target = Path(home) / QUARANTINE / stamp / store.root.name / rel
    make_private_dir(target.parent)
    os.replace(path, target)
    fsync_dir(target.parent)
    fsync_dir(path.parent)
    return target


def _remove_and_log(archive: Archive, removable: list[tuple[Problem, str | None]], texts: list[Problem],
                    temps: list[tuple[BlobStore, Path]], other: int, result: RepairReport) -> None:
    """Quarantine orphans, orphan texts and temp files under the chain lock; log every change in one
    ``repaired`` event."""
    dry_run = result.dry_run
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"
    would = "would " if dry_run else ""
    changed = [a for a in result.actions if a.kind in ("adopted", "restored-text")]

    def move(action: Action, store: BlobStore, path: Path) -> None:
        """Report ``action`` and, unless dry, move ``path`` (in ``store``) to the quarantine."""
        result.actions.append(action)
        if not dry_run and path.exists():
            action.moved_to = str(_quarantine(archive.home, stamp, store, path))
            action.message += f" {action.moved_to}"
        changed.append(action)

    # A dry run only reads (it works on a read-only copy); a real one holds the chain lock, so no ingest
    # can record a document while its orphan is moved.
    with (archive.reading() if dry_run else transaction(archive.sessions)) as session:
        if not dry_run:
            events.lock_head(session)
        for p, _found in removable:
            sha = p.found or ""
            if session.scalar(select(Document.id).where(Document.sha256 == sha).limit(1)) is not None:
                continue  # recorded meanwhile: adopted by an ingest
            move(Action("removed-orphan", f"{would}move orphan blob {p.path} (no record refers to it) to "
                        f"the quarantine", p.path, sha), archive.blobs, Path(p.path or ""))
        for p in texts:
            sha = p.found or ""
            if session.scalar(select(Document.id).where(Document.text_sha256 == sha).limit(1)) is not None:
                continue  # recorded meanwhile
            move(Action("removed-orphan-text", f"{would}move orphan text {p.path} (no record names it) to "
                        "the quarantine", p.path, sha), archive.texts, Path(p.path or ""))
        for store, t in temps:
            move(Action("removed-temp", f"{would}move leftover temp file {t} to the quarantine", str(t)), store, t)
        if changed and not dry_run:
            event = events.append_event(session, "repaired", "ok" if not result.unresolved else "partial", detail={
                "actions": [a.to_dict() for a in changed[:200]], "actions_total": len(changed),
                "unresolved": len(result.unresolved) + other,
            })
            result.event_id = event.id


def _advice(p: Problem) -> str:
    if p.kind in ("record-altered", "grouping-altered", "record-unlogged", "record-missing"):
        return ("the database no longer matches what its events recorded; repair does not rewrite records "
                "(that would hide the change): restore the database from a backup or an exported bag")
    if p.kind in ("chain-break", "event-altered", "chain-head"):
        return ("the event history was changed; it cannot be repaired without hiding that: restore the "
                "database from a backup and compare with your anchors (`archivist anchor --check`)")
    return "not repairable automatically"
