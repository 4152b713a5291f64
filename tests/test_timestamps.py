"""RFC 3161 trusted timestamps, against a real TSA on loopback (``openssl ts -reply``, tests/tsa_server.py)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import SEEDS, Cli, copied_archive, seeded_archive
from tsa_server import closed_port_url, make_pki


@pytest.fixture(scope="module")
def base_home(tmp_path_factory) -> Path:
    return seeded_archive(tmp_path_factory.mktemp("base"), SEEDS[2:4]).home


@pytest.fixture
def arch(base_home, tmp_path) -> Cli:
    return copied_archive(base_home, tmp_path)


def _db(cli: Cli) -> sqlite3.Connection:
    return sqlite3.connect(cli.home / "archive.sqlite3")


def _timestamp_events(cli: Cli) -> list[tuple[int, str, str]]:
    with _db(cli) as con:
        return con.execute("SELECT id, outcome, detail FROM events WHERE kind = 'timestamped' ORDER BY id").fetchall()


def test_a_token_from_the_loopback_tsa_verifies_offline(arch, tsa, pki, tmp_path):
    head = arch.json("verify")["head_hash"]
    result = arch.json("timestamp", "--tsa", tsa.url)
    assert result["ok"] and result["head_hash"] == head and len(result["tokens"]) == 1
    assert '"head_hash":"%s"' % head in result["message"] and '"originals_sha256"' in result["message"]
    [(event_id, outcome, _detail)] = _timestamp_events(arch)
    assert outcome == "ok" and result["tokens"][0]["event_id"] == event_id
    with _db(arch) as con:
        (certs,) = con.execute("SELECT certificates FROM timestamp_tokens").fetchone()
    assert "BEGIN CERTIFICATE" in certs

    offline = Cli(arch.home)  # the TSA is not asked again: verify reads only the stored token and the CA file
    before = tsa.requests
    report = offline.json("verify", "--tsa-ca", str(pki.ca_pem))
    assert report["ok"], report["problems"]
    assert tsa.requests == before
    # without a trusted CA the tokens are checked against the chain only, and verify says so
    notes = arch.json("verify")["notes"]
    assert any(n["kind"] == "timestamp-untrusted" for n in notes)


def test_a_ca_the_archive_does_not_trust_fails_the_signature(arch, tsa, tmp_path):
    arch("timestamp", "--tsa", tsa.url)
    stranger = make_pki(tmp_path / "other-ca", name="Other TSA")
    report = arch.json("verify", "--tsa-ca", str(stranger.ca_pem), expect=1)
    [problem] = report["problems"]
    assert problem["kind"] == "timestamp-invalid" and "signature" in problem["message"]


def test_a_token_over_another_head_fails(base_home, tsa, pki, tmp_path):
    """A token of archive A (over A's head) copied into archive B, whose event at that id differs."""
    a, b = Cli(tmp_path / "a"), Cli(tmp_path / "b")
    shutil.copytree(base_home, a.home)
    shutil.copytree(base_home, b.home)
    a("ingest", "--no-prefect", str(SEEDS[0]))
    b("ingest", "--no-prefect", str(SEEDS[1]))
    a("timestamp", "--tsa", tsa.url)
    with _db(a) as con:
        row = con.execute("SELECT * FROM timestamp_tokens").fetchone()
        event = con.execute("SELECT * FROM events WHERE kind = 'timestamped'").fetchone()
    with _db(b) as con:
        head_id = row[3]
        assert con.execute("SELECT hash FROM events WHERE id = ?", (head_id,)).fetchone()[0] != row[4]
        con.execute("INSERT INTO timestamp_tokens VALUES (%s)" % ",".join("?" * len(row)), row)
    report = b.json("verify", "--tsa-ca", str(pki.ca_pem), expect=1)
    messages = [p["message"] for p in report["problems"] if p["kind"] == "timestamp-invalid"]
    assert any(f"covers event {head_id} with hash {row[4]}" in m for m in messages), messages
    assert event is not None


def test_a_rewritten_message_no_longer_matches_the_imprint(arch, tsa, pki):
    arch("timestamp", "--tsa", tsa.url)
    with _db(arch) as con:
        con.execute("UPDATE timestamp_tokens SET message = replace(message, '\"documents\":2', '\"documents\":3')")
    report = arch.json("verify", "--tsa-ca", str(pki.ca_pem), expect=1)
    assert any("message imprint is not the SHA-256 of the stored message" in p["message"]
               for p in report["problems"])


def test_two_authorities_one_down_keeps_the_token_and_records_the_failure(arch, tsa, pki, monkeypatch):
    down = closed_port_url()
    monkeypatch.setenv("ARCHIVIST_TSA_URLS", f"{down}, {tsa.url}")
    monkeypatch.setenv("ARCHIVIST_TSA_CA", str(pki.ca_pem))
    result = arch.json("timestamp", expect=1)  # exit 1: one authority failed
    assert [t["tsa_url"] for t in result["tokens"]] == [tsa.url]
    assert [f["tsa_url"] for f in result["failures"]] == [down] and "no answer" in result["failures"][0]["error"]
    outcomes = [(outcome, down in detail) for _id, outcome, detail in _timestamp_events(arch)]
    assert outcomes == [("failed", True), ("ok", False)]
    assert "FAILED " + down in arch("timestamp", expect=1).output
    report = arch.json("verify")  # ARCHIVIST_TSA_CA is the trusted CA; a failed request is no problem
    assert report["ok"], report["problems"]
    assert not any(n["kind"] == "timestamp-untrusted" for n in report["notes"])


def test_no_authority_configured_is_an_operational_error(arch, monkeypatch):
    monkeypatch.delenv("ARCHIVIST_TSA_URLS", raising=False)
    result = arch("timestamp", expect=2)
    assert "no time-stamp authority configured" in result.output
    assert _timestamp_events(arch) == []


def test_a_removed_token_row_is_reported(arch, tsa, pki):
    arch("timestamp", "--tsa", tsa.url)
    with _db(arch) as con:
        con.execute("DELETE FROM timestamp_tokens")
    report = arch.json("verify", "--tsa-ca", str(pki.ca_pem), expect=1)
    assert any("which is gone" in p["message"] for p in report["problems"])


def test_the_end_of_run_timestamp_is_logged_with_the_run(arch, tsa, pki):
    from storage import Archive
    from storage.integrity.timestamps import timestamp_after_run

    with Archive.open(arch.home) as archive:
        assert timestamp_after_run(archive, ()) is None  # not configured: nothing asked, nothing logged
        result = timestamp_after_run(archive, (tsa.url,), run_id=1)
    assert result is not None and result.ok
    with _db(arch) as con:
        assert con.execute("SELECT run_id, outcome FROM events WHERE kind = 'timestamped'").fetchall() == [(1, "ok")]


def test_every_run_is_time_stamped_when_configured(arch, tsa, pki, monkeypatch, tmp_path):
    """``ARCHIVIST_TIMESTAMP_RUNS=1``: an ingest ends with a token over its own chain head, logged with the run."""
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / SEEDS[4].name).write_bytes(SEEDS[4].read_bytes())
    monkeypatch.setenv("ARCHIVIST_TSA_URLS", tsa.url)
    monkeypatch.setenv("ARCHIVIST_TIMESTAMP_RUNS", "1")
    arch("ingest", "--no-prefect", str(folder))
    with _db(arch) as con:
        (run_id,) = con.execute("SELECT max(id) FROM runs").fetchone()
        rows = con.execute("SELECT run_id, outcome FROM events WHERE kind = 'timestamped'").fetchall()
    assert rows == [(run_id, "ok")]
    report = arch.json("verify", "--tsa-ca", str(pki.ca_pem))
    assert report["ok"], report["problems"]
