"""RFC 3161 trusted timestamps over the chain head and the set of original hashes.

An anchor (``storage.integrity.anchor``) is signed with archivist's own key:
it proves the history was not changed *since*, relative to that key, but not
*when* it existed. ``archivist timestamp`` asks one or more independent
time-stamp authorities (TSAs) to sign a *message imprint* (a SHA-256) of this
canonical JSON message::

    {"documents": N, "format": "archivist-timestamp/1", "head_hash": "<hash of event H>",
     "head_id": H, "originals_sha256": "<SHA-256 over the sorted original hashes, one per line>"}

(``canonical_json``: sorted keys, no spaces). ``documents`` and
``originals_sha256`` are the same record digest the anchor signs
(:func:`storage.integrity.anchor.anchored_records`): the records events 1..H
stored. Each token is kept as the authority's DER ``TimeStampResp`` with the
certificates it carried and the message, in ``timestamp_tokens``, and logged
as a ``timestamped`` event carrying the SHA-256 of the response; an authority
that cannot be reached or refuses is logged as a ``timestamped`` event with
outcome ``failed`` (the others' tokens are kept).

:func:`check_tokens` works offline: the token's signature must chain to a CA
certificate the archive trusts (``--tsa-ca FILE`` or ``ARCHIVIST_TSA_CA``;
checked with rfc3161-client, at the token's own time), its imprint must be the
SHA-256 of the stored message, and the message must name the chain as it is:
event H still has that hash and the records events 1..H stored still hash to
that digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import events
from storage.database import transaction
from storage.errors import StorageError
from storage.integrity.anchor import anchored_records
from storage.integrity.bag_verifier import Der
from storage.models import Event, TimestampToken

if TYPE_CHECKING:
    from storage.archive import Archive

FORMAT = "archivist-timestamp/1"
DEFAULT_TIMEOUT_S = 30.0
MAX_RESPONSE_BYTES = 1 << 20
QUERY_TYPE = "application/timestamp-query"


class TimestampError(StorageError):
    """A time-stamp authority's answer, or a CA file, that cannot be used."""


# -- the message -----------------------------------------------------------

def timestamp_message(head_id: int, head_hash: str, records: dict[str, Any]) -> bytes:
    """The canonical message a token's imprint hashes (see the module docstring)."""
    return events.canonical_json({
        "format": FORMAT, "head_id": int(head_id), "head_hash": head_hash,
        "documents": int(records["documents"]), "originals_sha256": records["originals_sha256"],
    }).encode("utf-8")


def current_message(session: Session) -> tuple[int, str, bytes]:
    """``(head id, head hash, message)`` for the chain as it is now."""
    head_id, head_hash = events.chain_head(session)
    return head_id, head_hash, timestamp_message(head_id, head_hash, anchored_records(session, head_id))


# -- asking an authority ---------------------------------------------------

@dataclass
class Token:
    """One authority's verified-on-receipt answer."""

    tsa_url: str
    response: bytes
    gen_time: datetime
    serial_number: str
    certificates: list[str]  # PEM, as the response carried them


def der_sorted(data: bytes) -> bytes:
    """``data`` (a TimeStampResp) with the certificates of its SignedData in DER order.

    DER sorts a SET OF by its elements' encodings; some TSAs (OpenSSL with ``-chain``) send the
    certificates in chain order, which rfc3161-client's strict parser refuses. The certificate set is
    not covered by the signature, and sorting it keeps every length, so only those bytes move; the
    token as received is what is stored."""
    try:
        resp = Der(data)
        token = resp.children()[1]
        signed = token.children()[1].children()[0]
        certs = next((c for c in signed.children()[3:-1] if c.tag == 0xA0), None)
    except (ValueError, IndexError):
        return data
    if certs is None:
        return data
    ordered = b"".join(sorted(c.raw for c in certs.children()))
    return data[:certs.body_start] + ordered + data[certs.end:]


def parse_response(data: bytes) -> TimeStampResponse:
    """rfc3161-client's parse of a TimeStampResp (its certificates put in DER order first)."""
    return decode_timestamp_response(der_sorted(data))


def certificates_pem(response: TimeStampResponse) -> list[str]:
    """The certificates a response carries, as PEM, in a stable order."""
    certs = [x509.load_der_x509_certificate(der) for der in response.signed_data.certificates]
    return sorted(c.public_bytes(Encoding.PEM).decode("ascii") for c in certs)


