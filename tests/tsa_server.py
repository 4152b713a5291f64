"""A real RFC 3161 time-stamp authority on loopback, for tests.

:func:`make_pki` makes a test CA and a TSA certificate it issued (EC P-256
or RSA 2048; extendedKeyUsage *critical* timeStamping) with ``cryptography``;
:class:`TsaServer` answers ``POST`` time-stamp queries on 127.0.0.1 by handing
each one to ``openssl ts -reply`` (the OpenSSL command line, a real TSA
implementation) and returning its DER answer. The answer carries the TSA's
certificate and its CA's (``-chain``), in chain order, as many authorities send
them. Nothing here is a mock: the tokens are what an authority running OpenSSL
would issue.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class Pki:
    """A test CA and one TSA certificate it issued, written to ``directory``."""

    directory: Path
    ca_pem: Path
    tsa_pem: Path
    tsa_key: Path
    name: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "archivist tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_key(kind: str) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())


def make_pki(directory: Path, name: str = "Test TSA", key: str = "ec") -> Pki:
    """A self-signed CA and a TSA certificate (critical EKU timeStamping) issued by it; ``key``: ec or rsa."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = _new_key(key)
    ca = (x509.CertificateBuilder().subject_name(_name(f"{name} Root CA")).issuer_name(_name(f"{name} Root CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    tsa_key = _new_key(key)
    tsa = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(ca.subject)
           .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                        data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                        crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .add_extension(x509.SubjectKeyIdentifier.from_public_key(tsa_key.public_key()), critical=False)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
           .sign(ca_key, hashes.SHA256()))
    pki = Pki(directory, directory / "ca.pem", directory / "tsa.pem", directory / "tsa.key", name)
    pki.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.tsa_pem.write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    pki.tsa_key.write_bytes(tsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    (directory / "serial").write_text("01\n")
    (directory / "openssl.cnf").write_text(OPENSSL_CONFIG.format(dir=directory))
    return pki


class TsaServer:
    """``openssl ts -reply`` behind a threaded HTTP server on 127.0.0.1 (a context manager)."""

    def __init__(self, pki: Pki):
        self.pki = pki
        self.requests = 0
        self._lock = threading.Lock()  # openssl ts keeps its serial number in one file
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body = server.reply(query)
                self.send_response(status)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tsa"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reply(self, query: bytes) -> tuple[int, bytes]:
        """Run ``openssl ts -reply`` on one DER query; ``(HTTP status, DER answer or error text)``."""
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            self.requests += 1
            qfile, rfile = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
            qfile.write_bytes(query)
            done = subprocess.run(
                ["openssl", "ts", "-reply", "-config", str(self.pki.directory / "openssl.cnf"),
                 "-queryfile", str(qfile), "-chain", str(self.pki.ca_pem), "-out", str(rfile)],
                capture_output=True, timeout=60)
            if done.returncode != 0 or not rfile.exists():
                return 500, done.stderr
            return 200, rfile.read_bytes()

    def __enter__(self) -> TsaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (a TSA that is down)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"
