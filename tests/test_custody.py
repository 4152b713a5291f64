"""Chain of custody (issue 20): who collected each original, why, with what, from where; what every
derived artifact was made from; every download and export of an original as an event of its record.

Real parts only: a real HTTPS server on loopback (pytest-httpserver with a TLS context) whose
certificate is issued by a test CA made here with ``cryptography`` and trusted through
``SSL_CERT_FILE``; the real CLI on a real SQLite archive; the real web app read-only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import ssl
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer

from storage import Archive, browse

from flows.web.app import create_app

PAGE = ("<html><head><title>Statement on the 1988 prison massacres</title></head><body><article>"
        "<h1>Statement on the 1988 prison massacres</h1>"
        + "<p>The families of the victims ask for the truth about the summer of 1988. " * 8
        + "</p></article></body></html>").encode("utf-8")
SECRET = "k-7f3e-do-not-store"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificates(folder: Path) -> tuple[Path, Path, Path, bytes, bytes]:
    """A test CA and a server certificate for 127.0.0.1 it issued: (ca.pem, server.pem, server.key, DERs)."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("archivist test CA")).issuer_name(_name("archivist test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    server = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return ca_pem, cert_pem, key_pem, ca.public_bytes(serialization.Encoding.DER), \
        server.public_bytes(serialization.Encoding.DER)


@pytest.fixture
def https(tmp_path, monkeypatch):
    """A real HTTPS server on 127.0.0.1 with a certificate from a test CA the fetcher trusts."""
    folder = tmp_path / "tls"
    folder.mkdir()
    ca_pem, cert_pem, key_pem, ca_der, leaf_der = _certificates(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_pem, key_pem)
    server = HTTPServer(host="127.0.0.1", ssl_context=context)
    server.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))  # httpx's trust_env: the test CA is the only anchor
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    try:
        yield server, ca_der, leaf_der
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def _custody(cli, ref: str) -> dict:
    data = cli.json("show", ref)
    assert "custody" in data, "show --json has no custody"
    return data


# -- custody on every ingest ----------------------------------------------------------------


def test_an_https_fetch_records_collector_peer_address_and_the_certificate_chain(cli, https):
    server, ca_der, leaf_der = https
    server.expect_request("/statement.html").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    url = server.url_for("/statement.html")
    assert url.startswith("https://127.0.0.1:")
    cli("ingest", "--no-prefect", "--collector", "Jane Doe <jane@example.org>", "--note", "case 2026-14", url)
    data = _custody(cli, "1")
    custody = data["custody"]
    assert custody["collector"] == "Jane Doe <jane@example.org>" and custody["collector_from"] == "--collector"
    assert custody["note"] == "case 2026-14"
    assert custody["tools"]["archivist"] and custody["tools"]["python"] and custody["tools"]["httpx"]
    assert custody["host"] and custody["time_zone"]["utc_offset"]
    assert custody["extractor"]["extractor"] == "html" and custody["extractor"]["library"] == "trafilatura"
    assert custody["extractor"]["version"]
    net = custody["network"]
    assert net["peer_ip"] == "127.0.0.1"
    assert net["certificate_sha256"] == hashlib.sha256(leaf_der).hexdigest()
    chain = net["tls"]["chain"]
    assert [c["sha256"] for c in chain] == [hashlib.sha256(leaf_der).hexdigest(), hashlib.sha256(ca_der).hexdigest()]
    assert net["tls"]["chain_source"] == "verified"
    assert ssl.PEM_cert_to_DER_cert(chain[0]["pem"]) == leaf_der
    assert net["tls"]["version"].startswith("TLS")
    assert net["user_agent"].startswith("archivist/")
    sent = dict((k.lower(), v) for k, v in net["request"]["headers"])
    assert sent["user-agent"] == net["user_agent"] and net["request"]["url"] == url
    # what the text was derived from, by which tool
    assert data["derivation"]["from"]["sha256"] == data["sha256"]
    assert data["derivation"]["artifacts"]["text_sha256"] == data["text_sha256"]
    assert data["derivation"]["tool"]["extractor"] == "html"
    shown = cli("show", "1").output
    assert "Jane Doe <jane@example.org>" in shown and hashlib.sha256(leaf_der).hexdigest() in shown


