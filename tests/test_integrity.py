"""verify catches altered bytes, edited records and broken event chains."""

from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import SEEDS


@pytest.fixture
def small(cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for seed in SEEDS[2:5]:
        (folder / seed.name).write_bytes(seed.read_bytes())
    cli("ingest", "--no-prefect", str(folder))
    return cli


def _db(cli) -> sqlite3.Connection:
    return sqlite3.connect(cli.home / "archive.sqlite3")


def _problems(cli) -> list[dict]:
    report = cli.json("verify", expect=1)
    assert report["ok"] is False
    return report["problems"]


def test_clean_archive_verifies(small):
    report = small.json("verify")
    assert report["ok"] and report["documents"] == 3 and report["events"] > 0
    assert len(report["head_hash"]) == 64


def test_flipped_byte_in_an_original_is_named(small):
    doc = small.json("documents")["documents"][1]
    blob = small.home / "blobs" / doc["sha256"][:2] / doc["sha256"][2:4] / doc["sha256"]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    problems = _problems(small)
    assert [(p["kind"], p["document_id"], p["field"]) for p in problems] == [
        ("checksum-mismatch", doc["id"], "original")]
    assert problems[0]["expected"] == doc["sha256"] and problems[0]["found"] != doc["sha256"]


def test_missing_blob_is_named(small):
    doc = small.json("documents")["documents"][0]
    (small.home / "blobs" / doc["sha256"][:2] / doc["sha256"][2:4] / doc["sha256"]).unlink()
    problems = _problems(small)
    assert [(p["kind"], p["document_id"]) for p in problems] == [("missing-blob", doc["id"])]


def test_title_edited_with_sql_is_named(small):
    doc = small.json("documents")["documents"][2]
    with _db(small) as con:
        con.execute("UPDATE documents SET title = 'Something else' WHERE id = ?", (doc["id"],))
    problems = _problems(small)
    assert len(problems) == 1
    assert problems[0]["kind"] == "record-altered" and problems[0]["document_id"] == doc["id"]
    assert problems[0]["field"] == "title"


def test_a_version_number_edited_with_sql_is_named_against_its_grouping_event(small):
    doc = small.json("documents")["documents"][1]
    with _db(small) as con:
        con.execute("UPDATE documents SET version = 99, relation = 'revision' WHERE id = ?", (doc["id"],))
    problems = _problems(small)
    assert sorted((p["kind"], p["document_id"], p["field"]) for p in problems if p["kind"] == "grouping-altered") \
        == [("grouping-altered", doc["id"], "relation"), ("grouping-altered", doc["id"], "version")]
    assert {p["found"] for p in problems if p["field"] == "version"} == {"99"}


def test_footnote_edited_with_sql_is_named(small):
    with _db(small) as con:
        doc_id, = con.execute("SELECT document_id FROM footnotes ORDER BY id LIMIT 1").fetchone()
        con.execute("UPDATE footnotes SET text = text || ' (edited)' WHERE id = (SELECT min(id) FROM footnotes)")
    problems = _problems(small)
    assert [(p["kind"], p["document_id"], p["field"]) for p in problems] == [
        ("record-altered", doc_id, "footnotes")]


def test_deleted_event_breaks_the_chain_where_it_was(small):
    with _db(small) as con:
        con.execute("DELETE FROM events WHERE id = 5")
    problems = _problems(small)
    breaks = [p for p in problems if p["kind"] == "chain-break"]
    assert breaks and breaks[0]["event_id"] == 6


def test_edited_event_is_named(small):
    with _db(small) as con:
        con.execute("UPDATE events SET outcome = 'ok!' WHERE id = 3")
    problems = _problems(small)
    assert any(p["kind"] == "event-altered" and p["event_id"] == 3 for p in problems)


def test_reordered_events_break_the_chain(small):
    with _db(small) as con:
        con.execute("UPDATE events SET id = -1 WHERE id = 3")
        con.execute("UPDATE events SET id = 3 WHERE id = 4")
        con.execute("UPDATE events SET id = 4 WHERE id = -1")
    kinds = {p["kind"] for p in _problems(small)}
    assert "event-altered" in kinds or "chain-break" in kinds


def test_orphan_blob_is_reported(small):
    from storage.blobs import BlobStore

    BlobStore(small.home / "blobs").put(b"bytes nobody recorded")
    problems = _problems(small)
    assert [p["kind"] for p in problems] == ["orphan-blob"]


def test_verify_json_names_head(small):
    report = json.loads(small("verify", "--json").stdout)
    assert report["head_id"] == report["events"]


@pytest.mark.parametrize("buffered", [False, True], ids=["one-by-one", "buffered"])
def test_an_appended_event_hashes_as_verify_recomputes_it(tmp_path, buffered):
    """The hash ``append_event`` writes is the one verify recomputes from the stored row, for details of
    every shape (after the round trip through the database's JSON column), whether the event goes in
    as an ORM object or as a row of a batch's one insert (``buffer_events``)."""
    from storage import Archive, events
    from storage.database import transaction
    from storage.models import Event

    details = [None, {}, {"source": "/tmp/x.txt"}, {"title": "Khavaran — خاوران", "n": 3, "score": 0.1 + 0.2},
               {"nested": {"b": [1, 2.5, None, True], "a": "z"}, "empty": []}, {10: "ten", 9: "nine"},
               {"when": __import__("datetime").date(1988, 7, 19)}]
    archive = Archive.open(tmp_path / "home")
    try:
        with transaction(archive.sessions) as session:
            if buffered:
                events.buffer_events(session)
            made = [events.append_event(session, "verified", "ok", detail=d, record_hash="ab" * 32 if i % 2 else None)
                    for i, d in enumerate(details)]
            if buffered:
                events.insert_buffered(session)
                events.stop_buffering(session)
        with archive.reading() as session:
            stored = session.query(Event).order_by(Event.id).all()[-len(made):]
            assert [e.hash for e in stored] == [e.hash for e in made]
            assert [e.hash for e in stored] == [events.compute_hash(e) for e in stored]
    finally:
        archive.close()


def _old_strays(root):
    """The definition: every file ``os.walk`` lists that is not a file named by its hash at its place."""
    import os
    import re
    from pathlib import Path

    found = []
    for folder, _dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root).split(os.sep) if folder != str(root) else []
        for name in files:
            path = Path(folder, name)
            if not (len(rel) == 2 and re.fullmatch(r"[0-9a-f]{64}", name) and rel == [name[:2], name[2:4]]
                    and path.is_file()):
                found.append(path)
    return sorted(found)


