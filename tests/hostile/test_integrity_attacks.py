"""Attacks on the archive's integrity (issue 12, items 1, 2 and 7).

1. A missing or wrong database must never make ``repair`` remove originals: query and
   integrity commands refuse a home without an archive, repair refuses mass removal, and
   what it removes goes to a quarantine folder.
2. A forged, correctly chained ``deleted`` event must not explain a removed record away,
   neither to ``verify`` nor to ``anchor --check``.
7. Everything archivist writes is private: files 0600, folders 0700.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import Cli, SEEDS, copied_archive, seeded_archive
from hostile.generate import FORGED_EVENT_KINDS

OLD = time.time() - 3 * 86400


@pytest.fixture(scope="module")
def base_home(tmp_path_factory) -> Path:
    archive = seeded_archive(tmp_path_factory.mktemp("attacks"), SEEDS[2:5])
    return archive.home


@pytest.fixture
def arch(base_home, tmp_path) -> Cli:
    return copied_archive(base_home, tmp_path)


def _blob_files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (home / "blobs").rglob("*") if p.is_file()}


def _old_orphans(home: Path, n: int) -> list[Path]:
    from storage.blobs import BlobStore

    store = BlobStore(home / "blobs")
    paths = [store.path(store.put(f"bytes nobody recorded {i}".encode())) for i in range(n)]
    for path in paths:
        os.utime(path, (OLD, OLD))
    return paths


# -- 1: no archive, wrong database, mass removal, quarantine ----------------

@pytest.mark.parametrize("command", [["repair", "--grace", "0"], ["verify"], ["documents"], ["search", "report"],
                                     ["anchor"], ["export", "bag"], ["runs"], ["works"]])
def test_commands_refuse_a_home_whose_database_is_gone(arch, command, tmp_path):
    originals = _blob_files(arch.home)
    for old in arch.home.glob("archive.sqlite3*"):
        old.unlink()
    if command[0] == "export":
        command = ["export", str(tmp_path / "bag")]
    result = arch(*command, expect=2)
    assert "no archive here" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (arch.home / "archive.sqlite3").exists()  # nothing created in its place
    assert _blob_files(arch.home) == originals  # and not one original touched


def test_query_commands_refuse_a_missing_home_and_init_creates_one(tmp_path):
    cli = Cli(tmp_path / "new")
    assert "no archive here" in cli("documents", expect=2).stderr
    assert not (tmp_path / "new").exists()
    assert "ready" in cli("init").output
    assert cli.json("documents")["documents"] == [] and cli.json("verify")["ok"]


def test_repair_against_a_foreign_empty_database_removes_nothing(arch, tmp_path):
    originals = _blob_files(arch.home)
    for path in (arch.home / "blobs").rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))
    other = Cli(tmp_path / "other")
    other("init")
    wrong = Cli(arch.home, db_url=f"sqlite:///{tmp_path / 'other' / 'archive.sqlite3'}")
    report = wrong.json("repair", "--grace", "0", expect=1)
    assert report["unresolved"][0]["kind"] == "removal-refused"
    assert "knows none" in report["unresolved"][0]["message"]
    assert not [a for a in report["actions"] if a["kind"] == "removed-orphan"]
    assert _blob_files(arch.home) == originals
    # Even an explicit allowance does not remove the blobs of an archive the database does not know.
    wrong.json("repair", "--grace", "0", "--max-removals", "100", expect=1)
    assert _blob_files(arch.home) == originals


def test_repair_refuses_to_remove_more_than_a_small_share(arch):
    orphans = _old_orphans(arch.home, 12)  # 3 records, 12 orphans: more than the floor of 10
    report = arch.json("repair", expect=1)
    assert report["unresolved"][0]["kind"] == "removal-refused"
    assert all(p.exists() for p in orphans)
    report = arch.json("repair", "--max-removals", "12")
    assert [a["kind"] for a in report["actions"]] == ["removed-orphan"] * 12
    assert not any(p.exists() for p in orphans)
    assert arch.json("verify")["ok"]


def test_repair_moves_orphans_and_temp_files_to_the_quarantine(arch):
    orphan, = _old_orphans(arch.home, 1)
    data = orphan.read_bytes()
    temp = orphan.parent / ".tmp-leftover"
    temp.write_bytes(b"partial")
    os.utime(temp, (OLD, OLD))
    report = arch.json("repair")
    moved = {a["kind"]: Path(a["moved_to"]) for a in report["actions"]}
    assert set(moved) == {"removed-orphan", "removed-temp"}
    assert not orphan.exists() and not temp.exists()
    assert moved["removed-orphan"].read_bytes() == data and moved["removed-temp"].read_bytes() == b"partial"
    assert (arch.home / "quarantine") in moved["removed-orphan"].parents
    assert arch.json("verify")["ok"]


# -- 2: forged removal events ------------------------------------------------

def _remove_record_with_forged_event(home: Path, kind: str) -> dict:
    """What an attacker with database access does: append a correctly chained event of ``kind`` that
    "explains" a removal, then delete the record and its blob."""
    from sqlalchemy import select

    from storage import Archive
    from storage.database import transaction
    from storage.models import ChainHead, Document, Event, utcnow
    from storage import events

    with Archive.open(home, create=False) as archive:
        with archive.reading() as session:
            doc = session.scalars(select(Document).order_by(Document.id)).first()
            victim = {"id": doc.id, "sha256": doc.sha256, "work_id": doc.work_id}
    with Archive.open(home, create=False) as archive, transaction(archive.sessions) as session:
        head = session.get(ChainHead, 1)
        forged = Event(id=head.last_event_id + 1, kind=kind, created_at=utcnow(), document_id=victim["id"],
                       work_id=victim["work_id"], run_id=None, outcome="ok", detail={"reason": "retention"},
                       tool_versions=events.tool_versions(), record_hash=None, prev_hash=head.hash)
        forged.hash = events.compute_hash(forged)
        session.add(forged)
        head.last_event_id, head.hash = forged.id, forged.hash
    con = sqlite3.connect(home / "archive.sqlite3")
    with con:
        con.execute("PRAGMA foreign_keys=OFF")
        for table in ("footnote_markers", "citation_identifiers", "citations"):
            con.execute(f"DELETE FROM {table}")
        for table in ("footnotes", "document_identifiers", "fetches"):
            con.execute(f"DELETE FROM {table} WHERE document_id = ?", (victim["id"],))
        con.execute("DELETE FROM documents WHERE id = ?", (victim["id"],))
    con.close()
    sha = victim["sha256"]
    (home / "blobs" / sha[:2] / sha[2:4] / sha).unlink()
    return victim


@pytest.mark.parametrize("kind", FORGED_EVENT_KINDS)
def test_a_forged_removal_event_does_not_hide_a_removed_record(arch, kind):
    victim = _remove_record_with_forged_event(arch.home, kind)
    problems = arch.json("verify", expect=1)["problems"]
    kinds = {p["kind"] for p in problems}
    assert {"unknown-event-kind", "record-missing"} <= kinds, problems
    assert any(p["kind"] == "record-missing" and p["document_id"] == victim["id"] for p in problems)
    assert any(p["kind"] == "unknown-event-kind" and p["found"] == kind for p in problems)


def test_archivist_refuses_to_write_an_event_kind_verify_would_reject(arch):
    from storage import Archive
    from storage.database import transaction
    from storage.errors import UnknownEventKind
    from storage.events import append_event

    with Archive.open(arch.home, create=False) as archive, transaction(archive.sessions) as session:
        with pytest.raises(UnknownEventKind):
            append_event(session, "deleted", "ok")


def test_anchor_check_reports_a_removal_behind_a_correctly_extended_chain(arch, tmp_path):
    out = tmp_path / "anchor.json"
    arch("anchor", "--out", str(out))
    assert arch.json("anchor", "--check", str(out))["records_ok"]
    _remove_record_with_forged_event(arch.home, "deleted")
    check = arch.json("anchor", "--check", str(out), expect=1)
    assert check["signature_ok"] and check["chain_ok"]  # the chain was extended correctly...
    assert not check["records_ok"] and not check["ok"]  # ...but the anchored records are not all there
    assert any("1 removed" in p for p in check["problems"])


def test_anchor_check_reports_an_original_hash_rewritten_in_place(arch, tmp_path):
    out = tmp_path / "anchor.json"
    arch("anchor", "--out", str(out))
    with sqlite3.connect(arch.home / "archive.sqlite3") as con:
        con.execute("UPDATE documents SET sha256 = ? WHERE id = (SELECT min(id) FROM documents)",
                    (hashlib.sha256(b"other bytes").hexdigest(),))
    check = arch.json("anchor", "--check", str(out), expect=1)
    assert not check["records_ok"] and any("original hashes" in p for p in check["problems"])


# -- 7: permissions ----------------------------------------------------------

@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    found = {str(root): stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path)] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _not_private(modes: dict[str, int]) -> dict[str, str]:
    return {p: oct(m) for p, m in modes.items()
            if m != (0o700 if Path(p).is_dir() else 0o600)}


def test_everything_archivist_writes_is_private(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for seed in SEEDS[2:4]:
        (folder / seed.name).write_bytes(seed.read_bytes())
    cli = Cli(tmp_path / "archive")
    with _umask(0o022):  # a usual umask: private modes must not depend on it
        cli("ingest", "--no-prefect", str(folder))
        cli("anchor")
        cli("export", str(tmp_path / "bag"))
        orphan, = _old_orphans(cli.home, 1)
        cli("repair")
    assert not _not_private(_modes(cli.home)), _not_private(_modes(cli.home))
    assert {Path(p).name for p in _modes(cli.home)} >= {"archive.sqlite3", "blobs", "texts", "anchors",
                                                        "quarantine", "anchor-ed25519.key"}
    assert not _not_private(_modes(tmp_path / "bag")), _not_private(_modes(tmp_path / "bag"))


def test_sqlite_journal_files_are_private_while_the_archive_is_open(tmp_path):
    from storage import Archive

    with _umask(0o022), Archive.open(tmp_path / "archive") as archive:
        archive.begin_run(["x"])
        journals = list(archive.home.glob("archive.sqlite3-*"))
        assert {p.name for p in journals} >= {"archive.sqlite3-wal", "archive.sqlite3-shm"}
        assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in journals} == {
            p.name: "0o600" for p in journals}


def test_db_upgrade_backup_is_private(tmp_path):
    from storage.database import head_revision, make_engine, upgrade

    home = tmp_path / "archive"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'archive.sqlite3'}")
    upgrade(engine, "0001")
    engine.dispose()
    os.chmod(home / "archive.sqlite3", 0o644)  # an archive made by an older archivist
    with _umask(0o022):
        result = Cli(home).json("db", "upgrade")
    assert result["to"] == head_revision()
    backup = Path(result["backup"])
    assert oct(stat.S_IMODE(backup.stat().st_mode)) == "0o600"
    assert oct(stat.S_IMODE(backup.parent.stat().st_mode)) == "0o700"


def test_private_helpers_for_other_writers(tmp_path):
    from storage.blobs import make_private_dir, private_umask, write_private

    with _umask(0o022):
        write_private(tmp_path / "a" / "b" / "file.warc.gz", b"x")
        with private_umask():
            (tmp_path / "lib-made").write_bytes(b"y")
            (tmp_path / "lib-dir").mkdir()
        make_private_dir(tmp_path / "c" / "d")
    modes = _modes(tmp_path)
    del modes[str(tmp_path)]
    assert not _not_private(modes), _not_private(modes)
