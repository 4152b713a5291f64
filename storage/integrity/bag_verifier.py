#!/usr/bin/env python3
"""verify_bag.py: check an archivist bag with nothing but Python and ``cryptography``.

    python verify_bag.py BAG [--tsa-ca CA.pem]... [--key anchor-ed25519.pub] [--json]

archivist writes this file into every bag it exports (its source is
``storage/integrity/bag_verifier.py``; it imports nothing from archivist). It
checks, and names whatever does not hold:

1. fixity: every file ``manifest-sha256.txt`` and ``tagmanifest-sha256.txt``
   list hashes to its entry, and no payload file is unlisted; every original
   also hashes to the SHA-256 its name and its record carry (so re-writing the
   manifest after changing a byte does not hide it);
2. the event chain (``data/events.jsonl``): each event's hash is recomputed
   exactly as archivist computes it (SHA-256 of the canonical JSON of its
   fields, ``prev_hash`` included); in a bag of the whole archive the ids run
   1, 2, 3, ... each event follows the previous one's hash, and the last one is
   the chain head ``bag-info.txt`` names; each record is the one its latest
   ``stored``/``re-extracted`` event wrote;
3. the anchors (``data/anchors/``): the Ed25519 signature (against ``--key``,
   else the public key the bag carries, which the output says), and that the
   anchored event has the anchored hash and the records the events up to it
   stored still hash to the anchored digest;
4. the RFC 3161 time-stamp tokens (``data/timestamps/``): the CMS signature
   (signed attributes, message digest of the TSTInfo), the signer's
   certificate (critical extended key usage timeStamping) and its chain up to
   a CA given with ``--tsa-ca`` (each certificate valid at the token's time),
   the message imprint (SHA-256 of the stored message), and that the message
   names the bag's chain: event H with its hash, and the records' digest.

Exit 0 when everything holds, 1 when anything does not, 2 when BAG is not a bag.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

GENESIS = "0" * 64
ANCHOR_FORMAT = "archivist-anchor/1"
TIMESTAMP_FORMAT = "archivist-timestamp/1"
RECORD_EVENTS = ("stored", "re-extracted")
HASH_OIDS = {"2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
             "2.16.840.1.101.3.4.2.3": hashes.SHA512}
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_RSASSA_PSS = "1.2.840.113549.1.1.10"


def canonical_json(value: Any) -> str:
    """archivist's canonical JSON (storage.events.canonical_json): sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Report:
    """What was checked, what holds and what does not."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.checked: dict[str, int] = {}

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n


# -- DER, just enough for RFC 3161 tokens ----------------------------------

class Der:
    """One DER element: ``tag`` (the identifier octet), ``raw`` (the whole TLV) and ``body`` (its contents)."""

    def __init__(self, data: bytes, pos: int = 0):
        if pos + 2 > len(data):
            raise ValueError("truncated DER")
        self.tag = data[pos]
        if self.tag & 0x1F == 0x1F:
            raise ValueError("multi-byte DER tags are not used in time-stamp tokens")
        length, at = data[pos + 1], pos + 2
        if length & 0x80:
            octets = length & 0x7F
            if octets == 0 or octets > 4:
                raise ValueError("indefinite or oversized DER length")
            length = int.from_bytes(data[at:at + octets], "big")
            at += octets
        if at + length > len(data):
            raise ValueError("DER element runs past the end")
        self.start, self.body_start, self.end = pos, at, at + length
        self.raw, self.body = data[pos:self.end], data[at:self.end]
        self._data = data

    def children(self) -> list[Der]:
        out, pos = [], self.body_start
        while pos < self.end:
            child = Der(self._data, pos)
            out.append(child)
            pos = child.end
        return out

    def oid(self) -> str:
        if self.tag != 0x06:
            raise ValueError("expected an OBJECT IDENTIFIER")
        parts, value = [], 0
        for byte in self.body:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                parts.append(value)
                value = 0
        first = min(parts[0] // 40, 2)
        return ".".join(str(p) for p in [first, parts[0] - 40 * first, *parts[1:]])

    def integer(self) -> int:
        return int.from_bytes(self.body, "big", signed=True)


def _time(element: Der) -> datetime:
    text = element.body.decode("ascii").rstrip("Z")
    if "." in text:
        text, frac = text.split(".", 1)
    else:
        frac = ""
    when = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return when.replace(microsecond=int((frac + "000000")[:6])) if frac else when


class Token:
    """The parts of a TimeStampResp (or a bare TimeStampToken) a check needs."""

    def __init__(self, data: bytes):
        top = Der(data)
        items = top.children()
        if items and items[0].tag == 0x30 and (len(items) == 1 or items[1].tag == 0x30) and \
                items[0].children() and items[0].children()[0].tag == 0x02:
            status = items[0].children()[0].integer()
            if status not in (0, 1) or len(items) < 2:
                raise ValueError(f"the authority did not grant this time-stamp (status {status})")
            content_info = items[1]
        else:
            content_info = top
        ci = content_info.children()
        if ci[0].oid() != OID_SIGNED_DATA:
            raise ValueError("not CMS SignedData")
        signed = ci[1].children()[0].children()
        encap = signed[2].children()
        if encap[0].oid() != OID_TST_INFO:
            raise ValueError("the signed content is not a TSTInfo")
        self.econtent = encap[1].children()[0].body
        self.certificates: list[x509.Certificate] = []
        rest = signed[3:]
        for element in rest[:-1]:
            if element.tag == 0xA0:
                self.certificates = [x509.load_der_x509_certificate(c.raw) for c in element.children()
                                     if c.tag == 0x30]
        signer_infos = rest[-1].children()
        if len(signer_infos) != 1:
            raise ValueError(f"expected one signer, found {len(signer_infos)}")
        self._signer(signer_infos[0].children())
        tst = Der(self.econtent).children()
        imprint = tst[2].children()
        self.imprint_algorithm = imprint[0].children()[0].oid()
        self.imprint = imprint[1].body
        self.serial = tst[3].integer()
        self.gen_time = _time(tst[4])

    def _signer(self, fields: list[Der]) -> None:
        sid = fields[1]
        self.sid_issuer = self.sid_serial = self.sid_key_id = None
        if sid.tag == 0x30:
            issuer, serial = sid.children()
            self.sid_issuer, self.sid_serial = issuer.raw, serial.integer()
        else:
            self.sid_key_id = sid.body
        self.digest_algorithm = fields[2].children()[0].oid()
        at = 3
        self.signed_attrs: bytes | None = None
        self.attributes: dict[str, bytes] = {}
        if fields[at].tag == 0xA0:
            # the signature covers the attributes DER-encoded as a SET (tag 0x31), not as [0]
            self.signed_attrs = b"\x31" + fields[at].raw[1:]
            for attr in fields[at].children():
                oid, values = attr.children()
                self.attributes[oid.oid()] = values.children()[0].raw
            at += 1
        self.signature_algorithm = fields[at].children()[0].oid()
        self.signature = fields[at + 1].body

    def signer_certificate(self, extra: list[x509.Certificate]) -> x509.Certificate | None:
        for cert in self.certificates + extra:
            if self.sid_issuer is not None:
                if cert.issuer.public_bytes() == self.sid_issuer and cert.serial_number == self.sid_serial:
                    return cert
            else:
                try:
                    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
                except x509.ExtensionNotFound:
                    continue
                if ski == self.sid_key_id:
                    return cert
        return None


def _verify_with(key: Any, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm, pss: bool) -> None:
    if isinstance(key, rsa.RSAPublicKey):
        pad = padding.PSS(padding.MGF1(algorithm), padding.PSS.AUTO) if pss else padding.PKCS1v15()
        key.verify(signature, data, pad, algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algorithm))
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise UnsupportedAlgorithm(f"signer key type {type(key).__name__}")


def _valid_at(cert: x509.Certificate, when: datetime) -> bool:
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


def _chain_problem(signer: x509.Certificate, pool: list[x509.Certificate], roots: list[x509.Certificate],
                   when: datetime) -> str | None:
    """None when ``signer`` chains to one of ``roots`` (each link signed by the next, valid at ``when``)."""
    trusted = {r.public_bytes(serialization.Encoding.DER) for r in roots}
    current = signer
    for _depth in range(10):
        if not _valid_at(current, when):
            return f"certificate {current.subject.rfc4514_string()} was not valid at {when.isoformat()}"
        if current.public_bytes(serialization.Encoding.DER) in trusted:
            return None
        if current.subject == current.issuer:
            return f"the certificate chain of {signer.subject.rfc4514_string()} ends at " \
                   f"{current.subject.rfc4514_string()}, a self-signed CA that does not reach a trusted CA"
        issuers = [c for c in roots + pool if c.subject == current.issuer and c is not current]
        for issuer in issuers:
            try:
                current.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                continue
            if issuer.public_bytes(serialization.Encoding.DER) in trusted and _valid_at(issuer, when):
                return None
            current = issuer
            break
        else:
            return f"the certificate chain of {signer.subject.rfc4514_string()} does not reach a trusted CA " \
                   f"(stops at {current.subject.rfc4514_string()}, issued by {current.issuer.rfc4514_string()})"
    return "the certificate chain is too long"


def token_problems(data: bytes, message: bytes, roots: list[x509.Certificate],
                   extra: list[x509.Certificate]) -> list[str]:
    """What does not hold about one token over ``message`` (empty: it holds).

    Without ``roots`` everything but the chain to a trusted CA is checked."""
    try:
        token = Token(data)
    except (ValueError, IndexError) as exc:
        return [f"not a readable RFC 3161 token: {exc}"]
    problems = []
    imprint_hash = HASH_OIDS.get(token.imprint_algorithm)
    if imprint_hash is None:
        problems.append(f"message imprint uses an unsupported hash ({token.imprint_algorithm})")
    else:
        digest = hashes.Hash(imprint_hash())
        digest.update(message)
        if digest.finalize() != token.imprint:
            problems.append("the token's message imprint is not the hash of its message (a token over another "
                            "head or digest)")
    signer = token.signer_certificate(extra)
    algorithm = HASH_OIDS.get(token.digest_algorithm)
    if signer is None:
        return problems + ["the token carries no certificate of its signer"]
    if algorithm is None:
        return problems + [f"unsupported signature digest {token.digest_algorithm}"]
    content = hashes.Hash(algorithm())
    content.update(token.econtent)
    signed = token.econtent
    if token.signed_attrs is not None:
        attribute = token.attributes.get(OID_MESSAGE_DIGEST)
        if attribute is None or Der(attribute).body != content.finalize():
            problems.append("the signed message digest is not the digest of the TSTInfo")
        signed = token.signed_attrs
    try:
        _verify_with(signer.public_key(), token.signature, signed, algorithm(),
                     token.signature_algorithm == OID_RSASSA_PSS)
    except InvalidSignature:
        problems.append("the signature does not verify with the signer's certificate (the token was altered)")
    except UnsupportedAlgorithm as exc:
        problems.append(f"cannot check the signature: {exc}")
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        if not eku.critical or ExtendedKeyUsageOID.TIME_STAMPING not in eku.value:
            problems.append("the signer's certificate is not a time-stamping certificate (critical EKU)")
    except x509.ExtensionNotFound:
        problems.append("the signer's certificate has no extended key usage timeStamping")
    if roots:
        chain = _chain_problem(signer, token.certificates + extra, roots, token.gen_time)
        if chain:
            problems.append(chain)
    return problems


def token_time(data: bytes) -> str:
    return Token(data).gen_time.isoformat()


# -- the bag ---------------------------------------------------------------

def read_manifest(bag: Path, name: str, report: Report) -> dict[str, str]:
    entries: dict[str, str] = {}
    path = bag / name
    if not path.is_file():
        report.fail(f"{name}: missing")
        return entries
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, rel = line.partition(" ")
        rel = rel.strip().lstrip("*").replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if not rel or ".." in Path(rel).parts or Path(rel).is_absolute():
            report.fail(f"{name} line {number}: unusable path {rel!r}")
            continue
        entries[rel] = digest.lower()
    return entries


def check_fixity(bag: Path, report: Report) -> None:
    """Both manifests, every payload file listed, nothing listed missing."""
    payload = read_manifest(bag, "manifest-sha256.txt", report)
    tags = read_manifest(bag, "tagmanifest-sha256.txt", report)
    for name, entries in (("manifest-sha256.txt", payload), ("tagmanifest-sha256.txt", tags)):
        for rel, digest in sorted(entries.items()):
            target = bag / rel
            if not target.is_file():
                report.fail(f"{rel}: listed in {name} but missing")
            elif sha256_file(target) != digest:
                report.fail(f"{rel}: does not match {name} (the file was changed)")
            report.count("files hashed")
    data = bag / "data"
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        rel = path.relative_to(bag).as_posix()
        if rel not in payload:
            report.fail(f"{rel}: in the payload but not in manifest-sha256.txt")


def bag_info(bag: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    path = bag / "bag-info.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if ":" in line and not line[:1].isspace():
                key, _, value = line.partition(":")
                info[key.strip()] = value.strip()
    return info


def load_records(bag: Path, report: Report) -> dict[int, dict[str, Any]]:
    """The records, each original checked against the SHA-256 it is named by and its record carries."""
    records: dict[int, dict[str, Any]] = {}
    for path in sorted((bag / "data" / "records").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            records[int(record["id"])] = record
        except (ValueError, KeyError, TypeError) as exc:
            report.fail(f"data/records/{path.name}: not a readable record ({exc})")
            continue
        original = (record.get("files") or {}).get("original")
        if not original:
            continue
        file = bag / original
        name_sha = Path(original).name.split(".", 1)[0]
        if not file.is_file():
            report.fail(f"{original}: the original of record {record['id']} is missing")
        else:
            found = sha256_file(file)
            if found != record.get("sha256") or found != name_sha:
                report.fail(f"{original}: the original of record {record['id']} does not hash to its sha256 "
                            f"{record.get('sha256')} (found {found})")
            report.count("originals")
    return records


def load_events(bag: Path, report: Report) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    path = bag / "data" / "events.jsonl"
    if not path.is_file():
        report.fail("data/events.jsonl: missing")
        return out
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                out.append(json.loads(line))
            except ValueError:
                report.fail(f"data/events.jsonl line {number}: not JSON")
    return out


def check_chain(events: list[dict[str, Any]], whole: bool, head: tuple[int, str] | None,
                report: Report) -> dict[int, str]:
    """Recompute every event's hash; in a whole-archive bag also the order and the head. Returns id -> hash."""
    by_id: dict[int, str] = {}
    prev_id, prev_hash = 0, GENESIS
    for event in events:
        payload = {k: v for k, v in event.items() if k != "hash"}
        actual = hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
        eid = event.get("id")
        if actual != event.get("hash"):
            report.fail(f"event {eid} ({event.get('kind')}) does not hash to its recorded hash (it was altered)")
        if whole:
            if eid != prev_id + 1:
                missing = f"event {prev_id + 1}" if eid == prev_id + 2 else f"events {prev_id + 1}..{eid - 1}"
                report.fail(f"{missing} missing from data/events.jsonl (removed)")
            elif event.get("prev_hash") != prev_hash:
                report.fail(f"event {eid} does not follow event {prev_id}'s hash")
        elif eid in by_id:
            report.fail(f"event {eid} appears twice")
        by_id[eid] = event.get("hash")
        prev_id, prev_hash = eid, event.get("hash")
        report.count("events")
    if head is not None and whole:
        if (prev_id, prev_hash) != head:
            report.fail(f"the chain in data/events.jsonl ends at event {prev_id} {prev_hash}, bag-info.txt names "
                        f"the head {head[0]} {head[1]} (events removed or added)")
    return by_id