def test_a_store_survey_finds_the_blobs_at_their_place_and_every_other_file(tmp_path):
    import hashlib

    from storage.blobs import BlobStore

    store = BlobStore(tmp_path / "blobs")
    shas = [store.put(f"document {i}".encode()) for i in range(5)]
    root = store.root
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f").write_bytes(b"linked")
    linked = hashlib.sha256(b"linked").hexdigest()
    (root / linked[:2] / linked[2:4]).mkdir(parents=True, exist_ok=True)
    (root / linked[:2] / linked[2:4] / linked).symlink_to(outside / "f")  # a link to a file: at its place
    misplaced = hashlib.sha256(b"misplaced").hexdigest()
    (root / shas[0][:2] / shas[0][2:4] / misplaced).write_bytes(b"misplaced")
    (root / shas[1][:2] / shas[1][2:4] / shas[1].upper()).write_bytes(b"upper case")
    (root / shas[1][:2] / shas[1][2:4] / ".tmp-abc").write_bytes(b"partial")
    (root / "README").write_text("not a blob")
    deep = root / shas[2][:2] / shas[2][2:4] / "deeper"
    deep.mkdir()
    (deep / shas[2]).write_bytes(b"one level too deep")
    (root / shas[3][:2] / "dangling").symlink_to(tmp_path / "nothing")
    (root / "folder-link").symlink_to(outside, target_is_directory=True)  # not followed

    placed, strays = store.survey()
    assert sorted(placed) == sorted(shas + [linked])
    assert strays == _old_strays(root) == list(store.strays())
    assert {p.name for p in strays} == {misplaced, shas[1].upper(), ".tmp-abc", "README", shas[2], "dangling"}


