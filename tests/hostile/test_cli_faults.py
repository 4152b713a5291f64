"""Usability under faults (issue 12, item 10).

A read-only copy of an archive can be verified and queried without one byte or
file changing; ``verify`` during an ingest does not call its in-flight blobs
orphans; a run killed mid-way is marked ``interrupted`` by the next run; stray
files in the stores are reported; a bad ``--db`` URL, a corrupt database or a
home that is a file give one clear line on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Cli, REPO, SEEDS, copied_archive, seeded_archive
from hostile.generate import BAD_DB_URLS, corrupt_database

SECRET = "pw-never-shown"


@pytest.fixture(scope="module")
def base_home(tmp_path_factory) -> Path:
    archive = seeded_archive(tmp_path_factory.mktemp("faults"), SEEDS[2:5])
    archive("anchor", "--out", str(archive.home / "anchors" / "first.json"))
    return archive.home


@pytest.fixture
def arch(base_home, tmp_path) -> Cli:
    return copied_archive(base_home, tmp_path)


def archivist(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process (what a user sees on stderr)."""
    return subprocess.run([sys.executable, "-c", "from flows.cli.app import main; main()", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def _snapshot(root: Path) -> dict[str, tuple[int, float, str]]:
    return {str(p.relative_to(root)): (p.stat().st_mode, p.stat().st_mtime,
                                       hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "")
            for p in sorted(root.rglob("*"))}


def read_only_archivist(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``archivist`` in a child that sees ``home`` on a read-only bind mount (a user and mount namespace of its
    own, so no privilege is needed): every write there really fails, whoever runs the tests."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script, str(home),
                           sys.executable, "-c", "from flows.cli.app import main; main()", "--home", str(home),
                           *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_a_read_only_copy_can_be_verified_and_queried(arch):
    assert not list(arch.home.glob("archive.sqlite3-*"))  # closed cleanly: no journal files
    doc_id = str(arch.json("documents")["documents"][0]["id"])
    before = _snapshot(arch.home)
    for command in (["verify"], ["documents"], ["show", doc_id], ["search", "report"], ["runs"], ["works"],
                    ["anchor", "--check", str(arch.home / "anchors" / "first.json")], ["db", "current"],
                    ["repair", "--dry-run"]):
        result = read_only_archivist(arch.home, *command)
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr
    assert "OK" in read_only_archivist(arch.home, "verify").stdout
    assert _snapshot(arch.home) == before


def test_writing_to_a_read_only_copy_is_one_clear_line(arch):
    result = read_only_archivist(arch.home, "verify", "--record")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_read_commands_open_the_database_read_only(arch):
    from sqlalchemy.exc import OperationalError

    from storage import Archive

    with Archive.open(arch.home, readonly=True) as archive:
        assert len(archive.documents()) == 3
        with pytest.raises(OperationalError, match="readonly|read-only|query_only"):
            archive.begin_run(["should not be written"])
    assert len(arch.json("runs")["runs"]) == 1


# -- in-flight blobs and interrupted runs ----------------------------------------

def test_verify_during_an_ingest_does_not_call_its_blobs_orphans(arch):
    from storage import Archive
    from storage.blobs import BlobStore

    with Archive.open(arch.home) as archive:
        run_id = archive.begin_run(["incoming"])  # this live process is the ingest
        BlobStore(arch.home / "blobs").put(b"bytes stored, about to be recorded")
        report = arch.json("verify")
        assert report["ok"] and report["in_flight"] == 1
        archive.finish_run(run_id, {}, [])
    # once no ingest is running, the same bytes are an orphan
    assert [p["kind"] for p in arch.json("verify", expect=1)["problems"]] == ["orphan-blob"]


def test_a_killed_run_is_marked_interrupted_at_the_next_start(arch, tmp_path):
    code = ("import os, sys; from storage import Archive; a = Archive.open(sys.argv[1]); "
            "a.begin_run(['killed']); a.put_original(b'bytes of a killed run'); os._exit(9)")
    proc = subprocess.run([sys.executable, "-c", code, str(arch.home)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 9, proc.stderr
    runs = arch.json("runs")["runs"]
    assert runs[0]["status"] == "running"
    # the killed process is gone: its blob is an orphan, not in flight
    assert [p["kind"] for p in arch.json("verify", expect=1)["problems"]] == ["orphan-blob"]
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "note.txt").write_text("A later note about the same events.\n", encoding="utf-8")
    arch("ingest", "--no-prefect", str(folder))
    statuses = {r["id"]: r["status"] for r in arch.json("runs")["runs"]}
    assert statuses[runs[0]["id"]] == "interrupted"
    with sqlite3.connect(arch.home / "archive.sqlite3") as con:
        kinds = [k for k, in con.execute("SELECT kind FROM events WHERE run_id = ? ORDER BY id", (runs[0]["id"],))]
    assert kinds == ["run-started", "run-interrupted"]
    problems = arch.json("verify", expect=1)["problems"]
    assert [p["kind"] for p in problems] == ["orphan-blob"]  # the run-interrupted event itself is accepted


# -- stray files -----------------------------------------------------------------

def test_stray_files_in_the_stores_are_reported(arch):
    strays = [arch.home / "blobs" / "README.txt", arch.home / "blobs" / "ab" / "cd" / "notes.txt",
              arch.home / "texts" / "00" / "evil.sh", arch.home / "blobs" / "ab" / ("0" * 64)]
    for path in strays:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not archivist's")
    report = arch.json("verify", expect=1)
    found = sorted(p["path"] for p in report["problems"] if p["kind"] == "stray-file")
    assert found == sorted(str(p) for p in strays), report["problems"]
    assert {p["kind"] for p in report["problems"]} == {"stray-file"}


def test_leftover_temp_files_are_reported(arch):
    temp = arch.home / "texts" / "aa" / "bb" / ".tmp-x1y2"
    temp.parent.mkdir(parents=True, exist_ok=True)
    temp.write_bytes(b"half a text")
    report = arch.json("verify")  # a killed write is not damage, but it is said
    assert [n["path"] for n in report["notes"]] == [str(temp)]
    assert "NOTE temp-file" in arch("verify").output


# -- one clear line, exit 2 ------------------------------------------------------------

def _one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archivist: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("url", BAD_DB_URLS)
def test_a_bad_db_url_is_one_clear_line(tmp_path, url):
    _one_clear_line(archivist("--home", str(tmp_path / "h"), "--db", url, "documents"))


def test_a_database_password_is_never_printed(tmp_path):
    line = _one_clear_line(archivist("--db", f"postgresql://user:{SECRET}@127.0.0.1:9/x", "verify"))
    assert SECRET not in line


def test_a_corrupt_database_is_one_clear_line(arch):
    corrupt_database(arch.home / "archive.sqlite3")
    for command in (["verify"], ["documents"], ["repair"], ["ingest", "--no-prefect", str(SEEDS[0])]):
        line = _one_clear_line(archivist("--home", str(arch.home), *command))
        assert "archive.sqlite3" in line


def test_a_home_that_is_a_file_is_one_clear_line(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    for command in (["verify"], ["documents"], ["ingest", "--no-prefect", str(SEEDS[0])], ["init"]):
        line = _one_clear_line(archivist("--home", str(home), *command))
        assert "not an archive home" in line
    assert home.read_text() == "not a folder"
