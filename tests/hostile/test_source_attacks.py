"""Hostile folders and manifests (issue 12, items 3 and 4), with real files on disk.

A folder may hold file names that are not UTF-8, symbolic links to secrets,
hidden files; a manifest may name ``/proc/self/environ`` or ``../``. Ingest
reads only what it was given, keeps every name's exact bytes, reports what it
left out, and never stops a run for one bad item.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage import Archive

SECRET = b"TOP-SECRET-OUTSIDE-THE-FOLDER"


def archive_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def fetch_rows(home: Path):
    from sqlalchemy import select

    from storage.models import Fetch

    with Archive.open(home) as archive, archive.sessions() as session:
        return list(session.scalars(select(Fetch).order_by(Fetch.id)))


# -- 3. file names that are not UTF-8 -------------------------------------------------------------------------


def test_a_file_name_with_invalid_utf8_is_stored_with_its_exact_bytes(cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    raw_name = b"report-\xff\xfe-caf\xe9.txt"  # Latin-1 bytes, not UTF-8
    with open(os.fsencode(folder) + b"/" + raw_name, "wb") as fh:
        fh.write(b"Testimony recorded in a file whose name is not UTF-8.\n")
    (folder / "plain.txt").write_text("An ordinary statement.\n")
    result = cli.json("ingest", "--no-prefect", str(folder))
    assert result["counts"]["stored"] == 2 and result["counts"]["failed"] == 0, result
    with Archive.open(cli.home) as archive:
        shown = {d.source: d for d in archive.documents()}
    escaped = str(folder) + "/report-\\xff\\xfe-caf\\xe9.txt"
    assert escaped in shown, sorted(shown)
    (row,) = [f for f in fetch_rows(cli.home) if f.source == escaped]
    assert bytes.fromhex(row.headers["path_bytes_hex"]) == os.fsencode(folder) + b"/" + raw_name
    assert any("not UTF-8" in w for w in shown[escaped].warnings)
    assert [r["status"] for r in cli.json("runs")["runs"]] == ["completed"]


# -- 3. an unexpected error in one item's step never stops the run --------------------------------------------


def test_a_manifest_value_the_database_refuses_fails_one_item_only(tmp_path, pg_url):
    """PostgreSQL refuses NUL in text and JSON: a manifest title with one must not stop the run."""
    from conftest import Cli

    cli = Cli(tmp_path / "archive", pg_url)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("First statement.\n")
    (folder / "b.txt").write_text("Second statement.\n")
    (folder / "manifest.toml").write_text('[[document]]\nfile = "a.txt"\ntitle = "Bad \\u0000 title"\n'
                                          '[[document]]\nfile = "b.txt"\ntitle = "Good title"\n')
    result = cli.json("ingest", "--no-prefect", str(folder))
    assert result["counts"]["stored"] + result["counts"]["failed"] == 2, result
    assert result["counts"]["stored"] >= 1
    with Archive.open(cli.home, pg_url) as archive:
        docs = {Path(d.source).name: d for d in archive.documents()}
        assert set(docs) == {"a.txt", "b.txt"}  # the refused one is a failed record, its bytes kept
        assert archive.blobs.get(docs["a.txt"].sha256) == b"First statement.\n"
    assert [r["status"] for r in cli.json("runs")["runs"]] == ["completed"]


# -- 4. manifests are confined to their folder ----------------------------------------------------------------


@pytest.mark.parametrize("entry", ["/proc/self/environ", "{outside}", "../outside/secret.txt",
                                   "sub/../../outside/secret.txt", "link-to-secret.txt"])
def test_a_manifest_cannot_name_files_outside_its_folder(cli, tmp_path, entry):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "link-to-secret.txt").symlink_to(outside / "secret.txt")
    (folder / "ok.txt").write_text("fine\n")
    entry = entry.format(outside=outside / "secret.txt")
    (folder / "manifest.toml").write_text(f'[[document]]\nfile = "ok.txt"\n[[document]]\nfile = "{entry}"\n')
    result = cli("ingest", "--no-prefect", str(folder), expect=None)
    assert result.exit_code != 0 and "manifest's folder" in result.output, result.output
    assert not (cli.home / "archive.sqlite3").exists() or SECRET not in archive_bytes(cli.home)


# -- 4. folder walks do not follow links out; what is left out is reported -------------------------------------


def _hostile_folder(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "statement.txt").write_text("A statement.\n")
    (folder / ".hidden.txt").write_text("hidden\n")
    (folder / "passwd.txt").symlink_to(outside / "secret.txt")
    (folder / "everything").symlink_to(outside, target_is_directory=True)
    return folder


def test_a_folder_walk_does_not_follow_links_and_reports_what_it_skipped(cli, tmp_path):
    folder = _hostile_folder(tmp_path)
    result = cli.json("ingest", "--no-prefect", str(folder))
    assert result["counts"]["stored"] == 1, result
    assert SECRET not in archive_bytes(cli.home)
    warnings = "\n".join(result["warnings"])
    assert "passwd.txt: skipped, a symbolic link" in warnings
    assert "everything: skipped, a symbolic link" in warnings
    assert ".hidden.txt: skipped, hidden file" in warnings
    text = cli("ingest", "--no-prefect", str(folder)).output
    assert "warning: " in text and "passwd.txt: skipped, a symbolic link" in text


def test_follow_links_is_an_explicit_choice(cli, tmp_path):
    folder = _hostile_folder(tmp_path)
    result = cli.json("ingest", "--no-prefect", "--follow-links", str(folder))
    assert result["counts"]["stored"] == 2, result  # the statement and the secret (reached by two links, kept once)
    assert SECRET in archive_bytes(cli.home)


def test_the_prefect_run_report_lists_what_was_skipped(prefect_harness, tmp_path):
    from prefect.artifacts import Artifact

    from flows.prefect.ingest import ingest_flow

    folder = _hostile_folder(tmp_path)
    result = ingest_flow([str(folder)], home=str(tmp_path / "a"), db_url=None)
    assert any("passwd.txt: skipped" in w for w in result["warnings"])
    artifact = Artifact.get("ingest-run-report")
    assert artifact is not None and "passwd.txt: skipped, a symbolic link" in str(artifact.data)


def test_an_archive_inside_the_folder_is_never_ingested(tmp_path):
    """``archivist ingest .`` with the default home ``./archive`` must not archive the archive's own files."""
    from conftest import Cli

    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "statement.txt").write_text("A statement about the commission.\n")
    cli = Cli(folder / "archive")
    cli("ingest", "--no-prefect", str(folder / "statement.txt"))
    result = cli.json("ingest", "--no-prefect", str(folder))
    assert result["counts"]["failed"] == 0 and result["counts"]["stored"] == 0, result
    assert any("archive: skipped, an archivist archive" in w for w in result["warnings"])
    result = cli.json("ingest", "--no-prefect", str(folder / "archive"))
    assert result["counts"] == {"stored": 0, "new_version": 0, "unchanged": 0, "failed": 0}, result
