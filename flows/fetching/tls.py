"""What a TLS connection showed of its peer: the certificate chain, its fingerprints, the protocol.

:func:`tls_facts` reads the ``ssl_object`` of httpcore's network stream while
the response is open. The chain is the *verified* one (leaf first, up to the
trust anchor the connection was checked against) where Python exposes it:
``SSLSocket.get_verified_chain()`` from Python 3.13, the same method of the
underlying ``_sslobj`` before that; else the chain as the server sent it; else
only the leaf (``getpeercert(binary_form=True)``), and ``chain_source`` says
which. Each certificate is kept as PEM with its SHA-256 fingerprint, subject,
issuer and validity, parsed with ``cryptography``.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

log = logging.getLogger(__name__)


def _der_list(chain: Any) -> list[bytes]:
    """Certificates as DER, whether Python handed out bytes (3.13) or ``_ssl.Certificate`` objects."""
    out = []
    for cert in chain or []:
        if isinstance(cert, bytes | bytearray):
            out.append(bytes(cert))
        else:
            out.append(cert.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]  # noqa: SLF001
    return out


def peer_chain(ssl_object: Any) -> tuple[list[bytes], str]:
    """The peer's certificates (DER, leaf first) and where they came from.

    ``verified`` (the chain the connection was verified against), ``sent``
    (the chain as the server sent it, when verification was off) or ``leaf``
    (only the server's own certificate: this Python exposes no chain).
    """
    inner = getattr(ssl_object, "_sslobj", None)  # ssl.SSLSocket / SSLObject wrap an _ssl._SSLSocket
    for owner in (ssl_object, inner):
        for method, source in (("get_verified_chain", "verified"), ("get_unverified_chain", "sent")):
            getter = getattr(owner, method, None)
            if getter is None:
                continue
            try:
                chain = _der_list(getter())
            except (ssl.SSLError, ValueError, AttributeError, TypeError) as exc:
                log.debug("%s: %s", method, exc)
                continue
            if chain:
                return chain, source
    leaf = ssl_object.getpeercert(binary_form=True)
    return ([leaf] if leaf else []), "leaf"


def certificate_facts(der: bytes) -> dict[str, Any]:
    """One certificate: its SHA-256 fingerprint, PEM, subject, issuer, serial and validity."""
    cert = x509.load_der_x509_certificate(der)
    return {
        "sha256": hashlib.sha256(der).hexdigest(),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "pem": cert.public_bytes(Encoding.PEM).decode("ascii"),
    }


def tls_facts(ssl_object: Any) -> dict[str, Any] | None:
    """The TLS session of one connection: version, cipher, server name and certificate chain.

    ``certificate_sha256`` is the fingerprint of the server's own (leaf)
    certificate. ``None`` for a plain-HTTP connection.
    """
    if ssl_object is None:
        return None
    chain, source = peer_chain(ssl_object)
    certificates = []
    for der in chain:
        try:
            certificates.append(certificate_facts(der))
        except ValueError as exc:  # a certificate cryptography cannot parse: keep its bytes' fingerprint
            certificates.append({"sha256": hashlib.sha256(der).hexdigest(), "error": str(exc),
                                 "der_hex": der.hex()})
    cipher = ssl_object.cipher()
    return {
        "version": ssl_object.version(),
        "cipher": cipher[0] if cipher else None,
        "server_name": getattr(ssl_object, "server_hostname", None),
        "certificate_sha256": certificates[0]["sha256"] if certificates else None,
        "chain_source": source,
        "chain": certificates,
    }
