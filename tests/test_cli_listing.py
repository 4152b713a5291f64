"""``documents``, ``works``, ``show``, ``runs`` and the ingest summary on a real archive.

Listings have a header and a date column and take ``--status``, ``--since``,
``--format``, ``--limit``; ``show`` gives fetch provenance and every document a
reference names; 6 hex digits of a SHA-256 name a document; the summary of an
ingest is the summary of that run, not of the archive.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import CORPUS, SEEDS, Cli

MANIFEST = """[[document]]
file = "a.txt"
identifiers = ["A/HRC/37/24"]

[[document]]
file = "b.txt"
identifiers = ["A/HRC/37/24"]
"""


@pytest.fixture(scope="module")
def arch(tmp_path_factory) -> Cli:
    """The corpus, then a broken PDF and a folder of two texts sharing an identifier (by its manifest)."""
    root = tmp_path_factory.mktemp("listing")
    cli = Cli(root / "archive")
    cli("ingest", "--no-prefect", str(CORPUS))
    inbox = root / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Testimony of a survivor of the prison killings, recorded in exile in 1990.\n",
                                 encoding="utf-8")
    (inbox / "b.txt").write_text("A statement by the families on the anniversary, asking where the graves are.\n",
                                 encoding="utf-8")
    (inbox / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    broken = root / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage, no xref\n")
    cli("ingest", "--no-prefect", str(inbox), str(broken), expect=None)
    return cli


def _lines(cli: Cli, *args: str, expect: int = 0) -> list[str]:
    return cli(*args, expect=expect).stdout.splitlines()


def test_documents_have_a_header_a_date_column_and_a_count(arch):
    lines = _lines(arch, "documents")
    assert lines[0].split()[:8] == ["ID", "STATUS", "WORK", "V", "FORMAT", "DATE", "INGESTED", "SHA-256"]
    total = len(arch.json("documents")["documents"])
    assert lines[-1] == f"{total} documents"
    dated = next(d for d in arch.json("documents")["documents"] if d["date"])
    row = next(line for line in lines if line.split()[0] == str(dated["id"]))
    assert dated["date"][:10] in row and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\dZ", row)


def test_documents_filters_and_limit(arch):
    every = arch.json("documents")["documents"]
    failed = arch.json("documents", "--status", "failed")
    assert failed["total"] == 1 and [d["source"].rsplit("/", 1)[-1] for d in failed["documents"]] == ["broken.pdf"]
    html = arch.json("documents", "--format", "HTML")["documents"]
    assert html and {d["format"] for d in html} == {"html"}
    assert len(html) == sum(d["format"] == "html" for d in every)
    page = arch.json("documents", "--limit", "2", "--offset", "1")
    assert page["total"] == len(every) and [d["id"] for d in page["documents"]] == [d["id"] for d in every[1:3]]
    assert _lines(arch, "documents", "--limit", "2")[-1] == f"1-2 of {len(every)} documents"
    assert _lines(arch, "documents", "--offset", "999") == [f"none of {len(every)} documents from --offset 999"]
    assert arch.json("documents", "--since", "1h")["total"] == len(every)
    assert arch.json("documents", "--since", "2999-01-01")["total"] == 0
    assert _lines(arch, "documents", "--since", "2999-01-01T00:00Z") == ["no documents match"]
    bad = arch("documents", "--since", "last tuesday", expect=2)
    assert "--since" in bad.output and "7d" in bad.output


def test_works_filters_keep_works_with_a_matching_version(arch):
    every = arch.json("works")
    pdf = arch.json("works", "--format", "pdf")
    assert pdf["total"] >= 1 and all(any(v["format"] == "pdf" for v in w["versions"]) for w in pdf["works"])
    assert pdf["total"] < every["total"]
    assert arch.json("works", "--status", "failed")["total"] == 1
    assert arch.json("works", "--limit", "1")["works"] == every["works"][:1]
    lines = _lines(arch, "works", "--limit", "1")
    assert lines[0].split()[:2] == ["WORK", "VERSIONS"] and "LAST INGESTED" in lines[0]
    assert lines[-1] == f"1-1 of {every['total']} works"


def test_show_gives_fetch_provenance_and_every_match(arch):
    docs = {d["source"].rsplit("/", 1)[-1]: d for d in arch.json("documents")["documents"]}
    shown = arch.json("show", "A/HRC/37/24")
    assert [m["id"] for m in shown["matches"]] == sorted([docs["a.txt"]["id"], docs["b.txt"]["id"]])
    assert shown["id"] == docs["a.txt"]["id"]
    assert [f["source"] for f in shown["fetches"]] == [docs["a.txt"]["source"]]
    text = arch("show", "A/HRC/37/24").stdout
    assert "names 2 documents" in text and f"doc {docs['b.txt']['id']}" in text
    assert re.search(r"fetched: \d{4}-\d\d-\d\dT[\d:.]+Z " + re.escape(docs["a.txt"]["source"]), text)


def test_six_hex_digits_of_the_hash_name_a_document(arch):
    doc = arch.json("documents")["documents"][0]
    assert arch.json("show", doc["sha256"][:6])["id"] == doc["id"]
    assert arch.json("history", doc["sha256"][:6])["work_id"] == doc["work_id"]
    arch("show", "ffffffffff", expect=1)


def test_runs_table_with_durations_and_failures(arch):
    lines = _lines(arch, "runs")
    assert lines[0].split() == ["RUN", "STATUS", "STARTED", "DURATION", "NEW", "VERSIONS", "UNCHANGED", "FAILED",
                                "TRIGGER"]
    assert re.match(r"\s+2\s+completed\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+[\d.]+ s\s+2\s+0\s+0\s+1\s+manual", lines[1])
    assert "failed:" in lines[2] and "broken.pdf" in lines[2]
    runs = arch.json("runs")["runs"]
    assert [r["id"] for r in runs] == [2, 1] and all(r["duration_s"] > 0 for r in runs)
    assert runs[0]["failures"][0]["source"].endswith("broken.pdf")


def test_the_summary_is_this_runs(tmp_path):
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", *map(str, SEEDS[:3]))
    out = cli("ingest", "--no-prefect", str(SEEDS[3]), str(SEEDS[0])).stdout
    first = out.splitlines()[0]
    assert re.match(r"Run 2: 1 stored \(1 new works, 0 new versions of works\), 1 unchanged, 0 failed", first)
    assert SEEDS[3].name in out and SEEDS[1].name not in out and SEEDS[2].name not in out
    assert out.splitlines()[-1].endswith("4 documents (0 failed) in 3 works")
    result = cli.json("ingest", "--no-prefect", str(SEEDS[4]))
    assert [(o["status"], o["id"]) for o in result["outcomes"]] == [("stored", 5)]


def test_a_runs_warnings_are_kept_with_it(tmp_path):
    """What a run left out (here a symbolic link it did not follow) is kept on the run and in its
    run-finished event, and listed by ``runs``, not only printed while it ran."""
    import sqlite3

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "statement.txt").write_text("Statement of the families, summer 1988.\n" * 3, encoding="utf-8")
    (folder / "shortcut.txt").symlink_to(folder / "statement.txt")
    cli = Cli(tmp_path / "archive")
    done = cli.json("ingest", "--no-prefect", str(folder))
    assert done["counts"]["stored"] == 1 and any("shortcut.txt" in w for w in done["warnings"])
    [run] = cli.json("runs")["runs"]
    assert run["warnings"] == done["warnings"]
    assert any(line.strip().startswith("warning:") and "shortcut.txt" in line for line in _lines(cli, "runs"))
    with sqlite3.connect(cli.home / "archive.sqlite3") as db:
        [(detail,)] = db.execute("SELECT detail FROM events WHERE kind = 'run-finished'").fetchall()
    assert json.loads(detail)["warnings"] == done["warnings"]


def test_a_run_records_what_it_was_asked_for_and_counts_the_items(tmp_path, monkeypatch):
    """A folder is recorded as the folder, not as each of its files (those have their fetch rows with the
    run's id); the run counts its items; a URL is recorded without its user name and password."""
    import sqlite3

    from flows.sources.model import recorded_sources

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"statement-{i}.txt").write_text(f"Statement {i} of the families, summer 1988.\n" * 3,
                                                   encoding="utf-8")
    (tmp_path / "letter.txt").write_text("A letter from Evin prison, 1988.\n" * 3, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cli = Cli(tmp_path / "archive")
    done = cli.json("ingest", "--no-prefect", "in", "letter.txt")
    assert done["counts"]["stored"] == 4
    [run] = cli.json("runs")["runs"]
    assert run["sources"] == 4
    with sqlite3.connect(cli.home / "archive.sqlite3") as db:
        [(sources, items)] = db.execute("SELECT sources, items FROM runs").fetchall()
        [(detail,)] = db.execute("SELECT detail FROM events WHERE kind = 'run-started'").fetchall()
        fetched = db.execute("SELECT source FROM fetches WHERE run_id = ?", (run["id"],)).fetchall()
    asked = [str(folder), str(tmp_path / "letter.txt")]
    assert json.loads(sources) == asked and items == 4
    assert json.loads(detail)["sources"] == asked and json.loads(detail)["items"] == 4
    assert sorted(Path(s).name for (s,) in fetched) == ["letter.txt"] + [f"statement-{i}.txt" for i in range(3)]
    assert recorded_sources(["https://reader:secret@example.org/report.pdf", "in"]) == [
        "https://example.org/report.pdf", str(folder)]


def test_listings_read_a_chunk_at_a_time_and_give_the_same_pages(arch, monkeypatch):
    """Pages of two rows a query give the same listings, pages and text as one query for everything."""
    from flows.cli import queries

    every = arch.json("documents")
    works = arch.json("works")
    text = _lines(arch, "documents")
    monkeypatch.setattr(queries, "CHUNK", 2)
    assert arch.json("documents") == every and _lines(arch, "documents") == text
    assert arch.json("works") == works
    ids = [d["id"] for d in every["documents"]]
    assert len(ids) > 6
    for limit, offset in ((5, 1), (3, 0), (2, 2), (1, len(ids) - 1)):
        page = arch.json("documents", "--limit", str(limit), "--offset", str(offset))
        assert [d["id"] for d in page["documents"]] == ids[offset:offset + limit]
    assert arch.json("works", "--limit", "3", "--offset", "1")["works"] == works["works"][1:4]


def test_a_listing_never_reads_the_texts_and_holds_one_chunk(arch, monkeypatch):
    """The SQL of a whole listing: no text column, two queries (documents, their identifiers) a chunk;
    the same for a page of the web interface's list."""
    from sqlalchemy import event

    from flows.cli import queries
    from flows.cli.queries import Filters, find_documents, find_works
    from storage import Archive, browse

    monkeypatch.setattr(queries, "CHUNK", 3)
    archive = Archive.open(arch.home, create=False)
    statements: list[str] = []
    event.listen(archive.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        total, docs = find_documents(archive, Filters())
        listed = [(d.id, d.title) for d in docs]
        assert len(listed) == total > 6
        selects = [s for s in statements if "FROM documents" in s]
        assert not any(re.search(r"documents\.text\b", s) for s in selects), selects
        queries_made = [s for s in statements if s.lstrip().startswith("SELECT")]
        assert len(queries_made) <= 1 + 2 * (total // 3 + 1)  # the count, then documents and identifiers a chunk
        statements.clear()
        total, found = find_works(archive, Filters())
        assert sum(len(w.documents) for w in found) == len(listed)
        assert not any(re.search(r"documents\.text\b", s) for s in statements), statements
        statements.clear()
        _total, page = browse.document_page(archive, 50, 0)  # the web interface's list, one page
        assert [(d.id, d.title) for d in page] == listed and all(d.identifiers is not None for d in page)
        assert not any(re.search(r"documents\.text\b", s) for s in statements), statements
        assert len([s for s in statements if s.lstrip().startswith("SELECT")]) == 3  # count, page, identifiers
    finally:
        archive.close()


def test_a_listing_printed_as_it_is_read_is_the_json_printed_at_once(capsys):
    from flows.cli.context import echo_json, echo_json_listing

    items = [{"id": 1, "title": "Ein Bericht über \"Gefängnisse\"\n", "ids": [{"scheme": "un", "value": "A/1"}]},
             {"id": 2, "title": "گزارش", "ids": [], "nested": {"a": [1, 2, {"b": None}]}}]
    for rows in (items, items[:1], []):
        echo_json({"total": 9, "limit": None, "offset": 0, "documents": rows})
        whole = capsys.readouterr().out
        echo_json_listing({"total": 9, "limit": None, "offset": 0}, "documents", iter(rows))
        assert capsys.readouterr().out == whole