def check_records_against_events(records: dict[int, dict[str, Any]], events: list[dict[str, Any]],
                                 report: Report) -> None:
    latest: dict[int, dict[str, Any]] = {}
    for event in events:
        if event.get("kind") in RECORD_EVENTS and event.get("document_id") is not None:
            latest[int(event["document_id"])] = event
    for doc_id, record in sorted(records.items()):
        event = latest.get(doc_id)
        if event is not None and event.get("record_hash") and record.get("record_hash") != event["record_hash"]:
            report.fail(f"data/records/{doc_id}.json: not the record event {event['id']} wrote")


def records_digest(records: dict[int, dict[str, Any]], events: list[dict[str, Any]], head_id: int) -> dict[str, Any]:
    """The anchor's record digest (storage.integrity.anchor.anchored_records) from the bag's own rows."""
    stored = {int(e["document_id"]) for e in events
              if e.get("kind") == "stored" and e.get("document_id") is not None and int(e["id"]) <= head_id}
    shas = sorted(str(records[d]["sha256"]) for d in stored if d in records)
    digest = hashlib.sha256("".join(f"{sha}\n" for sha in shas).encode("ascii")).hexdigest()
    return {"documents": len(shas), "stored": len(stored), "originals_sha256": digest}


def check_subject(what: str, head_id: int, head_hash: str, signed: dict[str, Any], chain: dict[int, str],
                  records: dict[int, dict[str, Any]], events: list[dict[str, Any]], whole: bool,
                  report: Report) -> None:
    """An anchor's or token's head and record digest against the bag's events and records."""
    if head_id not in chain:
        if whole:
            report.fail(f"{what}: covers event {head_id}, which is not in the bag")
        return
    if chain[head_id] != head_hash:
        report.fail(f"{what}: covers event {head_id} with hash {head_hash}; the bag's event {head_id} has "
                    f"{chain[head_id]} (not its chain head)")
    if whole:
        now = records_digest(records, events, head_id)
        if now["stored"] != signed.get("documents") or now["documents"] != signed.get("documents") or \
                now["originals_sha256"] != signed.get("originals_sha256"):
            report.fail(f"{what}: the records events 1..{head_id} stored do not hash to its digest "
                        f"({now['documents']} of {signed.get('documents')} records, digest {now['originals_sha256']})")


