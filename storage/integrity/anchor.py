"""Signed anchors of the chain head.

``archivist anchor`` signs the current chain head (last event id and hash,
with counts and the time) with an Ed25519 key and writes it to a small JSON
file. Kept somewhere else (another machine, a printout, an e-mail to a third
party), that file later proves the archive's history up to the anchored event
was not changed: :func:`check_anchor` verifies the signature, re-hashes
events 1..N and requires event N to still carry the anchored hash. Anyone
rewriting an early event must re-hash every later one, which changes event
N's hash; an edit without re-hashing breaks the recomputed chain.

The anchor also signs the records as of event N: how many documents the
events up to N stored, and a SHA-256 over the sorted set of their original
hashes. A check recomputes both from the rows those events stored, so a
record removed later (even with a correctly chained event appended after it)
is reported.

The private key is created at first use in the archive home
(``anchor-ed25519.key``, mode 0600, PKCS#8 PEM) with the public key beside it
(``anchor-ed25519.pub``). The anchor embeds the public key, but a check trusts
only the key it is given (``--key``) or the archive's public key file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import events
from storage.blobs import PRIVATE_FILE, make_private_dir
from storage.database import transaction
from storage.errors import StorageError
from storage.models import Document, Event, Work, utcnow

if TYPE_CHECKING:
    from storage.archive import Archive

FORMAT = "archivist-anchor/1"
KEY_NAME = "anchor-ed25519.key"
PUB_SUFFIX = ".pub"


class AnchorError(StorageError):
    """An anchor or key that cannot be used at all (unreadable, malformed, unsafe permissions)."""


# -- keys ------------------------------------------------------------------

def default_key_path(home: Path) -> Path:
    return Path(home) / KEY_NAME


def public_key_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + PUB_SUFFIX) if not key_path.name.endswith(".key") \
        else key_path.with_suffix(PUB_SUFFIX)


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def _write_private(path: Path, data: bytes) -> None:
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at ``path``; created (0600, public key beside it) when it does not exist."""
    path = Path(path)
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            _write_private(path, pem)
        except FileExistsError:  # another process created it first: use theirs
            return load_or_create_key(path)
        pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        _atomic_write(public_key_path(path), pub)
        return key
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise AnchorError(f"{path}: signing key is readable by others (mode {mode:o}); run chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise AnchorError(f"{path}: not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AnchorError(f"{path}: not an Ed25519 key")
    pub_path = public_key_path(path)
    if not pub_path.exists():
        _atomic_write(pub_path, key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file holding either the public or the private key."""
    data = Path(path).read_bytes()
    try:
        if b"PRIVATE KEY" in data:
            key: Any = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise AnchorError(f"{path}: not a PEM key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AnchorError(f"{path}: not an Ed25519 key")
    return key


def _atomic_write(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    make_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- anchors ---------------------------------------------------------------

def _signed_bytes(payload: dict[str, Any]) -> bytes:
    return events.canonical_json(payload).encode("utf-8")


def anchored_records(session: Session, head_id: int) -> dict[str, Any]:
    """The records events 1..``head_id`` stored, as they are now: their count, the number of rows still there,
    and a SHA-256 over the sorted set of their originals' hashes (one per line)."""
    stored = select(Event.document_id).where(Event.kind == "stored", Event.id <= head_id,
                                             Event.document_id.is_not(None)).distinct()
    expected = session.scalar(select(func.count()).select_from(stored.subquery())) or 0
    shas = sorted(session.scalars(select(Document.sha256).where(Document.id.in_(stored))))
    digest = hashlib.sha256("".join(f"{sha}\n" for sha in shas).encode("ascii")).hexdigest()
    return {"documents": len(shas), "stored_by_events": expected, "originals_sha256": digest}


def create_anchor(archive: Archive, out: Path | None = None,
                  key_path: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Sign the current chain head, write it to ``out`` and log an ``anchored`` event.

    The head is read under the chain lock, so the anchored event is the last
    one before the ``anchored`` event itself. Returns ``(file, anchor)``.
    """
    key_path = Path(key_path) if key_path else default_key_path(archive.home)
    key = load_or_create_key(key_path)
    public = key.public_key()
    with transaction(archive.sessions) as session:
        head = events.lock_head(session)
        payload = {
            "format": FORMAT,
            "head_id": head.last_event_id,
            "head_hash": head.hash,
            "created_at": events.iso(utcnow()),
            "counts": {
                "events": head.last_event_id,
                "documents": session.scalar(select(func.count()).select_from(Document)) or 0,
                "works": session.scalar(select(func.count()).select_from(Work)) or 0,
            },
            "records": {k: v for k, v in anchored_records(session, head.last_event_id).items()
                        if k != "stored_by_events"},
            "archive": str(Path(archive.home).resolve()),
            "database": archive.url,
            "key_id": key_id(public),
        }
        anchor = {
            "anchor": payload,
            "public_key": base64.b64encode(_raw_public(public)).decode("ascii"),
            "signature": base64.b64encode(key.sign(_signed_bytes(payload))).decode("ascii"),
            "algorithm": "ed25519",
        }
        if out is None:
            stamp = payload["created_at"].replace(":", "").replace("-", "").split(".")[0]
            out = Path(archive.home) / "anchors" / f"anchor-{payload['head_id']}-{stamp}.json"
        out = Path(out)
        _atomic_write(out, (json.dumps(anchor, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        events.append_event(session, "anchored", "ok", detail={
            "head_id": payload["head_id"], "head_hash": payload["head_hash"], "key_id": payload["key_id"],
            "file": str(out.resolve()),
        })
    return out, anchor


@dataclass
class AnchorCheck:
    """The outcome of checking one anchor file against the archive."""

    file: str
    ok: bool = False
    signature_ok: bool = False
    chain_ok: bool = False
    records_ok: bool = False  # the records the anchored events stored are all still there, with their originals
    head_id: int | None = None
    head_hash: str | None = None
    anchored_at: str | None = None
    key_id: str | None = None
    current_head_id: int | None = None
    events_since: int | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _trusted_key(archive: Archive, key_path: Path | None) -> tuple[Ed25519PublicKey | None, str]:
    if key_path is not None:
        return load_public_key(Path(key_path)), str(key_path)
    pub = public_key_path(default_key_path(archive.home))
    if pub.exists():
        return load_public_key(pub), str(pub)
    private = default_key_path(archive.home)
    if private.exists():
        return load_public_key(private), str(private)
    return None, ""


def check_anchor(archive: Archive, file: Path, key_path: Path | None = None) -> AnchorCheck:
    """Verify an anchor's signature and that the chain up to its event is unchanged."""
    result = AnchorCheck(file=str(file))
    try:
        anchor = json.loads(Path(file).read_text(encoding="utf-8"))
        payload = anchor["anchor"]
        signature = base64.b64decode(anchor["signature"], validate=True)
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(anchor["public_key"], validate=True))
        head_id = int(payload["head_id"])
        head_hash = str(payload["head_hash"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"{file}: not a readable archivist anchor: {exc}")
        return result
    if payload.get("format") != FORMAT:
        result.problems.append(f"{file}: unknown anchor format {payload.get('format')!r}")
        return result
    result.head_id, result.head_hash = head_id, head_hash
    result.anchored_at, result.key_id = payload.get("created_at"), payload.get("key_id")

    trusted, trusted_from = _trusted_key(archive, key_path)
    if trusted is None:
        result.problems.append("no public key to check against: pass --key FILE (the archive's "
                               f"{KEY_NAME}{PUB_SUFFIX} or a copy of it)")
    elif _raw_public(trusted) != _raw_public(embedded):
        result.problems.append(f"anchor was signed by key {key_id(embedded)}, not by the trusted key "
                               f"{key_id(trusted)} ({trusted_from})")
    else:
        try:
            trusted.verify(signature, _signed_bytes(payload))
            result.signature_ok = True
        except InvalidSignature:
            result.problems.append("signature does not match the anchor's contents (the file was altered)")

    result.chain_ok = _check_prefix(archive, head_id, head_hash, result)
    result.records_ok = _check_records(archive, head_id, payload.get("records"), result)
    result.ok = result.signature_ok and result.chain_ok and result.records_ok and not result.problems
    return result


def _check_records(archive: Archive, head_id: int, signed: Any, result: AnchorCheck) -> bool:
    """The anchored record count and originals digest still match the rows the anchored events stored."""
    if not isinstance(signed, dict):
        result.problems.append("the anchor does not cover the records (made by an older archivist): "
                               "make a new anchor")
        return False
    with archive.reading() as session:
        now = anchored_records(session, head_id)
    ok = True
    if now["documents"] != signed.get("documents") or now["stored_by_events"] != signed.get("documents"):
        gone = int(signed.get("documents") or 0) - now["documents"]
        result.problems.append(f"the anchor covers {signed.get('documents')} record(s); {now['documents']} of "
                               f"them are still there ({gone} removed since the anchor)")
        ok = False
    if now["originals_sha256"] != signed.get("originals_sha256"):
        result.problems.append("the set of original hashes of the anchored records changed since the anchor "
                               "(a record removed or its sha256 rewritten)")
        ok = False
    return ok


def _check_prefix(archive: Archive, head_id: int, head_hash: str, result: AnchorCheck) -> bool:
    """Events 1..head_id re-hash, link, and end at ``head_hash``."""
    prev = events.GENESIS
    last_id = 0
    ok = True
    with archive.reading() as session:
        current = events.chain_head(session)
        result.current_head_id = current[0]
        result.events_since = current[0] - head_id
        rows = session.scalars(select(Event).where(Event.id <= head_id).order_by(Event.id)
                               .execution_options(yield_per=1000))
        for event in rows:
            if event.id != last_id + 1:
                result.problems.append(f"events {last_id + 1}..{event.id - 1} are missing from the anchored history")
                ok = False
            if event.prev_hash != prev:
                result.problems.append(f"event {event.id} does not follow the previous event's hash")
                ok = False
            actual = events.compute_hash(event)
            if actual != event.hash:
                result.problems.append(f"event {event.id} ({event.kind}) was altered after it was written")
                ok = False
            prev, last_id = event.hash, event.id
            session.expunge(event)
            if len(result.problems) > 20:
                result.problems.append("(further problems not listed)")
                return False
    if last_id != head_id:
        result.problems.append(f"anchored event {head_id} no longer exists (the chain ends at {last_id})")
        return False
    if prev != head_hash:
        result.problems.append(f"event {head_id} now has hash {prev}, the anchor says {head_hash}: "
                               "history up to the anchor was rewritten")
        return False
    return ok


# -- into a bag ------------------------------------------------------------

def export_anchors(archive: Archive, dest: Path, head_id: int) -> int:
    """Copy the anchors of events 1..``head_id`` (those the ``anchored`` events name, and any in
    ``<home>/anchors/``) and the archive's public key into ``dest``; return how many anchors.

    Each copy is named ``anchor-<event>-<sha256 prefix>.json``; an anchor file that is gone or no
    longer parses is left out (``verify``/``anchor --check`` report those)."""
    found: list[Path] = sorted((Path(archive.home) / "anchors").glob("*.json"))
    with archive.reading() as session:
        for detail in session.scalars(select(Event.detail).where(Event.kind == "anchored", Event.id <= head_id)):
            if isinstance(detail, dict) and detail.get("file"):
                found.append(Path(str(detail["file"])))
    copied: set[str] = set()
    for path in found:
        try:
            data = path.read_bytes()
            anchored = int(json.loads(data)["anchor"]["head_id"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        digest = hashlib.sha256(data).hexdigest()
        if anchored > head_id or digest in copied:
            continue
        copied.add(digest)
        dest.mkdir(parents=True, exist_ok=True)
        (dest / f"anchor-{anchored}-{digest[:16]}.json").write_bytes(data)
    pub = public_key_path(default_key_path(archive.home))
    if pub.exists():
        dest.mkdir(parents=True, exist_ok=True)
        (dest / pub.name).write_bytes(pub.read_bytes())
    return len(copied)
