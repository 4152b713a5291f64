"""Schema migrations: an archive made by the first schema is upgraded, and says so until it is.

Generic over the revisions: the database is created at the first revision,
filled with rows through that revision's own tables (reflected, not the
current models), and then walked to head with ``archivist db upgrade``;
every row must be readable through the CLI afterwards. Runs on SQLite and on
a real PostgreSQL server.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from conftest import Cli
from storage import SchemaOutOfDate
from storage.database import alembic_config, current_revision, ensure_schema, head_revision, make_engine, upgrade
from storage.models import Base

TEXT = ("The commission questioned prisoners in the summer of 1988. Families were never told where the dead "
        "were buried.[1]\n\n[1] Amnesty International, Blood-soaked secrets, 2018.")
SHA = hashlib.sha256(TEXT.encode()).hexdigest()
WHEN = datetime(2024, 5, 1, 12, 0, 0)


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_db(request, tmp_path):
    """A CLI whose database was created by the first schema revision and holds a few rows."""
    home = tmp_path / "archive"
    home.mkdir()
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    cli = Cli(home, url)
    engine = make_engine(url or f"sqlite:///{home / 'archive.sqlite3'}")
    first = _revisions()[0]
    upgrade(engine, first)
    assert current_revision(engine) == first
    _fill_first_schema(engine, home)
    yield cli, engine
    engine.dispose()


def _fill_first_schema(engine: sa.Engine, home) -> None:
    meta = sa.MetaData()
    meta.reflect(engine, only=["works", "documents", "runs", "fetches", "footnotes", "document_identifiers"])
    t = meta.tables
    blob = home / "blobs" / SHA[:2] / SHA[2:4] / SHA
    blob.parent.mkdir(parents=True)
    blob.write_bytes(TEXT.encode())
    with engine.begin() as conn:
        conn.execute(t["runs"].insert(), [{
            "id": 1, "started_at": WHEN, "finished_at": WHEN, "sources": ["notes.txt", "minutes.txt"],
            "counts": {"stored": 1, "new_version": 0, "unchanged": 0, "failed": 0}, "failures": [],
            "status": "completed", "flow_run_id": None, "trigger": "manual"}])
        conn.execute(t["works"].insert(), [{"id": 1, "title": "Summer 1988", "created_at": WHEN}])
        conn.execute(t["documents"].insert(), [{
            "id": 1, "sha256": SHA, "size": len(TEXT.encode()), "media_type": "text/plain", "format": "text",
            "source": "/evidence/notes.txt", "source_kind": "file", "obtained_at": WHEN,
            "obtained_by": "read file", "status": "stored", "error": None,
            "blob_path": f"{SHA[:2]}/{SHA[2:4]}/{SHA}", "text": TEXT, "text_sha256": SHA, "title": "Summer 1988",
            "date": "2024-05-01", "authors": ["A. Witness"], "language": "en", "metadata_json": {},
            "warnings": [], "extractor": "plaintext", "work_id": 1, "version": 1, "relation": "original",
            "related_document_id": None, "similarity": None, "ingested_at": WHEN}])
        conn.execute(t["document_identifiers"].insert(), [
            {"id": 1, "document_id": 1, "scheme": "ngo-index", "value": "MDE 13/0001/2024"}])
        conn.execute(t["footnotes"].insert(), [{
            "id": 1, "document_id": 1, "seq": 1, "label": "1", "page": None, "position": 120,
            "text": "Amnesty International, Blood-soaked secrets, 2018.", "confidence": 1.0,
            "context": "Families were never told where the dead were buried."}])
        conn.execute(t["fetches"].insert(), [{
            "id": 1, "document_id": 1, "source": "/evidence/notes.txt", "final_url": None, "status_code": None,
            "headers": {}, "etag": None, "last_modified": None, "fetched_at": WHEN, "warc_path": None,
            "run_id": 1}])
        if engine.dialect.name == "postgresql":  # rows were given ids: move the sequences past them
            for table in ("runs", "works", "documents", "document_identifiers", "footnotes", "fetches"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("INSERT INTO documents_fts(rowid, title, text) VALUES (1, :t, :x)"),
                         {"t": "Summer 1988", "x": TEXT})


def test_archive_at_the_first_revision_is_refused_then_upgraded_and_readable(old_db):
    cli, engine = old_db
    revisions = _revisions()
    behind = revisions[0] != head_revision()
    state = cli.json("db", "current")
    assert state["current"] == revisions[0] and state["head"] == head_revision()
    assert state["state"] == ("behind" if behind else "up to date")
    if behind:
        refused = cli("documents", expect=1)
        assert f"schema is at revision {revisions[0]}" in refused.output
        assert "archivist db upgrade" in refused.output

    done = cli.json("db", "upgrade")
    assert done["from"] == revisions[0] and done["to"] == head_revision()
    if behind and engine.dialect.name == "sqlite":
        assert done["backup"] and (cli.home / "backups").is_dir()
    assert cli.json("db", "current")["state"] == "up to date"

    docs = cli.json("documents")["documents"]
    assert [(d["sha256"], d["title"], d["status"]) for d in docs] == [(SHA, "Summer 1988", "stored")]
    shown = cli.json("show", "MDE 13/0001/2024")
    assert shown["text"] == TEXT and shown["authors"] == ["A. Witness"]
    assert [(n["label"], n["context"]) for n in shown["footnotes"]] == [
        ("1", "Families were never told where the dead were buried.")]
    runs = cli.json("runs")["runs"]
    assert runs[0]["counts"]["stored"] == 1 and runs[0]["status"] == "completed"
    assert runs[0]["sources"] == 2  # the run's items, counted by the migration that added the count (0012)
    assert [w["title"] for w in cli.json("works")["works"]] == ["Summer 1988"]
    assert [h["id"] for h in cli.json("search", "buried")["hits"]] == [1]

    # and the upgraded archive takes new records
    new = cli.home.parent / "new.txt"
    new.write_text("A second, unrelated statement about cemetery gatherings in Khavaran.\n", encoding="utf-8")
    assert cli.json("ingest", "--no-prefect", str(new))["counts"]["stored"] == 1
    assert len(cli.json("documents")["documents"]) == 2


def test_every_revision_is_walked_and_only_head_is_accepted(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'walk.sqlite3'}")
    revisions = _revisions()
    assert revisions[0] == "0001" and revisions[-1] == head_revision()
    for rev in revisions:
        upgrade(engine, rev)
        assert current_revision(engine) == rev
        if rev == revisions[-1]:
            ensure_schema(engine)
        else:
            with pytest.raises(SchemaOutOfDate, match="archivist db upgrade"):
                ensure_schema(engine)
    # down to the first revision and up again: every downgrade() works too
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revisions[0])
    assert current_revision(engine) == revisions[0]
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_models_match_the_migrated_schema(backend, tmp_path, request):
    """storage/models.py and the migrations describe the same tables and indexes."""
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'm.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)

    def include(obj, name, type_, reflected, compare_to):  # the search index is made by hand in 0001
        return not (name or "").startswith(("documents_fts", "ix_documents_search"))

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == [], diff


def test_db_commands_on_a_missing_or_empty_archive(tmp_path):
    cli = Cli(tmp_path / "nothing")
    assert "no archive here" in cli("db", "current", expect=1).output
    (tmp_path / "nothing").mkdir()
    assert cli.json("db", "current")["state"] == "empty"
    assert cli.json("db", "upgrade")["to"] == head_revision()
    assert cli.json("documents")["documents"] == []