def request_token(url: str, message: bytes, timeout_s: float = DEFAULT_TIMEOUT_S,
                  client: httpx.Client | None = None) -> Token:
    """Ask the TSA at ``url`` for a token over SHA-256(``message``); raises :class:`TimestampError`.

    The answer must be granted, echo the request's nonce and imprint, and carry certificates.
    """
    request = TimestampRequestBuilder(data=message, hash_algorithm=HashAlgorithm.SHA256,
                                      nonce=True, cert_req=True).build()
    try:
        with httpx.Client(timeout=timeout_s) if client is None else _borrowed(client) as http:
            reply = http.post(url, content=request.as_bytes(), headers={"Content-Type": QUERY_TYPE})
    except httpx.HTTPError as exc:
        raise TimestampError(f"{url}: no answer ({type(exc).__name__}: {exc})") from exc
    if reply.status_code != 200:
        raise TimestampError(f"{url}: HTTP {reply.status_code}")
    if len(reply.content) > MAX_RESPONSE_BYTES:
        raise TimestampError(f"{url}: answer of {len(reply.content)} bytes is too large for a time-stamp")
    try:
        response = parse_response(reply.content)
    except ValueError as exc:
        raise TimestampError(f"{url}: not an RFC 3161 time-stamp response: {exc}") from exc
    if PKIStatus(response.status) != PKIStatus.GRANTED:  # what rfc3161-client's verifier accepts
        raise TimestampError(f"{url}: request refused (status {response.status}: "
                             f"{'; '.join(response.status_string) or 'no reason given'})")
    info = response.tst_info
    if info.nonce != request.nonce:
        raise TimestampError(f"{url}: the answer does not echo the request's nonce (a replayed answer?)")
    if info.message_imprint.message != hashlib.sha256(message).digest():
        raise TimestampError(f"{url}: the token's message imprint is not the one asked for")
    certs = certificates_pem(response)
    if not certs:
        raise TimestampError(f"{url}: the answer carries no certificate (asked for with certReq)")
    return Token(url, reply.content, info.gen_time.astimezone(UTC), str(info.serial_number), certs)


class _borrowed:
    """A caller's client as a context manager that does not close it."""

    def __init__(self, client: httpx.Client):
        self.client = client

    def __enter__(self) -> httpx.Client:
        return self.client

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass
class TimestampRun:
    """What ``archivist timestamp`` got from each authority."""

    head_id: int
    head_hash: str
    message: str
    tokens: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.tokens) and not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def timestamp(archive: Archive, urls: Sequence[str], timeout_s: float = DEFAULT_TIMEOUT_S,
              run_id: int | None = None) -> TimestampRun:
    """Ask every authority in ``urls`` for a token over the current head; keep and log each outcome.

    The authorities are asked outside any write transaction (a slow one holds no lock); the tokens
    and failures are then written in one transaction, one ``timestamped`` event each.
    """
    if not urls:
        raise TimestampError("no time-stamp authority configured: pass --tsa URL or set ARCHIVIST_TSA_URLS")
    with archive.reading() as session:
        head_id, head_hash, message = current_message(session)
    result = TimestampRun(head_id, head_hash, message.decode("utf-8"))
    answers: list[Token | TimestampError] = []
    with httpx.Client(timeout=timeout_s) as client:
        for url in urls:
            try:
                answers.append(request_token(url, message, timeout_s, client))
            except TimestampError as exc:
                exc.tsa_url = url  # type: ignore[attr-defined]
                answers.append(exc)
    subject = {"head_id": head_id, "head_hash": head_hash,
               "imprint_sha256": hashlib.sha256(message).hexdigest()}
    with transaction(archive.sessions) as session:
        for answer in answers:
            if isinstance(answer, TimestampError):
                url = answer.tsa_url  # type: ignore[attr-defined]
                event = events.append_event(session, "timestamped", "failed", run_id=run_id,
                                            detail={**subject, "tsa_url": url, "error": str(answer)})
                result.failures.append({"tsa_url": url, "error": str(answer), "event_id": event.id})
                continue
            row = TimestampToken(tsa_url=answer.tsa_url, head_id=head_id, head_hash=head_hash,
                                 message=message.decode("utf-8"), response=answer.response,
                                 certificates=answer.certificates, gen_time=answer.gen_time,
                                 serial_number=answer.serial_number)
            session.add(row)
            session.flush()
            event = events.append_event(session, "timestamped", "ok", run_id=run_id, detail={
                **subject, "tsa_url": answer.tsa_url, "token_id": row.id,
                "response_sha256": hashlib.sha256(answer.response).hexdigest(),
                "gen_time": events.iso(answer.gen_time), "serial_number": answer.serial_number,
            })
            row.event_id = event.id
            result.tokens.append({"tsa_url": answer.tsa_url, "token_id": row.id, "event_id": event.id,
                                  "gen_time": events.iso(answer.gen_time), "serial_number": answer.serial_number})
    return result


