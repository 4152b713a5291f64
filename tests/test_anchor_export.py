"""Signed anchors, BagIt export, repair, and the fixity flow's ``verified`` event."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import bagit
import pytest

from conftest import Cli, SEEDS, copied_archive, seeded_archive

OLD = time.time() - 3 * 86400


@pytest.fixture(scope="module")
def base_home(tmp_path_factory) -> Path:
    """One small ingested archive per module; each test works on its own copy."""
    archive = seeded_archive(tmp_path_factory.mktemp("base"), SEEDS[2:5])
    return archive.home


@pytest.fixture
def arch(base_home, tmp_path) -> Cli:
    return copied_archive(base_home, tmp_path)


def _db(cli: Cli) -> sqlite3.Connection:
    return sqlite3.connect(cli.home / "archive.sqlite3")


def _events(cli: Cli) -> list[tuple[int, str, str]]:
    with _db(cli) as con:
        return con.execute("SELECT id, kind, outcome FROM events ORDER BY id").fetchall()


def _documents(cli: Cli) -> list[dict]:
    """``documents --json``'s rows (the command prints an object with ``documents``; once a bare list)."""
    data = cli.json("documents")["documents"]
    return data["documents"] if isinstance(data, dict) else data


def _blob(cli: Cli, sha: str, store: str = "blobs") -> Path:
    return cli.home / store / sha[:2] / sha[2:4] / sha


# -- anchor ----------------------------------------------------------------

def test_anchor_signs_the_head_and_checks(arch, tmp_path):
    head = arch.json("verify")["head_hash"]
    out = tmp_path / "kept-elsewhere" / "anchor.json"
    data = arch.json("anchor", "--out", str(out))
    assert out.is_file() and data["anchor"]["head_hash"] == head
    assert data["anchor"]["counts"]["documents"] == 3
    key = arch.home / "anchor-ed25519.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (arch.home / "anchor-ed25519.pub").is_file()
    assert _events(arch)[-1][1] == "anchored"

    arch("ingest", "--no-prefect", str(SEEDS[0]))  # history goes on after the anchor
    check = arch.json("anchor", "--check", str(out))
    assert check["ok"] and check["signature_ok"] and check["chain_ok"] and check["events_since"] > 1
    assert "OK" in arch("anchor", "--check", str(out)).output


def test_anchor_check_fails_after_an_early_event_is_edited(arch, tmp_path):
    out = tmp_path / "anchor.json"
    arch("anchor", "--out", str(out))
    with _db(arch) as con:
        con.execute("UPDATE events SET outcome = 'failed' WHERE id = 2")
    check = arch.json("anchor", "--check", str(out), expect=1)
    assert check["signature_ok"] and not check["chain_ok"]
    assert any("event 2" in p for p in check["problems"])


def test_anchor_check_fails_when_history_was_rewritten_consistently(arch, tmp_path):
    """Re-hashing every later event fools verify, not the anchor kept elsewhere."""
    from sqlalchemy import select

    from storage import Archive
    from storage.events import compute_hash
    from storage.models import ChainHead, Event

    out = tmp_path / "anchor.json"
    arch("anchor", "--out", str(out))
    with Archive.open(arch.home) as archive, archive.sessions() as session, session.begin():
        prev = None
        for event in session.scalars(select(Event).order_by(Event.id)):
            if event.id == 3:
                event.outcome = "rewritten"
            if prev is not None:
                event.prev_hash = prev
            event.hash = compute_hash(event)
            prev = event.hash
        session.get(ChainHead, 1).hash = prev
    assert arch.json("verify")["ok"]  # a consistent rewrite passes verify...
    check = arch.json("anchor", "--check", str(out), expect=1)  # ...but not the anchor
    assert check["signature_ok"] and not check["chain_ok"]
    assert any("rewritten" in p for p in check["problems"])


