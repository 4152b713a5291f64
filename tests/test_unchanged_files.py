"""A re-run does not read again a large file whose status is the one recorded when its bytes were archived.

The status is the file's device, inode, size, modification and change times
(``flows.fetching.files.file_status``). The change time is what makes it
safe: a rewrite that keeps the size and sets the modification time back still
moves it. Files changed within ``RACY_WINDOW_S`` of being read get no status,
so these tests wait that long where they need a status recorded. Files under
``ASK_MIN_BYTES`` are read all the same (cheaper than looking them up).

Whether the ingest read a file is measured, not assumed: ``rchar`` of
``/proc/self/io`` counts every byte this process read, and the large file is
an 8 MB page (the CLI runs in this process; extraction workers are other processes).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import sqlite3
import time
from pathlib import Path

from conftest import SEEDS, Cli
from flows.fetching.files import ASK_MIN_BYTES, RACY_WINDOW_S, file_status, keeps_change_times

BIG = 8_000_000


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def _big_page(folder: Path) -> Path:
    """An 8 MB page: a report's text (a seed's paragraphs) and a large comment."""
    filler = base64.b64encode(os.urandom(BIG * 3 // 4)).decode()
    paragraphs = [p.strip() for p in SEEDS[0].read_text(encoding="utf-8").split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    path = folder / "annex.html"
    path.write_text("<!doctype html><html><head><meta charset=\"utf-8\"><title>Annex of the report</title></head>"
                    f"<body><article><h1>Annex of the report</h1><p>The commission heard the families in 2019."
                    f"</p>{body}</article><!-- {filler} --></body></html>", encoding="utf-8")
    return path


def _folder(root: Path, seeds: int = 2) -> tuple[Path, Path]:
    folder = root / "inbox"
    folder.mkdir()
    for seed in SEEDS[:seeds]:
        (folder / seed.name).write_bytes(seed.read_bytes())
    return folder, _big_page(folder)


def _settle() -> None:
    """Wait until every file just written is older than the racy window (its status can be recorded)."""
    time.sleep(RACY_WINDOW_S + 0.2)


def _counts(result: dict) -> dict[str, int]:
    return {k: v for k, v in result["counts"].items() if v}


def _last_run_events(home: Path) -> dict[str, tuple[str, dict]]:
    """source -> (kind, detail) of the last run's document events."""
    with sqlite3.connect(home / "archive.sqlite3") as db:
        run_id = db.execute("SELECT max(id) FROM runs").fetchone()[0]
        rows = db.execute("SELECT kind, detail FROM events WHERE run_id = ? AND document_id IS NOT NULL "
                          "AND kind IN ('stored', 'seen-again') ORDER BY id", (run_id,))
        return {json.loads(detail)["source"]: (kind, json.loads(detail)) for kind, detail in rows}


def _last_run_etags(home: Path) -> dict[str, str | None]:
    with sqlite3.connect(home / "archive.sqlite3") as db:
        return dict(db.execute("SELECT source, etag FROM fetches WHERE run_id = (SELECT max(id) FROM runs)"))


def _last_run_custody(home: Path) -> dict[str, dict]:
    with sqlite3.connect(home / "archive.sqlite3") as db:
        return {source: json.loads(c)["file"] for source, c in db.execute(
            "SELECT source, custody FROM fetches WHERE run_id = (SELECT max(id) FROM runs)")}


