"""One store transaction for many documents (``Archive.store_batch``): an entry the database refuses
comes back as its exception and leaves nothing behind, the others are stored and searchable, on SQLite
and PostgreSQL. New documents are indexed for search in one statement after the batch's last savepoint:
the index holds exactly the stored documents, each under its own id."""

from __future__ import annotations

import pytest
from sqlalchemy import text as sql

from extractors import Hints, extract
from storage import Archive, Provenance
from storage.archive import BatchEntry
from storage.search import search
from storage.works.index import index_keys


def _entry(archive: Archive, name: str, text: str, part_of: int | None = None) -> BatchEntry:
    data = text.encode()
    record = extract(data, Hints(filename=name))
    keys = index_keys(record.text, record.metadata.title)
    return BatchEntry(archive.put_original(data), len(data),
                      Provenance(source=name, source_kind="file", obtained_by="test", part_of=part_of),
                      record=record, keys=(record.metadata.title, keys))


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request, tmp_path):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with Archive.open(tmp_path / "archive", url) as opened:
        yield opened


def test_a_refused_entry_leaves_no_record_and_no_search_entry(archive):
    first = _entry(archive, "first.txt", "Letters from Evin prison, summer 1988. " * 20)
    # a part of a document that does not exist: the foreign key refuses it when its savepoint flushes
    refused = _entry(archive, "orphan.txt", "Testimony of a guard about the corridor. " * 20, part_of=10**6)
    last = _entry(archive, "last.txt", "Names of the cemetery at Khavaran, gathered by mothers. " * 20)
    outcomes = archive.store_batch([first, refused, last])

    assert isinstance(outcomes[1], Exception)
    stored = [o for o in outcomes if not isinstance(o, Exception)]
    assert [o.status for o in stored] == ["stored", "stored"]
    assert {d.source for d in archive.documents()} == {"first.txt", "last.txt"}
    with archive.reading() as session:
        assert [h.source for h in search(session, "Khavaran").hits] == ["last.txt"]
        assert [h.source for h in search(session, "Evin").hits] == ["first.txt"]
        assert search(session, "corridor").hits == []
        # every index entry is a stored document's: none for the refused one's id, none missing
        dialect = archive.engine.dialect.name
        column = "rowid" if dialect == "sqlite" else "document_id"
        indexed = sorted(session.execute(sql(
            f"SELECT {column} FROM documents_fts")).scalars())
    assert indexed == sorted(o.document_id for o in stored)


def test_an_entry_refused_at_its_fetch_row_leaves_the_chain_whole(archive):
    """Refused after its work, document and keys were written in its savepoint (its fetch row has headers
    the database cannot hold): all of it goes, the batch's events (inserted together before the commit)
    have no gap, and the archive verifies."""
    from storage.integrity.fixity import verify

    first = _entry(archive, "first.txt", "Letters from Evin prison, summer 1988. " * 20)
    refused = _entry(archive, "odd.txt", "A statement read at the hearing in The Hague. " * 20)
    refused.prov.headers = {"x-odd": b"\xff not JSON"}  # serialised only when the fetch row is flushed
    last = _entry(archive, "last.txt", "Names of the cemetery at Khavaran, gathered by mothers. " * 20)
    outcomes = archive.store_batch([first, refused, last])

    assert isinstance(outcomes[1], Exception)
    assert [o.status for o in (outcomes[0], outcomes[2])] == ["stored", "stored"]
    with archive.reading() as session:
        rows = session.execute(sql("SELECT id, kind, document_id FROM events ORDER BY id")).all()
    assert [r.id for r in rows] == list(range(1, len(rows) + 1))
    assert {r.document_id for r in rows if r.kind == "stored"} == {outcomes[0].document_id, outcomes[2].document_id}
    report = verify(archive)  # the refused original is kept (the run records it as failed): an orphan here
    assert [(p.kind, p.found) for p in report.problems] == [("orphan-blob", refused.sha256)]


