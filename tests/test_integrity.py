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


def test_an_appended_event_hashes_as_verify_recomputes_it(tmp_path):
    """``append_event`` writes its JSON out by hand (the versions' part made once); verify recomputes it
    from the payload: both must give the same hash, for details of every shape."""
    from storage import Archive, events
    from storage.database import transaction
    from storage.models import Event

    details = [None, {}, {"source": "/tmp/x.txt"}, {"title": "Khavaran — خاوران", "n": 3, "score": 0.1 + 0.2},
               {"nested": {"b": [1, 2.5, None, True], "a": "z"}, "empty": []}, {10: "ten", 9: "nine"},
               {"when": __import__("datetime").date(1988, 7, 19)}]
    archive = Archive.open(tmp_path / "home")
    try:
        with transaction(archive.sessions) as session:
            made = [events.append_event(session, "verified", "ok", detail=d, record_hash="ab" * 32 if i % 2 else None)
                    for i, d in enumerate(details)]
            assert [e.hash for e in made] == [events.compute_hash(e) for e in made]
        with archive.reading() as session:
            stored = session.query(Event).order_by(Event.id).all()
            assert [e.hash for e in stored[-len(made):]] == [events.compute_hash(e) for e in stored[-len(made):]]
    finally:
        archive.close()