def timestamp_after_run(archive: Archive, urls: Sequence[str], timeout_s: float = DEFAULT_TIMEOUT_S,
                        run_id: int | None = None) -> TimestampRun | None:
    """The end-of-run time-stamp (``ARCHIVIST_TIMESTAMP_RUNS=1``): like :func:`timestamp`, logged with the
    run's id; None when no authority is configured. A failing authority is logged, never raised."""
    if not urls:
        return None
    return timestamp(archive, urls, timeout_s, run_id=run_id)


# -- checking offline ------------------------------------------------------

def load_ca_certificates(paths: Iterable[str | Path]) -> list[x509.Certificate]:
    """Every certificate in the PEM (or DER) files ``paths``; raises :class:`TimestampError`."""
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise TimestampError(f"{path}: cannot read the TSA CA file: {exc.strerror}") from exc
        try:
            certs.extend(x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                         else [x509.load_der_x509_certificate(data)])
        except ValueError as exc:
            raise TimestampError(f"{path}: not a PEM or DER certificate file: {exc}") from exc
    return certs


@dataclass
class TokenCheck:
    """The outcome of checking one stored token."""

    token_id: int
    tsa_url: str
    head_id: int
    event_id: int | None
    gen_time: str | None = None
    signature_ok: bool | None = None  # None: no trusted CA to check against
    imprint_ok: bool = False
    chain_ok: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.imprint_ok and self.chain_ok and self.signature_ok is not False and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def verify_signature(response: TimeStampResponse, digest: bytes, roots: Sequence[x509.Certificate]) -> str | None:
    """None when the token is signed by a certificate chaining to one of ``roots`` (at its own time),
    over ``digest``, with the critical timeStamping key usage; else what does not hold.

    Only ``roots`` are given to rfc3161-client: it hands every certificate it is given to OpenSSL as
    trusted, so the certificates the token carries must not be (OpenSSL uses them as untrusted
    intermediates by itself)."""
    verifier = VerifierBuilder(roots=list(roots)).build()
    try:
        verifier.verify(response, digest)
    except VerificationError as exc:
        return f"signature: {exc}"
    return None


def check_token(session: Session, row: TimestampToken, roots: Sequence[x509.Certificate]) -> TokenCheck:
    """Check one stored token against the chain and (when ``roots``) the trusted CAs."""
    check = TokenCheck(row.id, row.tsa_url, row.head_id, row.event_id)
    try:
        response = parse_response(bytes(row.response))
    except ValueError as exc:
        check.problems.append(f"the stored response is not a time-stamp response: {exc}")
        return check
    check.gen_time = events.iso(response.tst_info.gen_time)
    message = row.message.encode("utf-8")
    digest = hashlib.sha256(message).digest()
    check.imprint_ok = response.tst_info.message_imprint.message == digest
    if not check.imprint_ok:
        check.problems.append("the token's message imprint is not the SHA-256 of the stored message")
    _check_event(session, row, check)
    check.chain_ok = _check_subject(session, message, check)
    if roots:
        problem = verify_signature(response, digest, roots)
        check.signature_ok = problem is None
        if problem:
            check.problems.append(problem)
    return check


def _check_event(session: Session, row: TimestampToken, check: TokenCheck) -> None:
    event = session.get(Event, row.event_id) if row.event_id is not None else None
    if event is None or event.kind != "timestamped" or event.outcome != "ok":
        check.problems.append(f"no 'timestamped' event logs token {row.id}")
        return
    detail = event.detail or {}
    if detail.get("response_sha256") != hashlib.sha256(bytes(row.response)).hexdigest() or \
            detail.get("head_hash") != row.head_hash or detail.get("token_id") != row.id:
        check.problems.append(f"token {row.id} differs from what event {event.id} logged (the row was rewritten)")


