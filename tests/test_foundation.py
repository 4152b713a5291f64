"""The foundation: the corpus ingested through a real Prefect flow run, queried with the real CLI."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest

from conftest import CORPUS, SEEDS, Cli

RECORD_KEYS = {"id", "status", "error", "source", "sha256", "size", "media_type", "title", "date", "authors",
               "language", "identifiers", "work_id", "version", "ingested_at"}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, prefect_harness) -> Cli:
    """The corpus ingested once by the Prefect flow (via ``archivist ingest``)."""
    cli = Cli(tmp_path_factory.mktemp("corpus") / "archive")
    result = cli("ingest", str(CORPUS))
    assert "Run 1:" in result.output
    return cli


def _by_seed(docs: list[dict]) -> dict[str, dict]:
    return {d["source"].rsplit("/", 1)[-1][:3]: d for d in docs if "/renditions/" not in d["source"]}


def test_every_seed_is_stored_byte_identical_and_findable_by_hash(ingested):
    docs = ingested.json("documents")["documents"]
    assert set(RECORD_KEYS) <= set(docs[0])
    by_sha = {d["sha256"]: d for d in docs}
    for seed in SEEDS:
        data = seed.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        assert by_sha[sha]["status"] == "stored", by_sha[sha]
        blob = ingested.home / "blobs" / sha[:2] / sha[2:4] / sha
        assert blob.read_bytes() == data
        shown = ingested.json("show", sha)
        assert shown["sha256"] == sha and shown["size"] == len(data)


def test_corpus_renditions_go_through_the_pdf_and_html_paths(ingested):
    docs = ingested.json("documents")["documents"]
    formats = {d["format"] for d in docs if d["status"] == "stored"}
    assert {"pdf", "html", "markdown", "text"} <= formats, formats


def test_reingesting_the_corpus_adds_no_record(ingested):
    before = ingested.json("documents")["documents"]
    result = json.loads(ingested("ingest", str(CORPUS), "--json").stdout)
    assert result["counts"]["unchanged"] == len(before)
    assert result["counts"]["stored"] == result["counts"]["new_version"] == result["counts"]["failed"] == 0
    after = ingested.json("documents")["documents"]
    assert [d["sha256"] for d in after] == [d["sha256"] for d in before]
    con = sqlite3.connect(ingested.home / "archive.sqlite3")
    seen = con.execute("SELECT count(*) FROM events WHERE kind = 'seen-again'").fetchone()[0]
    assert seen >= len(before)


def test_encyclopedia_revisions_share_a_work_and_statements_do_not(ingested):
    seeds = _by_seed(ingested.json("documents")["documents"])
    assert seeds["000"]["work_id"] == seeds["001"]["work_id"]
    others = {seeds[k]["work_id"] for k in ("002", "003", "004")}
    assert len(others) == 3 and seeds["000"]["work_id"] not in others
    works = {w["id"]: w for w in ingested.json("works")["works"]}
    versions = works[seeds["000"]["work_id"]]["versions"]
    assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))


def test_seed_003_has_94_linked_footnotes(ingested):
    seed = _by_seed(ingested.json("documents")["documents"])["003"]
    shown = ingested.json("show", str(seed["id"]))
    notes = shown["footnotes"]
    assert [n["label"] for n in notes] == [str(i) for i in range(1, 95)]
    for note in notes:
        assert note["text"].strip() and note["context"].strip(), note
        assert {"label", "text", "page", "context", "citations"} <= set(note)
    assert "<sup>" not in shown["text"]
    assert {"scheme": "ngo-index", "value": "MDE 13/6418/2023"} in shown["identifiers"]


def test_search_finds_death_commission_with_snippets(ingested):
    hits = ingested.json("search", "Death Commission")["hits"]
    seeds = _by_seed(ingested.json("documents")["documents"])
    found = {h["id"] for h in hits}
    for key in ("000", "002", "003", "004"):
        assert seeds[key]["id"] in found
    assert seeds["001"]["id"] not in found  # it says "death committee", never the phrase
    assert all("[" in h["snippet"] and "]" in h["snippet"] for h in hits)


def test_verify_is_clean_after_ingest(ingested):
    result = ingested("verify")
    assert "OK" in result.output and "chain head" in result.output


def test_documents_listing_does_not_start_prefect(ingested):
    code = ("import sys; from flows.cli.app import cli; "
            "sys.argv = ['archivist', '--home', sys.argv[1], 'documents', '--json']\n"
            "try:\n    cli()\nexcept SystemExit:\n    pass\n"
            "assert 'prefect' not in sys.modules, 'prefect was imported'")
    proc = subprocess.run([sys.executable, "-c", code, str(ingested.home)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert '"sha256"' in proc.stdout