def test_a_sources_file_sets_collector_and_purpose_and_credentials_stay_redacted(cli, https, tmp_path, monkeypatch):
    server, _, _ = https
    server.expect_request("/brief.html").respond_with_data(PAGE.replace(b"Statement", b"Brief"),
                                                           content_type="text/html")
    monkeypatch.setenv("BRIEF_KEY", SECRET)
    sources = tmp_path / "sources.toml"
    sources.write_text(f'''
[source.briefs]
urls = ["{server.url_for('/brief.html')}"]
collector = "Documentation unit, Example NGO"
purpose = "case 2026-14: statements about 1988"
headers = {{ "X-Api-Key" = {{ env = "BRIEF_KEY" }} }}
allow_private = true
''', encoding="utf-8")
    cli("ingest", "--no-prefect", "--source", "briefs", "--sources", str(sources))
    custody = _custody(cli, "1")["custody"]
    assert custody["collector"] == "Documentation unit, Example NGO"
    assert custody["collector_from"] == "sources file [source.briefs]"
    assert custody["purpose"] == "case 2026-14: statements about 1988"
    sent = dict((k.lower(), v) for k, v in custody["network"]["request"]["headers"])
    assert sent["x-api-key"] == "[redacted]"
    assert SECRET not in json.dumps(cli.json("show", "1"))