def test_verify_names_each_bad_file_among_many_hashed_in_jobs(tmp_path):
    """Files are hashed many to a job: a changed and a missing file in the middle of a job are each named
    with their document, and every file's bytes are counted once."""
    from storage import Archive, events
    from storage.database import transaction
    from storage.integrity import fixity
    from storage.models import Document, Work, utcnow
    from storage.records import field_hashes, record_hash

    count = 3 * fixity.HASH_JOB_FILES + 5
    archive = Archive.open(tmp_path / "home")
    try:
        ids = {}
        with transaction(archive.sessions) as session:
            for i in range(count):
                data = f"record {i} ".encode() * (i + 1)
                sha = archive.put_original(data)
                work = Work(title=f"w{i}")
                session.add(work)
                session.flush()
                doc = Document(sha256=sha, size=len(data), media_type="text/plain", source=f"test://{i}",
                               source_kind="file", obtained_at=utcnow(), obtained_by="test", status="stored",
                               blob_path=archive.blobs.relpath(sha), work_id=work.id, authors=[],
                               metadata_json={}, warnings=[], version=1, relation="original")
                session.add(doc)
                session.flush()
                events.append_event(session, "stored", "ok", document_id=doc.id, work_id=work.id,
                                    detail={"fields": field_hashes(doc)}, record_hash=record_hash(doc))
                ids[i] = (doc.id, sha, len(data))
        clean = fixity.verify(archive)
        assert clean.ok and clean.blobs_hashed == count
        assert clean.bytes_hashed == sum(size for _id, _sha, size in ids.values())
        changed, missing = ids[fixity.HASH_JOB_FILES + 7], ids[2 * fixity.HASH_JOB_FILES + 1]
        archive.blobs.path(changed[1]).write_bytes(b"altered")
        archive.blobs.path(missing[1]).unlink()
        report = fixity.verify(archive)
        assert sorted((p.kind, p.document_id) for p in report.problems) == sorted(
            [("checksum-mismatch", changed[0]), ("missing-blob", missing[0])])
        assert report.bytes_hashed == clean.bytes_hashed - changed[2] + len(b"altered") - missing[2]
    finally:
        archive.close()


def test_large_files_are_hashed_in_jobs_of_their_own(tmp_path):
    """A job closes at ``HASH_JOB_BYTES`` of declared sizes, so large files are hashed side by side."""
    from concurrent.futures import ThreadPoolExecutor

    from storage.blobs import BlobStore
    from storage.integrity.fixity import HASH_JOB_BYTES, HASH_JOB_FILES, _Hasher

    store = BlobStore(tmp_path / "blobs")
    shas = [store.put(bytes([i]) * 100) for i in range(8)]
    with ThreadPoolExecutor(2) as pool:
        hasher = _Hasher(pool, store)
        for sha in shas:
            hasher.submit(sha, HASH_JOB_BYTES // 2)
        small = [store.put(bytes([i]) * 10) for i in range(10, 10 + 2 * HASH_JOB_FILES)]
        for sha in small:
            hasher.submit(sha)
        jobs = {id(job) for job in hasher.jobs.values() if job is not None}
        assert len(jobs) == 4 + 2  # two large files a job, then full jobs of small ones
        assert [hasher.result(sha) for sha in shas + small] == [(sha, 100) for sha in shas] + [
            (sha, 10) for sha in small]
        assert hasher.bytes_hashed() == 800 + 10 * len(small)