def _check_subject(session: Session, message: bytes, check: TokenCheck) -> bool:
    """The message names event H with its current hash and the records events 1..H stored, as they are."""
    try:
        subject = json.loads(message)
        head_id, head_hash = int(subject["head_id"]), str(subject["head_hash"])
    except (ValueError, KeyError, TypeError):
        check.problems.append("the stored message is not an archivist timestamp message")
        return False
    if subject.get("format") != FORMAT or head_id != check.head_id:
        check.problems.append(f"the stored message ({subject.get('format')!r}, event {head_id}) is not the "
                              f"one of this token (event {check.head_id})")
        return False
    event = session.get(Event, head_id)
    if event is None or event.hash != head_hash:
        check.problems.append(f"the token covers event {head_id} with hash {head_hash}; the chain has "
                              + (f"{event.hash}" if event else "no such event") + " (history rewritten)")
        return False
    expected = timestamp_message(head_id, head_hash, anchored_records(session, head_id))
    if expected != message:
        check.problems.append(f"the records events 1..{head_id} stored no longer hash to the time-stamped "
                              "digest (a record removed or its sha256 rewritten)")
        return False
    return True


def check_tokens(archive: Archive, roots: Sequence[x509.Certificate] = ()) -> list[TokenCheck]:
    """Check every stored token (see the module docstring), and that no logged token is gone."""
    checks: list[TokenCheck] = []
    with archive.reading() as session:
        rows = session.scalars(select(TimestampToken).order_by(TimestampToken.id)).all()
        for row in rows:
            checks.append(check_token(session, row, roots))
        kept = {row.id for row in rows}
        logged = session.scalars(select(Event).where(Event.kind == "timestamped", Event.outcome == "ok")
                                 .order_by(Event.id))
        for event in logged:
            token_id = (event.detail or {}).get("token_id")
            if token_id not in kept:
                gone = TokenCheck(int(token_id or 0), str((event.detail or {}).get("tsa_url")),
                                  int((event.detail or {}).get("head_id") or 0), event.id)
                gone.problems.append(f"event {event.id} logged token {token_id}, which is gone")
                checks.append(gone)
    return checks


@dataclass
class Finding:
    """One line for ``verify``: a problem, or a note when ``note``."""

    kind: str
    message: str
    event_id: int | None = None
    note: bool = False


def findings(archive: Archive, ca_files: Sequence[str | Path] = ()) -> list[Finding]:
    """What ``verify`` reports about the stored tokens (``ca_files``: the trusted TSA CA certificates)."""
    roots = load_ca_certificates(ca_files)
    out: list[Finding] = []
    checks = check_tokens(archive, roots)
    for check in checks:
        for problem in check.problems:
            out.append(Finding("timestamp-invalid", f"time-stamp token {check.token_id} ({check.tsa_url}, "
                                                    f"event {check.head_id}): {problem}", check.event_id))
    if checks and not roots:
        out.append(Finding("timestamp-untrusted", f"{len(checks)} time-stamp token(s) checked against the chain "
                           "only: pass --tsa-ca FILE (or set ARCHIVIST_TSA_CA) to check their signatures",
                           note=True))
    return out


# -- into a bag ------------------------------------------------------------

def export_tokens(archive: Archive, dest: Path, head_id: int) -> int:
    """Write every stored token over events 1..``head_id`` to ``dest``: ``token-<id>.tsr`` (the DER
    TimeStampResp as received) and ``token-<id>.json`` (authority, message, certificates, event); return
    how many."""
    count = 0
    with archive.reading() as session:
        rows = session.scalars(select(TimestampToken).where(TimestampToken.head_id <= head_id)
                               .order_by(TimestampToken.id))
        for row in rows:
            dest.mkdir(parents=True, exist_ok=True)
            (dest / f"token-{row.id}.tsr").write_bytes(bytes(row.response))
            meta = {"token_id": row.id, "tsa_url": row.tsa_url, "head_id": row.head_id, "head_hash": row.head_hash,
                    "message": row.message, "certificates": row.certificates or [], "event_id": row.event_id,
                    "gen_time": events.iso(row.gen_time) if row.gen_time else None,
                    "serial_number": row.serial_number, "response": f"token-{row.id}.tsr"}
            (dest / f"token-{row.id}.json").write_bytes(
                (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode("utf-8"))
            count += 1
    return count