def test_a_large_file_unchanged_since_it_was_archived_is_not_read_again(tmp_path, monkeypatch):
    folder, big = _folder(tmp_path)
    assert all(p.stat().st_size < ASK_MIN_BYTES for p in folder.iterdir() if p != big)
    _settle()
    cli = Cli(tmp_path / "archive")
    first = cli.json("ingest", "--no-prefect", str(folder))
    assert first["counts"]["stored"] + first["counts"]["new_version"] == 3
    statuses = _last_run_etags(cli.home)
    assert statuses[str(big)].startswith("file:")
    assert [v for s, v in statuses.items() if s != str(big)] == [None, None]  # small files are read anyway

    before = _bytes_read()
    again = cli.json("ingest", "--no-prefect", str(folder))
    read = _bytes_read() - before
    assert _counts(again) == {"unchanged": 3}
    assert read < BIG // 2, f"the re-run read {read} bytes: the unchanged page was read again"
    events = _last_run_events(cli.home)
    kind, detail = events[str(big)]
    assert kind == "seen-again" and statuses[str(big)] in detail["not_read"]
    # the small files were read and hashed: cheaper than asking the archive about them
    assert [("not_read" in d) for s, (_, d) in sorted(events.items()) if s != str(big)] == [False, False]
    assert _last_run_etags(cli.home) == statuses  # the statuses go on: the next run compares them again
    custody = _last_run_custody(cli.home)
    assert custody[str(big)]["read"] is False and all("read" not in c for s, c in custody.items() if s != str(big))
    [doc_id] = [o["id"] for o in first["outcomes"] if o["source"] == str(big)]
    shown = cli("show", str(doc_id)).stdout
    assert shown.count(f"status {statuses[str(big)]}") == 2 and "ETag" not in shown  # both fetches, by status
    with sqlite3.connect(cli.home / "archive.sqlite3") as db:  # nothing was made of the empty bytes
        assert db.execute("SELECT count(*) FROM documents WHERE size = 0 OR sha256 = ?",
                          (hashlib.sha256(b"").hexdigest(),)).fetchone() == (0,)

    before = _bytes_read()
    reread = cli.json("ingest", "--no-prefect", "--reread", str(folder))
    assert _bytes_read() - before >= BIG
    assert _counts(reread) == {"unchanged": 3}
    assert "not_read" not in _last_run_events(cli.home)[str(big)][1]

    monkeypatch.setenv("ARCHIVIST_REREAD_FILES", "1")
    before = _bytes_read()
    assert _counts(cli.json("ingest", "--no-prefect", str(folder))) == {"unchanged": 3}
    assert _bytes_read() - before >= BIG
    assert "not_read" not in _last_run_events(cli.home)[str(big)][1]


def test_a_file_rewritten_with_its_size_and_modification_time_kept_is_read_again(tmp_path):
    folder, big = _folder(tmp_path, seeds=0)
    _settle()
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", str(folder))
    old = big.stat()
    data = big.read_bytes()
    # one digit changed: the same size; then the modification time set back to what it was
    big.write_bytes(data.replace(b"in 2019.", b"in 2018.", 1))
    os.utime(big, ns=(old.st_atime_ns, old.st_mtime_ns))
    now = big.stat()
    assert (now.st_size, now.st_mtime_ns, now.st_ino) == (old.st_size, old.st_mtime_ns, old.st_ino)
    _settle()  # not racy any more: only its change time tells

    result = cli.json("ingest", "--no-prefect", str(folder))
    assert _counts(result) == {"new_version": 1}
    kind, detail = _last_run_events(cli.home)[str(big)]
    assert kind == "stored" and "not_read" not in detail


def test_a_file_changed_within_the_racy_window_gets_no_status_and_is_read_next_time(tmp_path):
    folder, big = _folder(tmp_path, seeds=0)
    soon = time.time() + 3600  # a modification time ahead of the clock: as racy as one a moment ago
    os.utime(big, (soon, soon))
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", str(folder))
    assert _last_run_etags(cli.home) == {str(big): None}

    os.utime(big, (soon - 7200, soon - 7200))
    _settle()
    cli("ingest", "--no-prefect", str(folder))
    kind, detail = _last_run_events(cli.home)[str(big)]
    assert kind == "seen-again" and "not_read" not in detail  # read: there was no status to trust
    assert _last_run_etags(cli.home)[str(big)].startswith("file:")  # recorded now that it is settled


def test_an_original_gone_from_the_store_is_read_again_and_put_back(tmp_path):
    folder, big = _folder(tmp_path, seeds=0)
    _settle()
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", str(folder))
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    blob = cli.home / "blobs" / sha[:2] / sha[2:4] / sha
    blob.unlink()

    cli("ingest", "--no-prefect", str(folder))
    kind, detail = _last_run_events(cli.home)[str(big)]
    assert kind == "seen-again" and "not_read" not in detail
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha
    assert cli("verify").exit_code == 0


def test_statuses_are_kept_only_on_file_systems_that_keep_change_times(tmp_path):
    big = _big_page(tmp_path)
    later = time.time() + 60  # out of the racy window
    assert keeps_change_times(big.stat().st_dev) and file_status(big.stat(), later).startswith("file:")
    proc = os.stat("/proc/self/status")  # procfs: not a file system whose times stand for bytes
    assert not keeps_change_times(proc.st_dev) and file_status(proc, later) is None