def test_a_document_links_to_the_url_a_document_seen_again_earlier_in_its_batch_arrived_from(archive):
    """Fetch rows of documents seen again are inserted together, but before the next new document's
    citations are resolved: a citation of the URL the same bytes just came from links to them."""
    report = "Report of the commission on the 1988 executions, with the names gathered since. " * 10
    [first] = archive.store_batch([_entry(archive, "report.txt", report)])
    again = _entry(archive, "report.txt", report)
    again = BatchEntry(again.sha256, again.size, Provenance(source="https://example.org/reports/1988",
                       source_kind="url", obtained_by="HTTP GET", final_url="https://example.org/reports/1988"))
    citing = _entry(archive, "statement.md", "A statement on the report.[^1]\n\n"
                    "[^1]: Commission report, https://example.org/reports/1988\n")
    seen, stored = archive.store_batch([again, citing])
    assert (seen.status, seen.document_id) == ("unchanged", first.document_id)
    [note] = archive.document(stored.document_id).footnotes
    assert [c.cited_document_id for c in note.citations] == [first.document_id]


def test_bytes_seen_again_after_their_re_extraction_in_the_same_batch_are_unchanged(archive):
    # bytes that failed before extract now, and arrive once more later in the same batch: the second
    # arrival sees the document as the first left it (stored), not as the batch found it (failed)
    text = "Letter of the families to the commission, summer 1988, asking where the graves are.\n" * 4
    entry = _entry(archive, "letter.txt", text)
    archive.store_failed(entry.sha256, entry.size, entry.prov, "CorruptDocument: not readable then")
    again = BatchEntry(entry.sha256, entry.size, Provenance(source="copy/letter.txt", source_kind="file",
                                                            obtained_by="test"))
    first, second = archive.store_batch([entry, again])
    assert (first.status, second.status) == ("stored", "unchanged")
    assert second.document_id == first.document_id and second.error is None


def test_a_savepoint_rolled_back_after_its_events_takes_the_chain_back_with_it(archive):
    """A batch's events are buffered and the head row moves once, when they go in. The chain's last event
    meanwhile is the last row buffered, so an entry whose savepoint rolls back after appending events
    (its rows cut from the buffer, as ``Archive.store_batch`` does) leaves the next event following the
    last one kept, and the head at the last event inserted."""
    from storage import events
    from storage.database import transaction
    from storage.integrity.fixity import verify

    with transaction(archive.sessions) as session:
        events.lock_head(session)
        rows = events.buffer_events(session)
        try:
            kept = events.append_event(session, "verified", "ok", detail={"entry": 1})
            before = len(rows)
            with pytest.raises(RuntimeError), session.begin_nested():
                events.append_event(session, "verified", "ok", detail={"entry": 2})
                events.append_event(session, "verified", "ok", detail={"entry": 2, "again": True})
                raise RuntimeError("the entry is refused after its events")
            del rows[before:]
            last = events.append_event(session, "verified", "ok", detail={"entry": 3})
            events.insert_buffered(session)
        finally:
            events.stop_buffering(session)
    assert (last.id, last.prev_hash) == (kept.id + 1, kept.hash)
    with archive.reading() as session:
        assert events.chain_head(session) == (last.id, last.hash)
        ids = session.execute(sql("SELECT id FROM events ORDER BY id")).scalars().all()
    assert ids == [kept.id, last.id]
    assert verify(archive).ok