def test_altered_anchor_file_or_foreign_key_fails(arch, tmp_path):
    out = tmp_path / "anchor.json"
    arch("anchor", "--out", str(out))
    data = json.loads(out.read_text())
    data["anchor"]["counts"]["documents"] = 99
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    check = arch.json("anchor", "--check", str(forged), expect=1)
    assert not check["signature_ok"] and check["chain_ok"]

    other_key = tmp_path / "other.key"
    other = tmp_path / "other.json"
    arch("anchor", "--out", str(other), "--key", str(other_key))
    assert (tmp_path / "other.pub").is_file()
    check = arch.json("anchor", "--check", str(other), expect=1)  # trusted: the archive's own key
    assert any("not by the trusted key" in p for p in check["problems"])
    assert arch.json("anchor", "--check", str(other), "--key", str(tmp_path / "other.pub"))["ok"]


def test_signing_key_readable_by_others_is_refused(arch, tmp_path):
    arch("anchor", "--out", str(tmp_path / "a.json"))
    os.chmod(arch.home / "anchor-ed25519.key", 0o644)
    result = arch("anchor", "--out", str(tmp_path / "b.json"), expect=1)
    assert "chmod 600" in result.output


# -- export ----------------------------------------------------------------

def test_export_writes_a_valid_bag_and_logs_it(arch, tmp_path):
    bag_dir = tmp_path / "bag"
    docs = _documents(arch)
    events_before = len(_events(arch))
    result = arch.json("export", str(bag_dir))
    assert result["documents"] == 3 and result["events"] == events_before
    data = bag_dir / "data"
    for doc in docs:
        assert (data / "originals" / f"{doc['sha256']}.txt").read_bytes() == _blob(arch, doc["sha256"]).read_bytes()
        record = json.loads((data / "records" / f"{doc['id']}.json").read_text())
        assert record["sha256"] == doc["sha256"] and "footnotes" in record and record["fetches"]
        text = (data / "texts" / f"{doc['id']}.txt").read_text(encoding="utf-8")
        assert text == arch.json("show", str(doc["id"]))["text"]
    lines = (data / "events.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == list(range(1, events_before + 1))
    assert "exported" in [kind for _id, kind, _outcome in _events(arch)[events_before:]]
    assert arch.json("verify")["ok"]

    bagit.Bag(str(bag_dir)).validate()
    proc = subprocess.run([sys.executable, shutil.which("bagit.py") or "bagit.py", "--validate", "--quiet",
                           str(bag_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr

    original = next((data / "originals").iterdir())
    raw = bytearray(original.read_bytes())
    raw[len(raw) // 3] ^= 0x01
    original.write_bytes(bytes(raw))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_dir)).validate()
    proc = subprocess.run([sys.executable, shutil.which("bagit.py") or "bagit.py", "--validate", "--quiet",
                           str(bag_dir)], capture_output=True, text=True)
    assert proc.returncode != 0


def test_export_narrowed_to_one_work_or_a_date(arch, tmp_path):
    docs = _documents(arch)
    work = docs[1]["work_id"]
    result = arch.json("export", str(tmp_path / "one"), "--work", str(work))
    members = [d for d in docs if d["work_id"] == work]
    assert result["documents"] == len(members)
    names = sorted(p.name for p in (tmp_path / "one" / "data" / "records").iterdir())
    assert names == sorted(f"{d['id']}.json" for d in members)
    for line in (tmp_path / "one" / "data" / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        assert event["document_id"] in {d["id"] for d in members} or event["work_id"] == work
    bagit.Bag(str(tmp_path / "one")).validate()

    assert arch.json("export", str(tmp_path / "none"), "--since", "2999-01-01")["documents"] == 0
    assert arch.json("export", str(tmp_path / "all"), "--since", "2000-01-01")["documents"] == 3
    arch("export", str(tmp_path / "all"), expect=1)  # not empty any more
    arch("export", str(tmp_path / "x"), "--since", "yesterday-ish", expect=1)


def test_export_refuses_damaged_originals(arch, tmp_path):
    doc = _documents(arch)[0]
    blob = _blob(arch, doc["sha256"])
    blob.write_bytes(blob.read_bytes() + b"!")
    result = arch("export", str(tmp_path / "bag"), expect=1)
    assert "does not hash" in result.output and not (tmp_path / "bag").exists()


def test_bag_names_are_sanitized():
    from storage.integrity.export import ExportError, bag_path, safe_ext, safe_name

    for nasty in ["../../etc/passwd", "/abs/path", "a\x00b\nc", "..", ".hidden", "x" * 500, "C:\\win\\evil.exe",
                  "ok name (1).pdf", "\u202eevil\u202dtxt.exe"]:
        name = safe_name(nasty)
        assert name and "/" not in name and "\\" not in name and ".." not in name and not name.startswith(".")
        assert len(name) <= 120 and all(32 < ord(c) < 127 for c in name)
    assert safe_ext("/x/report.PDF") == ".pdf"
    assert safe_ext("https://h/a/file.HtMl?x=../../y#z") == ".html"
    assert safe_ext("../../etc/passwd") == ""
    assert safe_ext("evil.\x00sh/../..") == ""
    assert safe_ext("no-extension", "pdf") == ".pdf"
    assert safe_ext("weird.abcdefghijklmnopqrstuvwxyz", None, "text/plain") == ".txt"
    assert safe_ext("a.t\u0301xt") == ".txt"
    with pytest.raises(ExportError):
        bag_path("originals", "..", "x")
    with pytest.raises(ExportError):
        bag_path("/etc/passwd")


# -- repair ----------------------------------------------------------------

def test_repair_removes_old_orphans_and_leaves_young_ones(arch):
    from storage.blobs import BlobStore

    store = BlobStore(arch.home / "blobs")
    old = store.path(store.put(b"bytes an interrupted run kept long ago"))
    young = store.path(store.put(b"bytes an ingest is about to record"))
    os.utime(old, (OLD, OLD))
    tmp = old.parent / ".tmp-leftover"
    tmp.write_bytes(b"partial")
    os.utime(tmp, (OLD, OLD))

    dry = arch.json("repair", "--dry-run", expect=1)
    assert {a["kind"] for a in dry["actions"]} == {"removed-orphan", "removed-temp"}
    assert old.exists() and tmp.exists()

    report = arch.json("repair", expect=1)  # the young orphan is still there
    assert not old.exists() and not tmp.exists() and young.exists()
    assert [u["kind"] for u in report["unresolved"]] == ["orphan-blob"]
    assert "grace" in report["unresolved"][0]["advice"]
    assert _events(arch)[-1][1:] == ("repaired", "partial")

    assert arch.json("repair", "--grace", "0")["ok"]
    assert not young.exists() and arch.json("verify")["ok"]


def test_orphan_texts_are_noted_by_verify_and_quarantined_by_repair(arch):
    """A text an extraction worker wrote for a record an interrupted run never stored: verify notes it
    (a derived file, nothing lost: still ok), repair moves it to the quarantine once it is old enough."""
    from storage.blobs import BlobStore

    texts = BlobStore(arch.home / "texts")
    old = texts.path(texts.put("A text extracted by a run that was killed before it stored the record.".encode()))
    young = texts.path(texts.put("A text an ingest is about to record.".encode()))
    os.utime(old, (OLD, OLD))
    report = arch.json("verify")
    assert report["ok"] and report["problems"] == []
    assert sorted(n["path"] for n in report["notes"] if n["kind"] == "orphan-text") == sorted([str(old), str(young)])
    assert "NOTE orphan-text" in arch("verify").output

    dry = arch.json("repair", "--dry-run", expect=1)
    assert [a["kind"] for a in dry["actions"]] == ["removed-orphan-text"] and old.exists()
    report = arch.json("repair", expect=1)  # the young one waits for the grace period
    assert not old.exists() and young.exists()
    assert [a["kind"] for a in report["actions"]] == ["removed-orphan-text"]
    assert (Path(report["actions"][0]["moved_to"])).read_bytes().startswith(b"A text extracted by a run")
    assert [u["kind"] for u in report["unresolved"]] == ["orphan-text"] and "grace" in report["unresolved"][0]["advice"]
    assert arch.json("repair", "--grace", "0")["ok"] and not young.exists()
    assert not [n for n in arch.json("verify")["notes"] if n["kind"] == "orphan-text"]
    shown = {d["id"]: arch.json("show", str(d["id"]))["text_sha256"] for d in _documents(arch)}
    assert all(_blob(arch, sha, "texts").exists() for sha in shown.values() if sha)  # the records' texts stay


def test_repair_says_clearly_when_an_original_is_lost_and_restores_it_from_a_bag(arch, tmp_path):
    arch("export", str(tmp_path / "bag"))
    doc = _documents(arch)[1]
    _blob(arch, doc["sha256"]).unlink()
    result = arch("repair", expect=1)
    assert "NOTHING in this archive can restore" in result.output and doc["sha256"] in result.output
    report = arch.json("repair", "--from", str(tmp_path / "bag"))
    assert [a["kind"] for a in report["actions"]] == ["adopted"]
    assert arch.json("verify")["ok"]


def test_repair_restores_texts_and_adopts_misplaced_blobs(arch):
    docs = _documents(arch)
    text_sha = arch.json("show", str(docs[0]["id"]))["text_sha256"]
    _blob(arch, text_sha, "texts").write_text("damaged")
    sha = docs[2]["sha256"]
    misplaced = arch.home / "blobs" / "zz" / "zz" / sha
    misplaced.parent.mkdir(parents=True)
    _blob(arch, sha).rename(misplaced)
    assert {p["kind"] for p in arch.json("verify", expect=1)["problems"]} == {"checksum-mismatch", "missing-blob"}
    report = arch.json("repair")
    assert sorted(a["kind"] for a in report["actions"]) == ["adopted", "restored-text"]
    assert arch.json("verify")["ok"]


def test_repair_keeps_the_bytes_of_a_deleted_record(arch):
    doc = _documents(arch)[0]
    with _db(arch) as con:
        con.execute("PRAGMA foreign_keys=OFF")
        for table in ("footnote_markers", "citation_identifiers", "citations"):
            con.execute(f"DELETE FROM {table}")
        con.execute("DELETE FROM footnotes WHERE document_id = ?", (doc["id"],))
        con.execute("DELETE FROM document_identifiers WHERE document_id = ?", (doc["id"],))
        con.execute("DELETE FROM documents WHERE id = ?", (doc["id"],))
    os.utime(_blob(arch, doc["sha256"]), (OLD, OLD))
    problems = arch.json("verify", expect=1)["problems"]
    assert {"record-missing", "orphan-blob"} <= {p["kind"] for p in problems}
    report = arch.json("repair", expect=1)
    assert _blob(arch, doc["sha256"]).exists()
    assert any(a["kind"] == "kept-orphan" for a in report["actions"])


# -- fixity ----------------------------------------------------------------

def test_record_verification_appends_a_verified_event(arch):
    from storage import Archive
    from storage.integrity.fixity import record_verification, verify

    with Archive.open(arch.home) as archive:
        report = verify(archive)
        event_id = record_verification(archive, report)
    last = _events(arch)[-1]
    assert last == (event_id, "verified", "ok")
    doc = _documents(arch)[0]
    _blob(arch, doc["sha256"]).write_bytes(b"flipped")
    with Archive.open(arch.home) as archive:
        record_verification(archive, verify(archive))
    with _db(arch) as con:
        outcome, detail = con.execute("SELECT outcome, detail FROM events ORDER BY id DESC LIMIT 1").fetchone()
    detail = json.loads(detail)
    assert outcome == "problems" and detail["problems"] == 1
    assert detail["problem_kinds"] == {"checksum-mismatch": 1}
    assert detail["first_problems"][0]["document_id"] == doc["id"]
    assert arch.json("verify", expect=1)["problems"][0]["kind"] == "checksum-mismatch"  # chain still intact


def test_fixity_flow_records_its_outcome(arch, prefect_harness):
    from flows.prefect.fixity import fixity_flow

    result = fixity_flow(home=str(arch.home))
    assert result["ok"] and _events(arch)[-1] == (result["event_id"], "verified", "ok")
    assert arch.json("verify")["ok"]


# -- WACZ of the web captures ------------------------------------------------

WEB_PAGE = (b"<!doctype html><html><head><title>Statement on the 1988 executions</title></head><body>"
            b"<h1>Statement</h1><p>" + b"The families ask for the truth about the prison massacres. " * 20
            + b"</p></body></html>")


@pytest.fixture
def fetched(tmp_path):
    """An archive holding two pages and a PDF fetched from a real server on loopback."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        server.expect_request("/statement").respond_with_data(WEB_PAGE, content_type="text/html; charset=utf-8")
        server.expect_request("/update").respond_with_data(WEB_PAGE.replace(b"Statement", b"Update"),
                                                           content_type="text/html; charset=utf-8")
        server.expect_request("/report.pdf").respond_with_data(
            (Path(__file__).parent / "fixtures" / "pdf" / "evictions_odt.pdf").read_bytes(),
            content_type="application/pdf")
        cli = Cli(tmp_path / "archive")
        urls = [server.url_for(p) for p in ("/statement", "/update", "/report.pdf")]
        cli("ingest", "--no-prefect", *urls)
        yield cli, urls
    finally:
        server.clear()
        server.stop()


def test_wacz_of_fetched_pages_passes_wacz_validate(fetched, tmp_path):
    import zipfile

    cli, urls = fetched
    out = tmp_path / "captures.wacz"
    result = cli.json("export", "--wacz", str(out))
    assert result["captures"] == 3 and not result["missing"]
    # the validator of the wacz package, as its own command line runs it
    done = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "valid" in done.stdout, done.stdout + done.stderr
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
        index = z.read("indexes/index.cdx.gz")
    assert sum(n.startswith("archive/") for n in names) == 3 and "datapackage.json" in names
    assert {p["url"] for p in pages} == set(urls)  # every fetched item is on the replay's page list
    titles = {p["url"]: p["title"] for p in pages}
    assert titles[urls[0]] == "Statement on the 1988 executions" and all(p.get("ts") for p in pages)
    assert index
    kind, detail = _last_event(cli)
    assert kind == "exported" and detail["format"] == "wacz" and detail["captures"] == 3
    assert "sha256" in detail and detail["sha256"] == result["sha256"]


def test_wacz_names_a_missing_capture_and_refuses_an_archive_without_any(fetched, tmp_path):
    cli, _urls = fetched
    with _db(cli) as con:
        (rel,) = con.execute("SELECT warc_path FROM fetches ORDER BY id LIMIT 1").fetchone()
    (cli.home / rel).unlink()
    result = cli.json("export", "--wacz", str(tmp_path / "two.wacz"))
    assert result["captures"] == 2 and result["missing"] == [rel]
    empty = Cli(tmp_path / "files-only")
    empty("ingest", "--no-prefect", str(SEEDS[0]))
    refused = empty("export", "--wacz", str(tmp_path / "none.wacz"), expect=1)
    assert "no web captures" in refused.output


def _last_event(cli: Cli) -> tuple[str, dict]:
    with _db(cli) as con:
        kind, detail = con.execute("SELECT kind, detail FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return kind, json.loads(detail)