def test_a_file_that_failed_is_read_and_extracted_again_whatever_its_status(tmp_path, monkeypatch):
    folder, big = _folder(tmp_path, seeds=0)
    _settle()
    cli = Cli(tmp_path / "archive")
    monkeypatch.setenv("ARCHIVIST_EXTRACT_MAX_INPUT_BYTES", "100")  # this run's limit: the page fails
    assert _counts(cli.json("ingest", "--no-prefect", str(folder))) == {"failed": 1}
    assert _last_run_etags(cli.home)[str(big)].startswith("file:")

    monkeypatch.delenv("ARCHIVIST_EXTRACT_MAX_INPUT_BYTES")
    assert _counts(cli.json("ingest", "--no-prefect", str(folder))) == {"stored": 1}  # its status is no excuse


def test_the_prefect_flow_does_not_read_unchanged_files_either(tmp_path, prefect_harness):
    folder, big = _folder(tmp_path, seeds=1)
    _settle()
    cli = Cli(tmp_path / "archive")
    cli("ingest", str(folder))  # through the flow
    assert _counts(cli.json("ingest", str(folder))) == {"unchanged": 2}
    assert "not_read" in _last_run_events(cli.home)[str(big)][1]
    assert _counts(cli.json("ingest", "--reread", str(folder))) == {"unchanged": 2}
    assert "not_read" not in _last_run_events(cli.home)[str(big)][1]


def test_a_runner_that_stores_one_document_at_a_time_records_an_unread_file_as_seen_again(tmp_path):
    """``steps.put_original``, the path of a runner without batches: a file not read is seen again,
    without putting its (empty) data anywhere."""
    from flows import steps
    from flows.sources.model import SourceItem
    from storage import Archive

    folder, big = _folder(tmp_path, seeds=0)
    _settle()
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", str(folder))
    with Archive.open(cli.home) as archive:
        fetched = steps.fetch(SourceItem(str(big), "file"), archive, archived_file=archive.archived_file)
        assert fetched.data == b"" and fetched.sha256 == hashlib.sha256(big.read_bytes()).hexdigest()
        sha, outcome = steps.put_original(archive, fetched, None)
        assert sha == fetched.sha256 and outcome.status == "unchanged"
        assert not archive.blobs.exists(hashlib.sha256(b"").hexdigest())
    with sqlite3.connect(cli.home / "archive.sqlite3") as db:
        detail, = db.execute("SELECT detail FROM events WHERE kind = 'seen-again' ORDER BY id DESC LIMIT 1").fetchone()
    assert "not_read" in json.loads(detail)


def test_a_large_unchanged_file_is_not_read_again_with_postgresql_either(tmp_path, pg_url):
    folder, big = _folder(tmp_path, seeds=1)
    _settle()
    cli = Cli(tmp_path / "archive", pg_url)
    first = cli.json("ingest", "--no-prefect", str(folder))
    before = _bytes_read()
    again = cli.json("ingest", "--no-prefect", str(folder))
    assert _bytes_read() - before < BIG // 2
    assert _counts(again) == {"unchanged": 2}
    [doc_id] = [o["id"] for o in first["outcomes"] if o["source"] == str(big)]
    fetches = cli.json("show", str(doc_id))["fetches"]
    assert len(fetches) == 2 and fetches[0]["etag"] == fetches[1]["etag"] and fetches[0]["etag"].startswith("file:")


def test_the_status_lookup_is_one_index_probe_however_many_runs_fetched_the_file(tmp_path):
    """Every run adds a fetch row per file; the lookup must not read them all (index ``(source, etag)``)."""
    from storage import Archive
    from storage.archive import _ARCHIVED_FILE

    archive = Archive.open(tmp_path / "archive")
    try:
        with archive.engine.connect() as conn:
            compiled = _ARCHIVED_FILE.compile(conn)
            params = compiled.construct_params({"source": "/data/annex.pdf", "status": "file:1:2:3:4:5"})
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), tuple(params[k] for k in compiled.positiontup)))
    finally:
        archive.close()
    assert "USING INDEX ix_fetches_source_etag (source=? AND etag=?)" in plan, plan
