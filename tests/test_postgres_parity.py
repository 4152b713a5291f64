"""The same corpus ingested into SQLite and into PostgreSQL gives the same archive.

Records (minus ids and timestamps), works (by SHA-256), footnotes and search
results (FTS5 on SQLite, tsvector on PostgreSQL, one interface) must agree.
"""

from __future__ import annotations

import pytest

from conftest import CORPUS, Cli

pytestmark = pytest.mark.postgres

VOLATILE = {"id", "work_id", "related_document_id", "ingested_at", "obtained_at", "cited_document_id"}
QUERIES = ["Death Commission", "Amnesty International", "1988", "mass graves", "prisoners executed",
           "\"Khavaran\"", "fatwa", "nothingmatchesthisword"]


@pytest.fixture(scope="module")
def both(tmp_path_factory, postgres):
    """The corpus ingested (--no-prefect) into a SQLite archive and a PostgreSQL one."""
    root = tmp_path_factory.mktemp("parity")
    sqlite_cli = Cli(root / "sqlite")
    pg_cli = Cli(root / "pg", postgres.create_database("archivist_parity"))
    for cli in (sqlite_cli, pg_cli):
        result = cli.json("ingest", "--no-prefect", str(CORPUS))
        assert result["counts"]["failed"] == 0, result["failures"]
    return sqlite_cli, pg_cli


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE and not k.endswith("_at")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _documents(cli: Cli) -> dict[str, dict]:
    return {d["sha256"]: _strip(d) for d in cli.json("documents")["documents"]}


def _sha_by_id(cli: Cli) -> dict[int, str]:
    return {d["id"]: d["sha256"] for d in cli.json("documents")["documents"]}


def test_documents_are_the_same(both):
    sqlite_docs, pg_docs = (_documents(cli) for cli in both)
    assert len(sqlite_docs) >= 8
    assert sqlite_docs.keys() == pg_docs.keys()
    for sha, doc in sqlite_docs.items():
        assert doc == pg_docs[sha], sha


def test_works_have_the_same_members_in_the_same_order(both):
    def works(cli: Cli):
        return sorted([(d["version"], d["relation"], d["sha256"]) for d in w["versions"]]
                      for w in cli.json("works")["works"])

    sqlite_works, pg_works = (works(cli) for cli in both)
    assert len(sqlite_works) >= 4
    assert sqlite_works == pg_works


def test_footnotes_are_the_same_per_document(both):
    sqlite_cli, pg_cli = both
    pg_ids = {sha: i for i, sha in _sha_by_id(pg_cli).items()}
    total = 0
    for doc_id, sha in _sha_by_id(sqlite_cli).items():
        a = sqlite_cli.json("show", str(doc_id))
        b = pg_cli.json("show", str(pg_ids[sha]))
        notes_a = [(n["label"], n["text"], n["context"]) for n in a["footnotes"]]
        notes_b = [(n["label"], n["text"], n["context"]) for n in b["footnotes"]]
        assert notes_a == notes_b, sha
        assert _strip(a["footnotes"]) == _strip(b["footnotes"]), sha
        assert a["text"] == b["text"]
        total += len(notes_a)
    assert total >= 200


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_the_same_documents(both, query):
    sqlite_cli, pg_cli = both
    found = []
    for cli in both:
        ids = _sha_by_id(cli)
        hits = cli.json("search", query, "--limit", "50")["hits"]
        assert all(h["snippet"] for h in hits), hits
        found.append({ids[h["id"]] for h in hits})
    assert found[0] == found[1], query
    if query != "nothingmatchesthisword":
        assert found[0], f"{query!r} should match something in the corpus"
    else:
        assert not found[0]