def check_anchors(bag: Path, key_file: Path | None, chain: dict[int, str], records: dict[int, dict[str, Any]],
                  events: list[dict[str, Any]], whole: bool, report: Report) -> None:
    folder = bag / "data" / "anchors"
    trusted_from = str(key_file) if key_file else None
    key_path = key_file or folder / "anchor-ed25519.pub"
    trusted = None
    if key_path.is_file():
        loaded = serialization.load_pem_public_key(key_path.read_bytes())
        trusted = loaded if isinstance(loaded, ed25519.Ed25519PublicKey) else None
    for path in sorted(folder.glob("*.json")):
        rel = f"data/anchors/{path.name}"
        try:
            anchor = json.loads(path.read_text(encoding="utf-8"))
            payload = anchor["anchor"]
            signature = base64.b64decode(anchor["signature"], validate=True)
            embedded = base64.b64decode(anchor["public_key"], validate=True)
        except (ValueError, KeyError, TypeError) as exc:
            report.fail(f"{rel}: not a readable anchor ({exc})")
            continue
        if payload.get("format") != ANCHOR_FORMAT:
            report.fail(f"{rel}: unknown anchor format {payload.get('format')!r}")
            continue
        key = trusted or ed25519.Ed25519PublicKey.from_public_bytes(embedded)
        if trusted is None:
            report.notes.append(f"{rel}: checked against the public key it embeds (pass --key to pin one)")
        elif key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) != embedded:
            report.fail(f"{rel}: not signed by the trusted key ({trusted_from or 'the bag key'})")
            continue
        try:
            key.verify(signature, canonical_json(payload).encode("utf-8"))
        except InvalidSignature:
            report.fail(f"{rel}: the signature does not match the anchor's contents (the anchor was altered)")
        check_subject(rel, int(payload["head_id"]), str(payload["head_hash"]), payload.get("records") or {},
                      chain, records, events, whole, report)
        report.count("anchors")
    if trusted_from is None and trusted is not None:
        report.notes.append("anchors checked against the public key the bag carries "
                            "(data/anchors/anchor-ed25519.pub); pass --key to pin the archive's key")