def test_a_text_the_worker_wrote_is_adopted_with_its_fsync_owed_and_one_it_did_not_is_written(archive):
    """An extraction worker writes a record's text blob without fsync. The batch's ``put`` of that text
    finds it in place and adopts it, owing its fsync to the batch's sync (not rewriting it); a text no
    worker wrote the batch writes itself. Either way the recorded text verifies."""
    from storage.blobs import BlobStore, sha256_bytes
    from storage.integrity.fixity import verify

    adopted = _entry(archive, "adopted.txt", "Letters from Evin prison, summer 1988. " * 20)
    worker_store = BlobStore(archive.texts.root)  # the worker's own instance of the same store
    worker_sha = worker_store.put(adopted.record.text.encode("utf-8"), sync=False)
    inode = archive.texts.path(worker_sha).stat().st_ino
    assert not archive.texts.owed
    assert archive.texts.adopt(worker_sha) and archive.texts.owed == (archive.texts.path(worker_sha),)
    archive.texts.sync()
    assert not archive.texts.owed

    missing = _entry(archive, "missing.txt", "Testimony of a guard about the corridor. " * 20)  # no worker wrote it
    outcomes = archive.store_batch([adopted, missing])

    assert [o.status for o in outcomes] == ["stored", "stored"]
    assert archive.texts.path(worker_sha).stat().st_ino == inode
    docs = {d.source: d for d in archive.documents()}
    for name, entry in (("adopted.txt", adopted), ("missing.txt", missing)):
        expected = sha256_bytes(entry.record.text.encode("utf-8"))
        assert docs[name].text_sha256 == expected
        assert archive.texts.get(expected, verify=True) == entry.record.text.encode("utf-8")
    assert not archive.texts.owed  # the batch synced them all before it committed
    assert verify(archive).ok


def test_an_original_a_worker_wrote_is_adopted_and_one_it_did_not_is_written(archive):
    """``Archive.owe_original``: the run's storing process makes sure each new original is in the store
    before its batch records it; a file an extraction worker put is adopted (its fsync owed), not rewritten."""
    from storage.blobs import BlobStore, sha256_bytes

    written, unwritten = b"Minutes of the hearing, July 1988.\n", b"A list of names from Gohardasht.\n"
    worker_sha = BlobStore(archive.blobs.root).put(written, sync=False)
    inode = archive.blobs.path(worker_sha).stat().st_ino
    archive.owe_original(written, worker_sha)
    archive.owe_original(unwritten, sha256_bytes(unwritten))
    assert archive.blobs.path(worker_sha).stat().st_ino == inode
    assert set(archive.blobs.owed) == {archive.blobs.path(worker_sha), archive.blobs.path(sha256_bytes(unwritten))}
    assert archive.blobs.get(sha256_bytes(unwritten), verify=True) == unwritten
    archive.sync_blobs()
    assert not archive.blobs.owed


def test_putting_bytes_another_process_put_without_fsync_owes_their_fsync(tmp_path):
    """``BlobStore.put`` of a blob already in place writes nothing, but owes its fsync (or, with
    ``sync=True``, makes it durable at once): a worker may have put it without fsync, and a record
    stored one at a time (a container's part, a failure) must not name a file that is not durable."""
    from storage.blobs import BlobStore

    worker, storing = BlobStore(tmp_path / "texts"), BlobStore(tmp_path / "texts")
    sha = worker.put(b"The text of an attachment.\n", sync=False)
    assert storing.put(b"The text of an attachment.\n", sync=False) == sha
    assert storing.owed == (storing.path(sha),)
    storing.sync()
    assert storing.put(b"The text of an attachment.\n") == sha and not storing.owed


def test_a_blob_placed_by_another_writer_meanwhile_is_kept_not_replaced(tmp_path):
    """Two writers of one content-addressed file (a worker and the storing process, the same text in two
    documents): the second's ``atomic_write(keep_existing=True)`` keeps the file in place (which may be
    the durable one a record already names) and leaves no temp file; a plain ``atomic_write`` replaces."""
    from storage.blobs import TEMP_PREFIX, atomic_write

    target = tmp_path / "ab" / "cd" / "abcd"
    assert atomic_write(target, [b"first"]) is True
    inode = target.stat().st_ino
    assert atomic_write(target, [b"second"], keep_existing=True) is False
    assert target.read_bytes() == b"first" and target.stat().st_ino == inode
    assert not [p for p in target.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert atomic_write(target, [b"third"]) is True and target.read_bytes() == b"third"