def test_files_get_the_configured_collector_and_parts_inherit_the_custody(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVIST_COLLECTOR", "R. Investigator")
    folder = tmp_path / "in"
    folder.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("letter.txt", "A letter from the families of the victims of the summer of 1988.\n" * 4)
    (folder / "letters.zip").write_bytes(buf.getvalue())
    cli("ingest", "--no-prefect", str(folder / "letters.zip"))
    docs = {d["source"]: d for d in cli.json("documents")["documents"]} if isinstance(cli.json("documents")["documents"], list) else \
        {d["source"]: d for d in cli.json("documents")["documents"]}
    container = next(d for s, d in docs.items() if s.endswith("letters.zip"))
    part = next(d for s, d in docs.items() if s.endswith("!/letter.txt"))
    outer = _custody(cli, str(container["id"]))["custody"]
    assert outer["collector"] == "R. Investigator" and outer["collector_from"] == "ARCHIVIST_COLLECTOR"
    assert outer["file"]["path"].endswith("letters.zip") and outer["file"]["size"] == len(buf.getvalue())
    assert outer["tools"]["archivist"] and outer["time_zone"]
    inner = _custody(cli, str(part["id"]))
    assert inner["custody"]["part_of"] == container["id"]
    assert inner["custody"]["collector"] == "R. Investigator" and inner["custody"]["inherited_from_fetch"]
    assert inner["custody"]["extractor"]["extractor"] == "text"
    assert inner["derivation"]["from"]["sha256"] == inner["sha256"]


# -- access and transfer --------------------------------------------------------------------


def _events(cli, doc_id: int) -> list[dict]:
    archive = Archive.open(cli.home, create=False, readonly=True)
    try:
        return browse.document_events(archive, doc_id)
    finally:
        archive.close()


def test_a_download_from_the_web_interface_is_an_event_of_the_record(cli, tmp_path):
    source = tmp_path / "report.txt"
    source.write_text("Report on the executions of political prisoners in 1988.\n" * 5, encoding="utf-8")
    cli("ingest", "--no-prefect", str(source))
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    archive = Archive.open(cli.home, readonly=True, create=False)
    try:
        with TestClient(create_app(archive)) as client:
            response = client.get("/documents/1/original", headers={"User-Agent": "investigator-browser/1"})
            assert response.status_code == 200 and response.content == source.read_bytes()
    finally:
        archive.close()
    served = [e for e in _events(cli, 1) if e["kind"] == "original-served"]
    assert len(served) == 1
    detail = served[0]["detail"]
    assert detail["sha256"] == sha and detail["bytes"] == source.stat().st_size
    assert detail["to"]["agent"] == "web" and detail["to"]["client"]
    assert detail["to"]["user_agent"] == "investigator-browser/1"
    assert detail["by"]["collector"]
    cli("verify")  # the new kind is one archivist writes: the chain and the records still verify


def test_an_export_rehashes_and_records_each_original_it_copied(cli, tmp_path):
    source = tmp_path / "statement.md"
    source.write_text("# Statement\n\nThe truth about 1988 must be told.\n", encoding="utf-8")
    cli("ingest", "--no-prefect", str(source))
    bag = tmp_path / "bag"
    cli("export", str(bag))
    exported = [e for e in _events(cli, 1) if e["kind"] == "original-exported"]
    assert len(exported) == 1
    detail = exported[0]["detail"]
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert detail["sha256"] == sha and detail["rehashed"] is True
    assert detail["to"]["bag"] == str(bag.resolve())
    copied = bag / detail["path"]
    assert hashlib.sha256(copied.read_bytes()).hexdigest() == sha
    assert hashlib.sha256((bag / detail["text_path"]).read_bytes()).hexdigest() == detail["text_sha256"]
    assert detail["by"]["collector"]
    record = json.loads((bag / "data" / "records" / "1.json").read_text(encoding="utf-8"))
    assert record["fetches"][0]["custody"]["collector"] and record["derivation"]["from"]["sha256"] == sha
    cli("verify")


def test_the_document_page_shows_the_custody(cli, https):
    server, _, leaf_der = https
    server.expect_request("/page.html").respond_with_data(PAGE, content_type="text/html")
    cli("ingest", "--no-prefect", "--collector", "A. Researcher", server.url_for("/page.html"))
    archive = Archive.open(cli.home, readonly=True, create=False)
    try:
        with TestClient(create_app(archive)) as client:
            page = client.get("/documents/1").text
            api = client.get("/api/documents/1").json()
    finally:
        archive.close()
    assert "A. Researcher" in page and hashlib.sha256(leaf_der).hexdigest() in page
    assert api["custody"] == cli.json("show", "1")["custody"] and api["derivation"]["tool"]["extractor"] == "html"


def test_a_prefect_flow_run_keeps_the_custody_of_each_item(cli, tmp_path, prefect_harness):
    source = tmp_path / "testimony.txt"
    source.write_text("Testimony of a survivor of the 1988 prison massacres.\n" * 5, encoding="utf-8")
    cli("ingest", "--collector", "Field team B", "--note", "flow run", str(source))
    custody = _custody(cli, "1")["custody"]
    assert custody["collector"] == "Field team B" and custody["note"] == "flow run"
    assert custody["extractor"]["extractor"] == "text" and custody["file"]["path"].endswith("testimony.txt")


def test_bytes_seen_again_get_their_own_fetch_custody_with_the_extractor(cli, tmp_path):
    """A re-run (the batch reads the known documents as rows, not objects) still records, for each new
    fetch of bytes archived already, where they were read and which extractor made the record."""
    import sqlite3

    first, second = tmp_path / "in" / "a", tmp_path / "in" / "b"
    for folder in (first, second):
        folder.mkdir(parents=True)
        (folder / "testimony.txt").write_text("Testimony of a survivor of the 1988 prison massacres.\n" * 5,
                                              encoding="utf-8")
    cli("ingest", "--no-prefect", str(first))
    again = cli.json("ingest", "--no-prefect", str(first), str(second))  # seen again twice in one batch
    assert again["counts"]["unchanged"] == 2 and again["warnings"] == [] and again["failures"] == []
    with sqlite3.connect(cli.home / "archive.sqlite3") as db:
        rows = [json.loads(c) for (c,) in db.execute("SELECT custody FROM fetches ORDER BY id")]
    assert len(rows) == 3
    assert [r["file"]["path"] for r in rows] == [str((f / "testimony.txt").resolve()) for f in (first, first, second)]
    assert all(r["extractor"] == rows[0]["extractor"] and r["extractor"] for r in rows)