def check_tokens(bag: Path, roots: list[x509.Certificate], chain: dict[int, str],
                 records: dict[int, dict[str, Any]], events: list[dict[str, Any]], whole: bool,
                 report: Report) -> None:
    folder = bag / "data" / "timestamps"
    for path in sorted(folder.glob("token-*.json")):
        rel = f"data/timestamps/{path.name}"
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            message = str(meta["message"]).encode("utf-8")
            subject = json.loads(message)
            data = (folder / str(meta["response"])).read_bytes()
            extra = [x509.load_pem_x509_certificate(p.encode("ascii")) for p in meta.get("certificates") or []]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            report.fail(f"{rel}: not a readable token description ({exc})")
            continue
        for problem in token_problems(data, message, roots, extra):
            report.fail(f"{rel} ({meta.get('tsa_url')}): {problem}")
        if subject.get("format") != TIMESTAMP_FORMAT or subject.get("head_id") != meta.get("head_id") or \
                subject.get("head_hash") != meta.get("head_hash"):
            report.fail(f"{rel}: its message is not an archivist timestamp message for event {meta.get('head_id')}")
        check_subject(rel, int(subject.get("head_id") or 0), str(subject.get("head_hash")), subject, chain,
                      records, events, whole, report)
        report.count("time-stamp tokens")
    if report.checked.get("time-stamp tokens") and not roots:
        report.notes.append("time-stamp tokens were not checked against a trusted CA: pass --tsa-ca FILE "
                            "(the authorities' CA certificates) to check who signed them")


