"""The one ingest loop, run two ways: in-process (``--no-prefect``) and as the Prefect flow.

The same inputs -- the seed corpus, a revised copy, Markdown with footnotes, an
HTML page, a manifest folder, a corrupt PDF, an unknown binary and a duplicate --
go into two fresh SQLite archives, one through each runner; the archives must
agree record for record.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from conftest import SEEDS, Cli

MARKDOWN = """# Appeal of the families

The families ask for the truth about the mass graves.[^1] They also ask for the names.[^2]

[^1]: Report of the Special Rapporteur on the situation of human rights, A/HRC/37/24, 2018.
[^2]: Amnesty International, Blood-soaked secrets, MDE 13/9421/2018.
"""

HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Statement on the executions</title>
</head><body><article><h1>Statement on the executions</h1>
<p>Human rights organisations called again for an independent inquiry into the prison killings.</p>
<p>Relatives were never told where the bodies were buried, and memorial gatherings are dispersed.</p>
</article></body></html>
"""

MANIFEST = """[[document]]
file = "testimony.txt"
title = "Testimony of a survivor (curator's title)"
date = "1989-03"
identifiers = ["A/HRC/37/24"]

[[document]]
file = "untitled.txt"
title = "unknown"
"""


def _inputs(root: Path) -> list[str]:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    for seed in SEEDS:
        (inbox / seed.name).write_bytes(seed.read_bytes())
    revised = SEEDS[0].read_text(encoding="utf-8") + "\n\nAddendum: the list of names was updated in 2024.\n"
    (inbox / "z_revised.txt").write_text(revised, encoding="utf-8")
    (inbox / "appeal.md").write_text(MARKDOWN, encoding="utf-8")
    (inbox / "statement.html").write_text(HTML, encoding="utf-8")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\0" * 64)
    (inbox / "scan.bin").write_bytes(bytes(range(256)) * 16)
    (inbox / "zz_duplicate.txt").write_bytes(SEEDS[2].read_bytes())
    curated = root / "curated"
    curated.mkdir()
    (curated / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (curated / "testimony.txt").write_text("I was held in the prison in the summer of 1988. Most of the men in my "
                                           "ward were taken away and never came back.\n", encoding="utf-8")
    (curated / "untitled.txt").write_text("A short note kept with the testimony, about the visits of the "
                                          "families to the cemetery.\n", encoding="utf-8")
    (curated / "not_listed.txt").write_text("Not in the manifest: never archived.\n", encoding="utf-8")
    return [str(inbox), str(curated)]


def _listing(cli: Cli, command: str) -> list[dict]:
    """The rows of ``documents`` / ``works`` (a bare list, or the ``{schema_version, ..., <command>: [...]}`` form)."""
    found = cli.json(command)
    return found[command] if isinstance(found, dict) else found


def _snapshot(cli: Cli) -> dict:
    """Everything that must not depend on the runner (ids, times and paths left out)."""
    docs = {}
    for summary in _listing(cli, "documents"):
        detail = cli.json("show", str(summary["id"]))
        docs[summary["sha256"]] = {
            "status": summary["status"], "failed": bool(summary["error"]), "name": Path(summary["source"]).name,
            "title": summary["title"], "date": summary["date"], "format": summary["format"],
            "media_type": summary["media_type"], "relation": summary["relation"], "version": summary["version"],
            "identifiers": sorted((i["scheme"], i["value"]) for i in summary["identifiers"]),
            "text_sha": hashlib.sha256((detail["text"] or "").encode()).hexdigest() if detail["text"] else None,
            "footnotes": [(n["label"], n["text"]) for n in detail["footnotes"]],
        }
    sha_of = {d["id"]: d["sha256"] for d in _listing(cli, "documents")}
    works = {frozenset(sha_of[v["id"]] for v in w["versions"]) for w in _listing(cli, "works")}
    con = sqlite3.connect(cli.home / "archive.sqlite3")
    try:
        kinds = Counter(kind for (kind,) in con.execute("SELECT kind FROM events"))
    finally:
        con.close()
    return {"documents": docs, "works": works, "events": kinds}


def _outcomes(result: dict) -> list[tuple[str, str, str | None]]:
    return [(Path(o["source"]).name, o["status"], o["relation"]) for o in result["outcomes"]]


@pytest.fixture
def sources(tmp_path) -> list[str]:
    return _inputs(tmp_path / "in")


def test_in_process_and_prefect_runs_give_the_same_archive(sources, tmp_path, prefect_harness):
    direct = Cli(tmp_path / "direct")
    flowed = Cli(tmp_path / "flowed")
    first = direct.json("ingest", "--no-prefect", *sources)
    second = flowed.json("ingest", *sources)

    assert first["counts"] == second["counts"]
    assert _outcomes(first) == _outcomes(second)
    assert first["failures"] and [Path(f["source"]).name for f in first["failures"]] == \
        [Path(f["source"]).name for f in second["failures"]]

    a, b = _snapshot(direct), _snapshot(flowed)
    assert a["documents"] == b["documents"]
    assert a["works"] == b["works"]
    assert a["events"] == b["events"]

    # The comparison is of real content: both archives hold what the inputs promise.
    docs = {d["name"]: d for d in a["documents"].values()}
    assert "zz_duplicate.txt" not in docs and "not_listed.txt" not in docs  # same bytes: one record
    assert docs["broken.pdf"]["status"] == "failed" and docs["scan.bin"]["status"] == "failed"
    assert docs["appeal.md"]["status"] == "stored" and [label for label, _ in docs["appeal.md"]["footnotes"]] == \
        ["1", "2"]
    assert docs["statement.html"]["title"] == "Statement on the executions"
    assert docs["testimony.txt"]["title"] == "Testimony of a survivor (curator's title)"
    assert ("un-symbol", "A/HRC/37/24") in docs["testimony.txt"]["identifiers"]
    assert docs["z_revised.txt"]["relation"] == "revision" and docs["z_revised.txt"]["version"] >= 2
    assert all(d["text_sha"] for d in a["documents"].values() if d["status"] == "stored")
    assert len(a["works"]) < len(a["documents"])  # the revision joined its original's work
    assert a["events"]["run-started"] == a["events"]["run-finished"] == 1
    assert dict(Counter(s for _, s, _ in _outcomes(first))) == {k: v for k, v in first["counts"].items() if v}
    direct("verify")
    flowed("verify")


def _archive_rows(home: Path) -> dict:
    """Records, works and event kinds of an archive, read with SQL (ids and times left out)."""
    con = sqlite3.connect(home / "archive.sqlite3")
    try:
        docs = {sha: (status, relation, version, title, text_sha) for sha, status, relation, version, title, text_sha
                in con.execute("SELECT sha256, status, relation, version, title, text_sha256 FROM documents")}
        works = {frozenset(s.split(",")) for (s,) in
                 con.execute("SELECT group_concat(sha256) FROM documents GROUP BY work_id")}
        kinds = Counter(kind for (kind,) in con.execute("SELECT kind FROM events"))
        fetches = con.execute("SELECT count(*) FROM fetches").fetchone()[0]
    finally:
        con.close()
    return {"documents": docs, "works": works, "events": kinds, "fetches": fetches}


def _run(home: Path, sources: list[str], **runner_args) -> tuple[dict, list]:
    from flows.run import InProcessRunner, run_ingest
    from flows.sources.model import expand
    from storage import Archive
    from storage.integrity.fixity import verify

    ticks: list = []
    with Archive.open(home) as archive:
        items = expand(sources)
        result = run_ingest(archive, items, InProcessRunner(archive, workers=2, **runner_args), progress=ticks.append)
        again = run_ingest(archive, expand(sources), InProcessRunner(archive, workers=2, **runner_args))
        assert verify(archive).ok
    # the unchanged inputs again: the stored ones unchanged, the failed ones failed again (still kept)
    assert again.summary.counts["stored"] == again.summary.counts["new_version"] == 0
    assert again.summary.counts["failed"] == result.summary.counts["failed"]
    return result.to_dict(), ticks


def test_batched_stores_give_the_same_archive_as_one_document_per_transaction(sources, tmp_path):
    """Group commits (several documents a transaction, seen-again bytes not extracted) change nothing recorded."""
    one, _ = _run(tmp_path / "one", sources, batch_size=1)
    many, ticks = _run(tmp_path / "many", sources, batch_size=4)
    assert _outcomes(one) == _outcomes(many) and one["counts"] == many["counts"]
    a, b = _archive_rows(tmp_path / "one"), _archive_rows(tmp_path / "many")
    assert a == b
    assert a["events"]["seen-again"] >= len(one["outcomes"])  # the re-ingest: one event per item


def test_progress_is_told_after_every_item(sources, tmp_path):
    result, ticks = _run(tmp_path / "home", sources)
    assert [t.done for t in ticks] == list(range(1, len(result["outcomes"]) + 1))
    assert {t.total for t in ticks} == {len(result["outcomes"])}  # no parts here: the total is the items'
    assert [(Path(t.source).name, t.status) for t in ticks] == [(Path(o["source"]).name, o["status"])
                                                                for o in result["outcomes"]]


def test_a_step_error_is_a_warning_when_its_item_was_recorded_all_the_same():
    """An item whose step raised but whose bytes the fallback found archived already is counted as it was
    recorded, and the error stays on the run as a warning (never only in a log)."""
    from flows.run import RunSummary
    from storage.archive import StoreOutcome

    summary = RunSummary()
    summary.add("a.txt", StoreOutcome("unchanged", 1, "ab" * 32, 1, "original"), "a.txt: unexpected KeyError: 'x'")
    summary.add("b.txt", None, "b.txt: unexpected OSError: gone")
    assert summary.counts == {"stored": 0, "new_version": 0, "unchanged": 1, "failed": 1}
    assert summary.failures == [{"source": "b.txt", "error": "b.txt: unexpected OSError: gone"}]
    assert summary.warnings == ["a.txt: unexpected KeyError: 'x' (recorded as unchanged all the same)"]