def load_roots(files: list[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for file in files:
        data = file.read_bytes()
        roots.extend(x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                     else [x509.load_der_x509_certificate(data)])
    return roots


def verify_bag(bag: Path, tsa_ca: list[Path] | None = None, key: Path | None = None) -> Report:
    """Every check of the module docstring on the bag at ``bag``."""
    report = Report()
    if not (bag / "bagit.txt").is_file() or not (bag / "data").is_dir():
        raise ValueError(f"{bag}: not a BagIt bag (no bagit.txt or data/)")
    check_fixity(bag, report)
    info = bag_info(bag)
    whole = info.get("Archivist-Filter", "none") == "none"
    head = None
    if info.get("Archivist-Chain-Head"):
        head_id, _, head_hash = info["Archivist-Chain-Head"].partition(" ")
        head = (int(head_id), head_hash)
    if not whole:
        report.notes.append(f"a narrowed bag ({info.get('Archivist-Filter')}): each event is checked on its own; "
                            "gaps in the chain and the record digests of anchors and tokens cannot be")
    records = load_records(bag, report)
    events = load_events(bag, report)
    chain = check_chain(events, whole, head, report)
    check_records_against_events(records, events, report)
    check_anchors(bag, key, chain, records, events, whole, report)
    check_tokens(bag, load_roots(tsa_ca or []), chain, records, events, whole, report)
    return report


def install(target: Path) -> Path:
    """Copy this script into the bag directory ``target`` as ``verify_bag.py``."""
    dest = Path(target) / "verify_bag.py"
    shutil.copyfile(Path(__file__), dest)
    os.chmod(dest, 0o600)
    return dest


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Check an archivist bag: fixity, event chain, anchors, "
                                                 "RFC 3161 time-stamp tokens.")
    parser.add_argument("bag", type=Path)
    parser.add_argument("--tsa-ca", action="append", type=Path, default=[],
                        help="PEM file of time-stamp authority CA certificates to trust (repeatable)")
    parser.add_argument("--key", type=Path, help="the archive's trusted anchor public key (PEM)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    try:
        report = verify_bag(args.bag, args.tsa_ca, args.key)
    except (OSError, ValueError) as exc:
        print(f"verify_bag: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"ok": not report.problems, "problems": report.problems, "notes": report.notes,
                          "checked": report.checked}, indent=2))
    else:
        print("checked: " + ", ".join(f"{n} {what}" for what, n in report.checked.items()))
        for note in report.notes:
            print(f"NOTE: {note}")
        for problem in report.problems:
            print(f"FAIL: {problem}")
        print("BAG OK" if not report.problems else f"{len(report.problems)} problem(s): the bag does NOT hold")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
